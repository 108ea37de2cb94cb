"""Multikey and multibase encodings of Ed25519 keys and signatures (base58btc, prefix ``z``).

An Ed25519 public key is ``z`` + base58btc(0xed 0x01 ‖ 32 key bytes) (multicodec
``ed25519-pub``); a private key is ``z`` + base58btc(0x80 0x26 ‖ 32 seed bytes)
(``ed25519-priv``). Data Integrity proof values are ``z`` + base58btc(signature).
"""

from __future__ import annotations

import base58

from creditbank.errors import InvalidInput

ED25519_PUB_PREFIX = b"\xed\x01"
ED25519_PRIV_PREFIX = b"\x80\x26"
BASE58BTC = "z"
_KEY_SIZE = 32
_ALPHABET = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_DIGITS = bytes.maketrans(_ALPHABET, bytes(range(len(_ALPHABET))))


def encode_base58btc(data: bytes) -> str:
    """Return the multibase base58btc form of ``data``."""
    return BASE58BTC + base58.b58encode(data).decode("ascii")


def b58decode(data: bytes) -> bytes:
    """Decode base58 (the Bitcoin alphabet) as ``base58.b58decode`` does, about thrice faster.

    Trailing ASCII whitespace is ignored, and each leading ``1`` is a zero byte, as there;
    ValueError names a character outside the alphabet.
    """
    data = data.rstrip()
    stray = data.translate(None, _ALPHABET)
    if stray:
        raise ValueError(f"Invalid character {chr(stray[0])!r}")
    value = 0
    for digit in data.translate(_DIGITS):
        value = value * 58 + digit
    zeros = len(data) - len(data.lstrip(b"1"))
    return bytes(zeros) + value.to_bytes((value.bit_length() + 7) // 8, "big")


def decode_base58btc(text: str) -> bytes:
    """Decode a multibase base58btc string; InvalidInput if it is not one."""
    if not isinstance(text, str) or not text.startswith(BASE58BTC) or len(text) < 2:
        raise InvalidInput("not a multibase base58btc value (it must start with 'z')")
    try:
        return b58decode(text[1:].encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise InvalidInput("not valid base58btc") from None


def encode_public_key(public_key: bytes) -> str:
    """Return the Multikey ``publicKeyMultibase`` of a raw Ed25519 public key."""
    if len(public_key) != _KEY_SIZE:
        raise InvalidInput(f"an Ed25519 public key is {_KEY_SIZE} bytes, not {len(public_key)}")
    return encode_base58btc(ED25519_PUB_PREFIX + public_key)


def decode_public_key(text: str) -> bytes:
    """Return the raw Ed25519 public key of a ``publicKeyMultibase``."""
    raw = decode_base58btc(text)
    if not raw.startswith(ED25519_PUB_PREFIX) or len(raw) != len(ED25519_PUB_PREFIX) + _KEY_SIZE:
        raise InvalidInput("publicKeyMultibase is not an Ed25519 Multikey")
    return raw[len(ED25519_PUB_PREFIX) :]


def encode_private_key(seed: bytes) -> str:
    """Return the Multikey ``secretKeyMultibase`` of a raw Ed25519 seed."""
    if len(seed) != _KEY_SIZE:
        raise InvalidInput(f"an Ed25519 seed is {_KEY_SIZE} bytes, not {len(seed)}")
    return encode_base58btc(ED25519_PRIV_PREFIX + seed)


def decode_private_key(text: str) -> bytes:
    """Return the raw Ed25519 seed of a ``secretKeyMultibase``."""
    raw = decode_base58btc(text)
    if not raw.startswith(ED25519_PRIV_PREFIX) or len(raw) != len(ED25519_PRIV_PREFIX) + _KEY_SIZE:
        raise InvalidInput("secretKeyMultibase is not an Ed25519 Multikey")
    return raw[len(ED25519_PRIV_PREFIX) :]
