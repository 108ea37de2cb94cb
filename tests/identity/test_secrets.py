"""Bearer secrets: their shape, parsing, and the stored hash."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.errors import InvalidInput
from creditbank.identity.secrets import (
    known_secret,
    matches,
    new_secret,
    parse_secret,
    secret_hash,
)

B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
VALID = "api_0123456789abcdef_" + "A" * 43


@pytest.mark.parametrize("prefix", ["cb", "cbk", "signin", "activate"])
def test_new_secret_has_the_documented_shape(prefix: str) -> None:
    issued = new_secret(prefix)
    got_prefix, key_id, random_part = issued.text.split("_", 2)
    assert got_prefix == prefix
    assert key_id == issued.key_id
    assert len(key_id) == 16
    assert set(key_id) <= set("0123456789abcdef")
    assert len(random_part) == 43
    assert set(random_part) <= set(B64URL)
    assert parse_secret(issued.text) == (prefix, issued.key_id)


@pytest.mark.parametrize("prefix", ["", "a", "API", "toolongprefix", "c_b", "cb1"])
def test_new_secret_refuses_a_prefix_it_could_not_parse(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        new_secret(prefix)


def test_stored_hash_is_sha256_of_the_whole_secret() -> None:
    issued = new_secret("api")
    assert issued.secret_hash == hashlib.sha256(issued.text.encode()).hexdigest()
    assert issued.secret_hash == secret_hash(issued.text)
    assert issued.text not in issued.secret_hash


def test_repr_hides_the_secret() -> None:
    issued = new_secret("api")
    text = repr(issued)
    assert issued.text not in text
    assert issued.text.rsplit("_", 1)[-1][:10] not in text
    assert issued.key_id in text


def test_secrets_are_unique() -> None:
    issued = [new_secret("api") for _ in range(100)]
    assert len({s.text for s in issued}) == 100
    assert len({s.key_id for s in issued}) == 100
    assert len({s.secret_hash for s in issued}) == 100


def test_round_trip_and_matches() -> None:
    issued = new_secret("api")
    other = new_secret("api")
    prefix, key_id = parse_secret(issued.text)
    assert (prefix, key_id) == ("api", issued.key_id)
    assert matches(issued.secret_hash, issued.text) is True
    assert matches(issued.secret_hash, other.text) is False
    assert matches(issued.secret_hash, issued.text + "x") is False
    assert matches(issued.secret_hash, issued.text[:-1]) is False
    assert matches(issued.secret_hash, issued.text.upper()) is False
    assert matches(issued.secret_hash, "\ud800") is False
    assert matches("", issued.text) is False
    # The secret itself is not its stored form.
    assert matches(issued.text, issued.text) is False


ISSUED = new_secret("cbk")  # fixed for the module, so that hypothesis can replay examples


@settings(max_examples=200)
@given(st.data())
def test_a_tampered_secret_does_not_match(data: st.DataObject) -> None:
    issued = ISSUED
    position = data.draw(st.integers(0, len(issued.text) - 1), label="position")
    others = sorted(set(B64URL) - {issued.text[position]})
    replacement = data.draw(st.sampled_from(others), label="replacement")
    tampered = issued.text[:position] + replacement + issued.text[position + 1 :]
    assert matches(issued.secret_hash, tampered) is False


def test_known_secret_wraps_fixed_demo_text() -> None:
    wrapped = known_secret(VALID)
    assert (wrapped.text, wrapped.key_id) == (VALID, "0123456789abcdef")
    assert matches(wrapped.secret_hash, VALID)
    with pytest.raises(InvalidInput):
        known_secret("not a secret")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "must read"),
        ("api", "must read"),
        ("api_0123456789abcdef", "must read"),
        (VALID.replace("_", "-", 1), "must read"),
        ("API_0123456789abcdef_" + "A" * 43, "prefix"),
        ("a_0123456789abcdef_" + "A" * 43, "prefix"),
        ("toolongprefix_0123456789abcdef_" + "A" * 43, "longer than"),
        ("abcdefghi_0123456789abcdef_" + "A" * 40, "prefix"),
        (" " + VALID, "prefix"),
        ("api_0123456789ABCDEF_" + "A" * 43, "key id"),
        ("api_0123456789abcde_" + "A" * 43, "key id"),
        ("api_0123456789abcdeg_" + "A" * 43, "key id"),
        ("api_0123456789abcdef_" + "A" * 42, "secret part"),
        ("api_0123456789abcdef_" + "A" * 42 + "=", "secret part"),
        ("api_0123456789abcdef_" + "A" * 42 + "+", "secret part"),
        ("api_0123456789abcdef_" + "A" * 42 + "/", "secret part"),
        (VALID + " ", "secret part"),
        (VALID + "\n", "secret part"),
        ("api_0123456789abcdef_" + "A" * 44, "secret part"),
        ("abcdefgh_0123456789abcdef_" + "A" * 44, "longer than"),
        ("x" * 10_000, "longer than"),
    ],
)
def test_malformed_secrets_are_rejected(text: str, says: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_secret(text)
    [problem] = exc.value.problems
    assert problem.field == "secret"
    assert says in problem.reason
    assert text == "" or text not in exc.value.detail


def test_a_valid_secret_parses() -> None:
    assert parse_secret(VALID) == ("api", "0123456789abcdef")
    # "_" belongs to base64url, so the random part may contain it.
    assert parse_secret("cb_0123456789abcdef_" + "-_" * 21 + "z") == ("cb", "0123456789abcdef")
