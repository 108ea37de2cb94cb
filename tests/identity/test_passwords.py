"""Learner passwords: scrypt hashes carrying their parameters, and the strength rule."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.errors import CreditbankError, InvalidInput
from creditbank.identity.passwords import (
    DEFAULT,
    check_password_strength,
    hash_password,
    needs_rehash,
    verify_password,
)
from creditbank.identity.scrypt import ScryptParameters

# Tests pass cheap parameters explicitly; the service always uses DEFAULT (made cheap in
# every other test by tests/conftest.py, hence the production_scrypt mark below).
FAST = ScryptParameters(n=2**10, r=8, p=1)
PASSWORD = "correct horse 42"


@pytest.mark.production_scrypt
def test_the_default_parameters_are_the_documented_ones() -> None:
    assert ScryptParameters(n=2**15, r=8, p=1) == DEFAULT
    stored = hash_password(PASSWORD)  # one real-cost hash, to see its shape
    assert stored.startswith("scrypt$32768$8$1$")
    assert verify_password(PASSWORD, stored) is True
    assert needs_rehash(stored) is False


@pytest.mark.parametrize("password", ["correct horse 42", "学分银行密码2024!", "", "x" * 1000])
def test_round_trip(password: str) -> None:
    stored = hash_password(password, params=FAST)
    assert verify_password(password, stored) is True


@settings(max_examples=25, deadline=None)
@given(st.text(max_size=50), st.text(max_size=50))
def test_only_the_same_password_verifies(password: str, other: str) -> None:
    stored = hash_password(password, params=FAST)
    assert verify_password(password, stored) is True
    assert verify_password(other, stored) is (other == password)


def test_wrong_password_is_false() -> None:
    stored = hash_password(PASSWORD, params=FAST)
    for wrong in ("correct horse 43", "Correct horse 42", "correct horse 42 ", "", "学分"):
        assert verify_password(wrong, stored) is False


def test_a_lone_surrogate_is_just_a_wrong_password() -> None:
    stored = hash_password(PASSWORD, params=FAST)
    assert verify_password("\ud800", stored) is False


def test_no_stored_hash_is_false_after_doing_the_work() -> None:
    assert verify_password(PASSWORD, None) is False


def test_full_width_input_matches() -> None:
    # A Chinese input method in full-width mode types ｐａｓｓ１２３; NFKC makes it pass123.
    stored = hash_password("pass word 123", params=FAST)
    assert verify_password("ｐａｓｓ\u3000ｗｏｒｄ\u3000１２３", stored) is True


def test_stored_form_carries_the_parameters() -> None:
    stored = hash_password(PASSWORD, params=ScryptParameters(n=2**10, r=4, p=2))
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "1024", "4", "2")
    assert len(base64.b64decode(salt, validate=True)) == 16
    assert len(base64.b64decode(digest, validate=True)) == 32
    assert verify_password(PASSWORD, stored)


def test_hashes_are_salted() -> None:
    first = hash_password(PASSWORD, params=FAST)
    second = hash_password(PASSWORD, params=FAST)
    assert first != second
    assert verify_password(PASSWORD, first)
    assert verify_password(PASSWORD, second)


def test_a_changed_digest_does_not_verify() -> None:
    stored = hash_password(PASSWORD, params=FAST)
    head, digest = stored.rsplit("$", 1)
    raw = bytearray(base64.b64decode(digest))
    raw[0] ^= 0x01
    assert verify_password(PASSWORD, f"{head}${base64.b64encode(raw).decode()}") is False


def test_changed_parameters_do_not_verify() -> None:
    stored = hash_password(PASSWORD, params=FAST)
    changed = stored.replace("scrypt$1024$", "scrypt$2048$", 1)
    assert changed != stored
    assert verify_password(PASSWORD, changed) is False


SALT = base64.b64encode(bytes(16)).decode()
HASH = base64.b64encode(bytes(32)).decode()


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "scrypt",
        f"bcrypt$1024$8$1${SALT}${HASH}",
        f"scrypt$1024$8$1${SALT}",
        f"scrypt$1024$8$1${SALT}${HASH}$AAAA",
        f"scrypt$n$8$1${SALT}${HASH}",
        f"scrypt$1024$eight$1${SALT}${HASH}",
        f"scrypt$1024$8$${SALT}${HASH}",
        f"scrypt$-1024$8$1${SALT}${HASH}",
        f"scrypt$１０２４$8$1${SALT}${HASH}",
        f"scrypt$1024$8$1$not base64!${HASH}",
        f"scrypt$1024$8$1${SALT}$AAA",
        f"scrypt$1024$8$1$AAAA${HASH}",  # a 3-byte salt
        f"scrypt$1024$8$1${SALT}${base64.b64encode(bytes(31)).decode()}",
        f"scrypt$1000$8$1${SALT}${HASH}",  # n not a power of two
        f"scrypt$0$8$1${SALT}${HASH}",
        f"scrypt$1024$0$1${SALT}${HASH}",
        f"scrypt$1024$8$0${SALT}${HASH}",
        f"scrypt${2**20}$8$1${SALT}${HASH}",  # would need 1 GiB of memory per attempt
        f"scrypt$1024$100000$1${SALT}${HASH}",  # and this 12 GiB
        f"scrypt$1024$8$1$密码${HASH}",
        "$2b$12$abcdefghijklmnopqrstuu",
    ],
)
def test_malformed_stored_hash_raises(stored: str) -> None:
    calls: list[Callable[[], bool]] = [
        lambda: verify_password(PASSWORD, stored),
        lambda: needs_rehash(stored),
    ]
    for call in calls:
        with pytest.raises(CreditbankError) as exc:
            call()
        # A damaged row is an internal error, not the caller's bad input.
        assert not isinstance(exc.value, InvalidInput)
        assert exc.value.status == 500
        assert exc.value.detail.startswith("a stored password hash is malformed")
        assert PASSWORD not in exc.value.detail


@pytest.mark.parametrize("params", [ScryptParameters(n=1000), ScryptParameters(r=0)])
def test_unusable_parameters_are_refused_when_hashing(params: ScryptParameters) -> None:
    with pytest.raises(ValueError, match="unusable"):
        hash_password(PASSWORD, params=params)


def test_needs_rehash() -> None:
    stored = hash_password(PASSWORD, params=FAST)
    assert needs_rehash(stored, params=FAST) is False
    assert needs_rehash(stored, params=ScryptParameters(n=2**11)) is True
    assert needs_rehash(stored, params=ScryptParameters(n=2**10, r=16)) is True
    assert needs_rehash(stored, params=ScryptParameters(n=2**10, p=2)) is True
    assert needs_rehash(stored) is True  # the default costs more than FAST


@pytest.mark.parametrize(
    "password",
    [
        "correct horse",
        "abcdefgh12",
        "学分银行学分银行2024",
        "Pa55word!!",
        "1234567890a",
        "a1b2c3d4e5",
        "abc1" * 256,  # exactly the longest allowed
    ],
)
def test_strong_enough(password: str) -> None:
    check_password_strength(password)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("", "must have at least 10 characters, has 0"),
        ("abc12345!", "must have at least 10 characters, has 9"),
        ("学分银行2024!", "must have at least 10 characters, has 9"),
        ("ab1" * 400, "must have at most 1024 characters, has 1200"),
        ("abcdefghij", "must mix at least two kinds of character"),
        ("ABCDEFGHIJKLMNOP", "must mix at least two kinds of character"),
        ("学分银行学分银行学分银", "must mix at least two kinds of character"),
        ("1234567890", "must mix at least two kinds of character"),
        ("１２３４５６７８９０", "must mix at least two kinds of character"),  # full-width digits
        ("!@#$%^&*()", "must mix at least two kinds of character"),
        ("aaaaaaaaa1", "must use at least 4 different characters"),
        ("ababababab1", "must use at least 4 different characters"),
    ],
)
def test_too_weak(password: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        check_password_strength(password)
    assert [p.field for p in exc.value.problems] == ["password"]
    assert exc.value.problems[0].reason.startswith(reason)
    assert password == "" or password not in exc.value.detail
