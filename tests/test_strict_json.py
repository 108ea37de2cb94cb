"""The strict JSON reader: what it refuses and where it says the problem is; fuzzed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.errors import InvalidJson
from creditbank.strict_json import INT_MAX, INT_MIN, MAX_DEPTH, read_json


def refused(data: bytes | str, **options: Any) -> InvalidJson:
    with pytest.raises(InvalidJson) as caught:
        read_json(data, **options)
    return caught.value


def test_reads_ordinary_documents() -> None:
    text = '{"a": [1, -2.5, true, null, "李明 😀"], "b": {"c": "\\ud83d\\ude00"}}'
    assert read_json(text) == json.loads(text)
    assert read_json(text.encode("utf-8")) == json.loads(text)
    assert read_json(b"\xef\xbb\xbf[1]") == [1]  # a byte order mark is allowed
    assert read_json(str(INT_MAX)) == INT_MAX and read_json(str(INT_MIN)) == INT_MIN


@pytest.mark.parametrize(
    ("text", "path", "words"),
    [
        ('{"a": 1, "a": 2}', "$.a", "duplicate key 'a' at $.a"),
        (
            '{"credentialSubject": {"name": "x"}, "credentialSubject": {"name": "y"}}',
            "$.credentialSubject",
            "duplicate key 'credentialSubject' at $.credentialSubject",
        ),
        ('{"x y": [0, {"k": 1, "k": 1}]}', '$["x y"][1].k', "duplicate key 'k'"),
        (str(INT_MAX + 1), "$", "outside -2^63..2^63-1"),
        ('{"n": -' + "9" * 5000 + "}", "$.n", "(5001 characters)"),
        ("[1, NaN]", "$[1]", "NaN is not a JSON number"),
        ('{"f": -Infinity}', "$.f", "-Infinity is not a JSON number"),
        ("[1e999]", "$[0]", "too large"),
        ('["ok", {"s": "\\ud800"}]', "$[1].s", "unpaired surrogate"),
        ('{"\\udfff": 1}', '$["\\udfff"]', "unpaired surrogate"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "$", f"more than {MAX_DEPTH} levels"),
        ("{not json", "$", "not valid JSON"),
    ],
)
def test_refusals_name_the_problem_and_where(text: str, path: str, words: str) -> None:
    error = refused(text)
    assert error.path == path
    assert words in error.detail
    assert error.status == 400 and error.slug == "invalid-json"


def test_depth_limit_counts_brackets_not_strings() -> None:
    at_limit = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert read_json(at_limit) is not None
    assert read_json(json.dumps({"s": "[" * 1000})) == {"s": "[" * 1000}
    assert read_json(json.dumps({"s": '\\"[[[' * 100})) == {"s": '\\"[[[' * 100}
    assert "levels" in refused("[" * 100_000).detail  # refused before the parser recurses


def test_bytes_must_be_utf8_and_within_the_limit() -> None:
    assert "not UTF-8" in refused(b'["\xff"]').detail
    assert "not UTF-8" in refused(b'["\xed\xa0\x80"]').detail  # an encoded surrogate
    assert "more than 10 bytes" in refused(b"[" + b"1," * 10 + b"1]", max_bytes=10).detail


# --- fuzzing: a value, or the one error class, for any input -------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=30,
)


def _spliced(value: Any, at: int, piece: str) -> str:
    text = json.dumps(value)
    cut = at % (len(text) + 1)
    return text[:cut] + piece + text[cut:]


def _nested(depth: int, inner: str) -> str:
    return "[" * depth + inner + "]" * depth


JSON_TEXTS = st.one_of(
    JSON_VALUES.map(lambda v: json.dumps(v, allow_nan=True)),
    JSON_VALUES.map(lambda v: json.dumps(v, ensure_ascii=False, allow_nan=True)),
    st.builds(_nested, st.integers(0, 300), st.sampled_from(["", "1", '"\\ud800"', "{}"])),
    # Splice text into a document: unbalanced brackets, duplicate keys, escapes, garbage.
    st.builds(
        _spliced,
        JSON_VALUES,
        st.integers(0, 10_000),
        st.sampled_from(['"a":1,"a":2', "[[[[", "]]}", "\\ud800", '"\\', "9" * 30, "-", ",,"]),
    ),
    st.text(),
)


@settings(max_examples=400, deadline=None, database=None)
@given(
    st.one_of(JSON_TEXTS, JSON_TEXTS.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary())
)
def test_any_input_gives_a_value_or_invalid_json(data: bytes | str) -> None:
    try:
        value = read_json(data)
    except InvalidJson as exc:
        assert exc.detail and exc.path.startswith("$")
        exc.detail.encode("utf-8")  # the message itself is always printable
        return
    # What is accepted is plain JSON that any reader reads alike.
    assert json.loads(json.dumps(value, allow_nan=False)) == value


@settings(max_examples=200, deadline=None, database=None)
@given(JSON_VALUES)
def test_what_json_writes_without_hazards_reads_back(value: Any) -> None:
    text = json.dumps(value, allow_nan=True)
    try:
        assert read_json(text) == json.loads(text)
    except InvalidJson as exc:  # only for the hazards the reader exists to refuse
        assert any(
            words in exc.detail
            for words in ("-2^63", "not a JSON number", "surrogate", "too large", "levels")
        ), exc.detail
