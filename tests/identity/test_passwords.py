"""Learner passwords: scrypt hashes carrying their parameters, and the strength rule."""

from __future__ import annotations

import base64

import pytest

from creditbank.errors import InvalidInput
from creditbank.identity.passwords import (
    DEFAULT,
    ScryptParameters,
    check_password_strength,
    hash_password,
    needs_rehash,
    verify_password,
)

FAST = ScryptParameters(n=2**10)


@pytest.mark.parametrize("password", ["correct horse 42", "学分银行密码2024!", "", "x" * 1000])
def test_round_trip(password: str) -> None:
    stored = hash_password(password, FAST)
    assert verify_password(password, stored) is True


def test_wrong_password_is_false() -> None:
    stored = hash_password("correct horse 42", FAST)
    for wrong in ("correct horse 43", "Correct horse 42", "correct horse 42 ", "", "学分"):
        assert verify_password(wrong, stored) is False


def test_stored_form_carries_the_parameters() -> None:
    stored = hash_password("correct horse 42", ScryptParameters(n=2**10, r=4, p=2))
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "1024", "4", "2")
    assert len(base64.b64decode(salt, validate=True)) == 16
    assert len(base64.b64decode(digest, validate=True)) == 32
    assert verify_password("correct horse 42", stored)


def test_hashes_are_salted() -> None:
    first = hash_password("correct horse 42", FAST)
    second = hash_password("correct horse 42", FAST)
    assert first != second
    assert verify_password("correct horse 42", first)
    assert verify_password("correct horse 42", second)


def test_a_changed_digest_does_not_verify() -> None:
    stored = hash_password("correct horse 42", FAST)
    head, digest = stored.rsplit("$", 1)
    raw = bytearray(base64.b64decode(digest))
    raw[0] ^= 0x01
    assert verify_password("correct horse 42", f"{head}${base64.b64encode(raw).decode()}") is False


def test_changed_parameters_do_not_verify() -> None:
    stored = hash_password("correct horse 42", FAST)
    changed = stored.replace("scrypt$1024$", "scrypt$2048$", 1)
    assert changed != stored
    assert verify_password("correct horse 42", changed) is False


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "scrypt",
        "bcrypt$1024$8$1$AAAA$AAAA",
        "scrypt$1024$8$1$AAAA",
        "scrypt$1024$8$1$AAAA$AAAA$AAAA",
        "scrypt$n$8$1$AAAA$AAAA",
        "scrypt$1024$eight$1$AAAA$AAAA",
        "scrypt$1024$8$$AAAA$AAAA",
        "scrypt$1024$8$1$not base64!$AAAA",
        "scrypt$1024$8$1$AAAA$AAA",
        "$2b$12$abcdefghijklmnopqrstuu",
    ],
)
def test_malformed_stored_hash_raises(stored: str) -> None:
    with pytest.raises(ValueError, match="malformed"):
        verify_password("correct horse 42", stored)
    with pytest.raises(ValueError, match="malformed"):
        needs_rehash(stored)


@pytest.mark.parametrize(
    "stored", ["scrypt$1000$8$1$AAAA$AAAA", "scrypt$1024$0$1$AAAA$AAAA", "scrypt$0$8$1$AAAA$AAAA"]
)
def test_impossible_parameters_raise_value_error(stored: str) -> None:
    with pytest.raises(ValueError):
        verify_password("correct horse 42", stored)


def test_needs_rehash() -> None:
    stored = hash_password("correct horse 42", FAST)
    assert needs_rehash(stored, FAST) is False
    assert needs_rehash(stored, ScryptParameters(n=2**11)) is True
    assert needs_rehash(stored, ScryptParameters(n=2**10, r=16)) is True
    assert needs_rehash(stored, ScryptParameters(n=2**10, p=2)) is True
    assert needs_rehash(stored) is True  # the default costs more than FAST
    assert ScryptParameters(n=2**15, r=8, p=1) == DEFAULT


@pytest.mark.parametrize(
    "password",
    [
        "correct horse",
        "abcdefgh12",
        "学分银行学分银行2024",
        "Pa55word!!",
        "1234567890a",
        "a1b2c3d4e5",
    ],
)
def test_strong_enough(password: str) -> None:
    check_password_strength(password)


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("", "at least 10"),
        ("abc12345!", "at least 10"),
        ("学分银行2024!", "at least 10"),
        ("abcdefghij", "mix"),
        ("ABCDEFGHIJKLMNOP", "mix"),
        ("学分银行学分银行学分银", "mix"),
        ("1234567890", "mix"),
        ("aaaaaaaaa1", "mix"),
        ("ababababab1", "mix"),
        ("aaaaaaaaaaaaaaaaaaa", "mix"),
    ],
)
def test_too_weak(password: str, says: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        check_password_strength(password)
    assert [p.field for p in exc.value.problems] == ["password"]
    assert says in exc.value.problems[0].reason
    assert password == "" or password not in str(exc.value)
