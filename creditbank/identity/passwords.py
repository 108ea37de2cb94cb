"""Learner passwords: scrypt hashes that carry their own cost parameters, and a strength rule.

A stored hash reads ``scrypt$<n>$<r>$<p>$<salt>$<hash>`` (standard base64), so the costs can
be raised later: :func:`needs_rehash` tells the sign-in code when to hash the password again.
Passwords are NFKC-normalised first (as NIST SP 800-63B advises), so a password typed with a
Chinese input method's full-width digits still matches the one typed without.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import unicodedata

from creditbank.errors import CreditbankError, FieldProblem, InvalidInput
from creditbank.identity.scrypt import ScryptParameters

SCHEME = "scrypt"
SALT_SIZE = 16
HASH_SIZE = 32
MIN_LENGTH = 10
MAX_LENGTH = 1024
MIN_DISTINCT = 4
PASSWORD_FIELD = "password"  # noqa: S105 - the name of an input field, not a password


DEFAULT = ScryptParameters()


def _encode(password: str) -> bytes:
    # surrogatepass: a lone surrogate from a JSON body must give "wrong password", not a crash.
    return unicodedata.normalize("NFKC", password).encode("utf-8", "surrogatepass")


def _derive(password: str, salt: bytes, params: ScryptParameters) -> bytes:
    return params.derive(_encode(password), salt, HASH_SIZE)


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _malformed(reason: str) -> CreditbankError:
    # A damaged row is the service's fault, never the user's: an internal error, and the
    # message names no part of the stored value.
    return CreditbankError(f"a stored password hash is malformed: {reason}")


def _parse(stored: str) -> tuple[ScryptParameters, bytes, bytes]:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        raise _malformed(f"it does not read {SCHEME}$n$r$p$salt$hash")
    if not all(part.isascii() and part.isdigit() for part in parts[1:4]):
        raise _malformed("its cost parameters are not numbers")
    params = ScryptParameters(int(parts[1]), int(parts[2]), int(parts[3]))
    if not params.acceptable():
        raise _malformed(
            f"its cost parameters n={params.n} r={params.r} p={params.p} are out of range"
        )
    try:
        salt, digest = _b64decode(parts[4]), _b64decode(parts[5])
    except (ValueError, binascii.Error):
        raise _malformed("its salt or hash is not base64") from None
    if len(salt) != SALT_SIZE or len(digest) != HASH_SIZE:
        raise _malformed(f"its salt or hash is not {SALT_SIZE} and {HASH_SIZE} bytes")
    return params, salt, digest


def hash_password(password: str, *, params: ScryptParameters = DEFAULT) -> str:
    """Return the stored form of ``password``; pass lower ``params`` in tests only."""
    if not params.acceptable():
        raise ValueError(f"unusable scrypt parameters {params}")
    salt = os.urandom(SALT_SIZE)
    digest = _derive(password, salt, params)
    encoded_salt = base64.b64encode(salt).decode("ascii")
    encoded_hash = base64.b64encode(digest).decode("ascii")
    return f"{SCHEME}${params.n}${params.r}${params.p}${encoded_salt}${encoded_hash}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored``; None (no account) burns the same time, False."""
    if stored is None:
        # Do the work anyway, so the answer's timing does not tell whether the account exists.
        _derive(password, bytes(SALT_SIZE), DEFAULT)
        return False
    params, salt, digest = _parse(stored)
    return hmac.compare_digest(_derive(password, salt, params), digest)


def needs_rehash(stored: str, *, params: ScryptParameters = DEFAULT) -> bool:
    """Whether ``stored`` was made with other cost parameters than ``params``."""
    return _parse(stored)[0] != params


def _kinds(password: str) -> int:
    letters = any(char.isalpha() for char in password)  # CJK characters count as letters
    digits = any(char.isdigit() for char in password)
    others = any(not (char.isalpha() or char.isdigit()) for char in password)
    return letters + digits + others


def check_password_strength(password: str) -> None:
    """Raise InvalidInput naming ``password`` unless it is long and varied enough."""
    text = unicodedata.normalize("NFKC", password)
    reason = None
    if len(text) < MIN_LENGTH:
        reason = f"must have at least {MIN_LENGTH} characters, has {len(text)}"
    elif len(text) > MAX_LENGTH:
        reason = f"must have at most {MAX_LENGTH} characters, has {len(text)}"
    elif _kinds(text) < 2:
        reason = "must mix at least two kinds of character: letters, digits, symbols or spaces"
    elif len(set(text)) < MIN_DISTINCT:
        reason = f"must use at least {MIN_DISTINCT} different characters"
    if reason is not None:
        # The detail never repeats the password: it may be logged or shown over a shoulder.
        raise InvalidInput(
            f"{PASSWORD_FIELD} {reason}", problems=[FieldProblem(PASSWORD_FIELD, reason)]
        )
