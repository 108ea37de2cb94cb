"""Learner passwords, hashed with scrypt; the parameters travel with each hash."""

from __future__ import annotations

import base64
import binascii
import hmac
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from creditbank.errors import FieldProblem, InvalidInput

MIN_LENGTH = 10


@dataclass(frozen=True)
class ScryptParameters:
    """Cost parameters; raise them over time and rehash on the next sign-in."""

    n: int = 2**15
    r: int = 8
    p: int = 1


DEFAULT = ScryptParameters()


def _derive(password: str, salt: bytes, params: ScryptParameters) -> bytes:
    return Scrypt(salt=salt, length=32, n=params.n, r=params.r, p=params.p).derive(
        password.encode("utf-8")
    )


def hash_password(password: str, params: ScryptParameters = DEFAULT) -> str:
    """Return ``scrypt$n$r$p$salt$hash`` (base64) for ``password``."""
    salt = os.urandom(16)
    digest = _derive(password, salt, params)
    encode = base64.b64encode
    return (
        f"scrypt${params.n}${params.r}${params.p}${encode(salt).decode()}${encode(digest).decode()}"
    )


def _parse(stored: str) -> tuple[ScryptParameters, bytes, bytes]:
    parts = stored.split("$")
    try:
        if len(parts) != 6 or parts[0] != "scrypt":
            raise ValueError
        params = ScryptParameters(int(parts[1]), int(parts[2]), int(parts[3]))
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        raise ValueError("a stored password hash is malformed") from None
    return params, salt, digest


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches; False otherwise (never raises for a wrong password)."""
    params, salt, digest = _parse(stored)
    return hmac.compare_digest(_derive(password, salt, params), digest)


def needs_rehash(stored: str, params: ScryptParameters = DEFAULT) -> bool:
    """True when the hash was made with other parameters than ``params``."""
    return _parse(stored)[0] != params


def check_password_strength(password: str) -> None:
    """At least 10 characters, not all of one kind; InvalidInput naming ``password``."""
    reason = None
    if len(password) < MIN_LENGTH:
        reason = f"must have at least {MIN_LENGTH} characters"
    elif password.isdigit() or password.isalpha() or len(set(password)) < 4:
        reason = "must mix letters with digits or symbols and not repeat one character"
    if reason is not None:
        raise InvalidInput(f"password {reason}", problems=[FieldProblem("password", reason)])
