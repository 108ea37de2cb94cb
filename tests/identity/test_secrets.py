"""Bearer secrets: their shape, parsing, and the stored hash."""

from __future__ import annotations

import hashlib

import pytest

from creditbank.errors import InvalidInput
from creditbank.identity.secrets import matches, new_secret, parse_secret, secret_hash


@pytest.mark.parametrize("prefix", ["cb", "api", "signin", "activate"])
def test_new_secret_has_the_documented_shape(prefix: str) -> None:
    issued = new_secret(prefix)
    got_prefix, key_id, random_part = issued.text.split("_", 2)
    assert got_prefix == prefix
    assert key_id == issued.key_id
    assert len(key_id) == 16
    assert int(key_id, 16) >= 0
    assert len(random_part) == 43
    assert parse_secret(issued.text) == (prefix, issued.key_id)


def test_stored_hash_is_sha256_of_the_whole_secret() -> None:
    issued = new_secret("api")
    assert issued.secret_hash == hashlib.sha256(issued.text.encode()).hexdigest()
    assert issued.secret_hash == secret_hash(issued.text)
    assert issued.text not in issued.secret_hash


def test_secrets_are_unique() -> None:
    issued = [new_secret("api") for _ in range(50)]
    assert len({s.text for s in issued}) == 50
    assert len({s.key_id for s in issued}) == 50
    assert len({s.secret_hash for s in issued}) == 50


def test_matches() -> None:
    issued = new_secret("api")
    other = new_secret("api")
    assert matches(issued.secret_hash, issued.text) is True
    assert matches(issued.secret_hash, other.text) is False
    assert matches(issued.secret_hash, issued.text + "x") is False
    assert matches(issued.secret_hash, issued.text[:-1]) is False
    assert matches(issued.secret_hash, issued.text.upper()) is False
    # The secret itself is not its stored form.
    assert matches(issued.text, issued.text) is False


VALID = "api_0123456789abcdef_" + "A" * 43


@pytest.mark.parametrize(
    "text",
    [
        "",
        "api",
        "api_0123456789abcdef",
        "API_0123456789abcdef_" + "A" * 43,
        "a_0123456789abcdef_" + "A" * 43,
        "toolongprefix_0123456789abcdef_" + "A" * 43,
        "api_0123456789ABCDEF_" + "A" * 43,
        "api_0123456789abcde_" + "A" * 43,
        "api_0123456789abcdef_" + "A" * 42,
        "api_0123456789abcdef_" + "A" * 44,
        "api_0123456789abcdef_" + "A" * 42 + "=",
        "api_0123456789abcdef_" + "A" * 42 + "+",
        " " + VALID,
        VALID + " ",
        VALID.replace("_", "-", 1),
    ],
)
def test_malformed_secrets_are_rejected(text: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_secret(text)
    assert [p.field for p in exc.value.problems] == ["secret"]


def test_a_valid_secret_parses() -> None:
    assert parse_secret(VALID) == ("api", "0123456789abcdef")
    assert parse_secret("cb_0123456789abcdef_" + "-_" * 21 + "z") == ("cb", "0123456789abcdef")


def test_a_trailing_newline_is_rejected() -> None:
    with pytest.raises(InvalidInput):
        parse_secret(VALID + "\n")
