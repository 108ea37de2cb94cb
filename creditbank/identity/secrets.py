"""Opaque bearer secrets (API keys, sign-in tokens, activation codes): shown once, kept hashed.

A secret reads ``<prefix>_<key id>_<random>``: the prefix says what it is (and lets secret
scanners spot a leaked one), the public key id finds its row without a scan, and the random
part is 32 bytes in base64url. Only the SHA-256 of the whole text is stored, so a database
leak yields no usable credential; with 256 random bits a slow hash would add nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

from creditbank.errors import FieldProblem, InvalidInput

SECRET_FIELD = "secret"  # noqa: S105 - the name of an input field, not a secret
RANDOM_BYTES = 32
KEY_ID_BYTES = 8
# Longer than any well-formed secret: beyond it the text is not parsed at all.
MAX_LENGTH = 8 + 1 + 2 * KEY_ID_BYTES + 1 + 43

_PREFIX = re.compile(r"[a-z]{2,8}")
_KEY_ID = re.compile(r"[0-9a-f]{16}")
_RANDOM = re.compile(r"[A-Za-z0-9_-]{43}")  # 32 bytes, unpadded base64url


@dataclass(frozen=True)
class IssuedSecret:
    """A new secret: ``text`` goes to its holder once; ``key_id`` and ``secret_hash`` are kept."""

    # Kept out of the repr so that logging an IssuedSecret cannot leak the credential.
    text: str = field(repr=False)
    key_id: str
    secret_hash: str


def secret_hash(text: str) -> str:
    """Return the stored form of a secret: SHA-256 of its whole text, in hex."""
    # surrogatepass: any str hashes (and then fails to match) instead of raising.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def new_secret(prefix: str) -> IssuedSecret:
    """Generate a secret ``<prefix>_<key id>_<random>`` with a fresh key id."""
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"a secret prefix is 2-8 lowercase letters, got {prefix!r}")
    key_id = secrets.token_hex(KEY_ID_BYTES)
    random_part = base64.urlsafe_b64encode(secrets.token_bytes(RANDOM_BYTES)).rstrip(b"=")
    text = f"{prefix}_{key_id}_{random_part.decode('ascii')}"
    return IssuedSecret(text, key_id, secret_hash(text))


def known_secret(text: str) -> IssuedSecret:
    """Wrap a given well-formed secret as if just issued (fixed demonstration data only)."""
    _, key_id = parse_secret(text)
    return IssuedSecret(text, key_id, secret_hash(text))


def _malformed(reason: str) -> InvalidInput:
    # Never echo the text: even a malformed secret may be most of a real one.
    return InvalidInput(
        f"malformed secret: {reason}", problems=[FieldProblem(SECRET_FIELD, reason)]
    )


def parse_secret(text: str) -> tuple[str, str]:
    """Return ``(prefix, key id)`` of a well-formed secret; InvalidInput says what is wrong."""
    if len(text) > MAX_LENGTH:
        raise _malformed(f"longer than {MAX_LENGTH} characters")
    parts = text.split("_", 2)  # the random part may itself contain "_"
    if len(parts) != 3:
        raise _malformed("must read <prefix>_<key id>_<secret>")
    prefix, key_id, random_part = parts
    if not _PREFIX.fullmatch(prefix):
        raise _malformed("the prefix must be 2-8 lowercase letters")
    if not _KEY_ID.fullmatch(key_id):
        raise _malformed("the key id must be 16 lowercase hexadecimal digits")
    if not _RANDOM.fullmatch(random_part):
        raise _malformed("the secret part must be 43 base64url characters")
    return prefix, key_id


def matches(stored_hash: str, text: str) -> bool:
    """Whether ``text`` hashes to ``stored_hash``, compared in constant time."""
    expected = stored_hash.encode("utf-8", "surrogatepass")
    return hmac.compare_digest(expected, secret_hash(text).encode("ascii"))
