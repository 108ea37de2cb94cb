"""The base58btc decoder against the ``base58`` package, and multibase errors."""

from __future__ import annotations

import base58
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.errors import InvalidInput
from creditbank.transcripts.multikey import (
    b58decode,
    decode_base58btc,
    decode_public_key,
    encode_base58btc,
    encode_public_key,
)

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _library(data: bytes) -> bytes | None:
    try:
        return base58.b58decode(data)  # type: ignore[no-any-return]
    except ValueError:
        return None


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=100), st.integers(min_value=0, max_value=4))
def test_decodes_what_the_library_encodes(data: bytes, zeros: int) -> None:
    data = bytes(zeros) + data
    encoded = base58.b58encode(data)
    assert b58decode(encoded) == data == base58.b58decode(encoded)
    if data:  # "z" alone is not a multibase value
        assert decode_base58btc(encode_base58btc(data)) == data


# The alphabet, the characters it leaves out (0 O I l), whitespace and a few others.
texts = st.text(st.sampled_from(ALPHABET + "0OIl \t\n\r\x0b\x0c+/=_-\x00"), max_size=40)


@settings(max_examples=1000, deadline=None)
@given(texts)
def test_agrees_with_the_library_on_any_text(text: str) -> None:
    data = text.encode("ascii")
    expected = _library(data)
    if expected is None:
        with pytest.raises(ValueError, match="Invalid character"):
            b58decode(data)
        with pytest.raises(InvalidInput, match="not valid base58btc"):
            decode_base58btc("z" + text)
    else:
        assert b58decode(data) == expected


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=1, max_size=64), st.integers(min_value=0), st.sampled_from("0OIl!é"))
def test_one_bad_character_is_refused(data: bytes, where: int, bad: str) -> None:
    encoded = base58.b58encode(data).decode("ascii")
    position = where % (len(encoded) + 1)
    text = encoded[:position] + bad + encoded[position:]
    with pytest.raises(InvalidInput, match=r"^not valid base58btc$"):
        decode_base58btc("z" + text)


def test_edge_cases() -> None:
    assert b58decode(b"") == b""
    assert b58decode(b"1") == b"\x00"
    assert b58decode(b"111") == b"\x00\x00\x00"
    assert b58decode(b"2") == b"\x01"
    assert b58decode(b"z") == b"\x39"
    assert b58decode(b"21") == b"\x3a"
    assert b58decode(b"5Q \n") == base58.b58decode(b"5Q \n")  # trailing whitespace ignored
    with pytest.raises(ValueError, match="Invalid character ' '"):
        b58decode(b" 5Q")
    with pytest.raises(ValueError, match="Invalid character '0'"):
        b58decode(b"5Q0")
    for value in ("", "z", "5Q", "Z5Q", None, 5, b"z5Q"):
        with pytest.raises(InvalidInput, match="must start with 'z'"):
            decode_base58btc(value)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"^not valid base58btc$"):
        decode_base58btc("z5Q课")
    key = bytes(range(32))
    assert decode_public_key(encode_public_key(key)) == key
    with pytest.raises(InvalidInput, match="not an Ed25519 Multikey"):
        decode_public_key(encode_base58btc(b"\xed\x01" + key[:31]))
