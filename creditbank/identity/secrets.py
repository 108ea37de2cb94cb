"""Opaque bearer secrets (API keys, sign-in tokens, activation codes): shown once, kept hashed.

A secret reads ``<prefix>_<key id>_<random>``: the key id finds the stored row without a
scan, and only the SHA-256 of the whole secret is stored, so a database leak yields no
usable credential. 32 random bytes make brute force pointless, so a fast hash suffices.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from creditbank.errors import FieldProblem, InvalidInput

_SHAPE = re.compile(r"^([a-z]{2,8})_([a-z0-9]{16})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class IssuedSecret:
    """A new secret: ``text`` goes to its holder once; ``key_id`` and ``secret_hash`` are kept."""

    text: str
    key_id: str
    secret_hash: str


def secret_hash(text: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_secret(prefix: str) -> IssuedSecret:
    """Generate a secret with ``prefix``."""
    key_id = secrets.token_hex(8)
    random_part = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    text = f"{prefix}_{key_id}_{random_part}"
    return IssuedSecret(text, key_id, secret_hash(text))


def known_secret(text: str) -> IssuedSecret:
    """Wrap a given, well-formed secret (demonstration data only) as if just issued."""
    _, key_id = parse_secret(text)
    return IssuedSecret(text, key_id, secret_hash(text))


def parse_secret(text: str) -> tuple[str, str]:
    """Return ``(prefix, key id)`` of a well-formed secret; InvalidInput otherwise."""
    match = _SHAPE.fullmatch(text)
    if match is None:
        raise InvalidInput("malformed secret", problems=[FieldProblem("secret", "malformed")])
    return match.group(1), match.group(2)


def matches(stored_hash: str, text: str) -> bool:
    """True when ``text`` hashes to ``stored_hash`` (constant-time comparison)."""
    return hmac.compare_digest(stored_hash, secret_hash(text))
