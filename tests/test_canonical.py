import enum

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.canonical import PlainObject, canonical_json, canonical_json_each, is_plain

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


def _reference(value: object) -> bytes | None:
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, ValueError, UnicodeEncodeError):
        return None


def _assert_matches_reference(value: object) -> None:
    """The encoder gives rfc8785's bytes, or refuses what rfc8785 refuses."""
    expected = _reference(value)
    if expected is None:
        with pytest.raises((rfc8785.CanonicalizationError, ValueError, UnicodeEncodeError)):
            canonical_json(value)
    else:
        assert canonical_json(value) == expected


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_fast_path_matches_rfc8785(value: object) -> None:
    _assert_matches_reference(value)


def test_known_answers() -> None:
    # RFC 8785 §3.2.3 sorting and number formatting.
    assert canonical_json({"b": 1, "a": [True, None, "x"]}) == b'{"a":[true,null,"x"],"b":1}'
    assert canonical_json({"n": 1.0, "e": 1e21}) == b'{"e":1e+21,"n":1}'
    assert canonical_json({"\u20ac": 1, "\r": 2, "1": 3}) == '{"\\r":2,"1":3,"\u20ac":1}'.encode()
    assert canonical_json("\u0007\n") == b'"\\u0007\\n"'
    assert canonical_json({"课程": "计算机"}) == '{"课程":"计算机"}'.encode()


def test_unsafe_integer_goes_to_reference() -> None:
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical_json({"i": 2**60})
    assert canonical_json(2**53 - 1) == b"9007199254740991"


@settings(max_examples=3000, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False) | st.decimals(0, 30, places=1).map(float))
def test_floats_take_the_fast_path_only_where_it_matches_rfc8785(value: float) -> None:
    assert canonical_json({"credits": value, "list": [value]}) == rfc8785.dumps(
        {"credits": value, "list": [value]}
    )


def test_float_bounds_of_the_fast_path() -> None:
    for value in (3.5, 0.1, 1e-4, 1.5e-4, 9.5e15, 1e16 + 2.0, 1e-5, 4.0, 1e21, 123456.789):
        assert canonical_json(value) == rfc8785.dumps(value)


class Text(str):
    """A str subclass, as StrEnum values are."""


class Colour(enum.StrEnum):
    RED = "red"
    BLUE = "蓝"


class Size(enum.IntEnum):
    SMALL = 1


# Values as the encoder meets them in the code: tuples, str subclasses and enums among the
# JSON types, keys that repeat across objects, floats of every kind.
odd_scalars = (
    json_scalars
    | st.sampled_from([Colour.RED, Colour.BLUE, Size.SMALL, Text("x"), Text("非")])
    | st.floats(min_value=1e-5, max_value=1e17)
    | st.integers(min_value=2**53 - 3, max_value=2**53 + 3)
)
odd_keys = st.sampled_from(["a", "b", "type", "id", "é", "\U0001f600", "\ue000"]) | st.text(
    max_size=3
)
odd_values = st.recursive(
    odd_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=4).map(tuple)
        | st.dictionaries(odd_keys, children, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=1000, deadline=None)
@given(odd_values)
def test_odd_values_match_rfc8785(value: object) -> None:
    _assert_matches_reference(value)


@settings(max_examples=300, deadline=None)
@given(st.lists(odd_values, max_size=6))
def test_each_matches_one_at_a_time(values: list[object]) -> None:
    # Keys checked once across the values: a key seen in one value, met again in a later one
    # (perhaps as a str subclass or next to a non-ASCII key), is still encoded correctly.
    expected = [_reference(value) for value in values]
    if None in expected:
        with pytest.raises((rfc8785.CanonicalizationError, ValueError, UnicodeEncodeError)):
            canonical_json_each(values)
    else:
        assert canonical_json_each(values) == expected


def test_keys_and_types_that_leave_the_fast_path() -> None:
    # A str subclass key equal to a key already checked: orjson refuses it, rfc8785 encodes it.
    value = [{"b": 1, "a": 2}, {Text("b"): 3}]
    assert canonical_json(value) == rfc8785.dumps(value) == b'[{"a":2,"b":1},{"b":3}]'
    # A non-ASCII key after the same ASCII keys elsewhere: sorted by UTF-16 code units.
    value = [{"a": 1}, {"a": 2, "\ue000": 3, "\U0001f600": 4}]
    assert canonical_json(value) == rfc8785.dumps(value)
    assert canonical_json_each([{"a": 1}, {"\ue000": 3, "\U0001f600": 4}]) == [
        b'{"a":1}',
        rfc8785.dumps({"\ue000": 3, "\U0001f600": 4}),
    ]
    # Tuples, StrEnum and IntEnum values, and top-level scalars.
    assert canonical_json(("x", (1, Colour.BLUE))) == '["x",[1,"蓝"]]'.encode()
    assert canonical_json({"s": Size.SMALL}) == rfc8785.dumps({"s": Size.SMALL}) == b'{"s":1}'
    assert canonical_json(Colour.RED) == b'"red"'
    assert canonical_json(3.5) == b"3.5"
    assert canonical_json(None) == b"null"
    assert canonical_json([]) == b"[]"
    assert canonical_json({}) == b"{}"
    # A lone surrogate: orjson refuses it, and so does rfc8785.
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical_json({"a": "\ud800"})
    # Other types are not JSON.
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical_json({"when": object()})
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical_json({1: "one"})


def test_credits_in_large_documents_take_the_fast_path() -> None:
    # The floats transcripts sign sit deep in large documents; the text is ECMAScript's.
    document = {"records": [{"credits": 3.5, "hours": 56, "name": "课程"}] * 50, "total": 175.0}
    assert canonical_json(document) == rfc8785.dumps(document)
    assert canonical_json({"credits": [0.5, 1.25, 2.75, 1e-4, 123.456]}) == (
        b'{"credits":[0.5,1.25,2.75,0.0001,123.456]}'
    )


plain_texts = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=8)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        plain_texts.filter(is_plain),
        st.one_of(
            plain_texts.filter(is_plain),
            st.integers(-(2**53) + 1, 2**53 - 1),
            st.just(None),
            st.lists(st.integers(0, 9), max_size=2),
        ),
        max_size=6,
    )
)
def test_a_filled_plain_object_is_the_encoders(value: dict[str, object]) -> None:
    # Strings and integers are filled in; anything else is a constant written by the encoder.
    fields = {
        key: type(item) if isinstance(item, str | int) else item for key, item in value.items()
    }
    template = PlainObject(fields)
    texts = [str(value[key]) for key in template.order]
    assert template.fill(*texts) == rfc8785.dumps(value)
