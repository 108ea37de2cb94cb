"""W3C Bitstring Status List: revocation bits, and the signed list credential the bank serves.

A list holds :data:`LIST_BITS` entries (16 KiB, the spec's minimum, so one revoked bit hides
among many); bit 0 is the most significant bit of the first byte. ``encodedList`` is the
multibase base64url (``u``, no padding) of the GZIP-compressed bitstring. Transcripts take a
random free index, so an index says nothing about when a transcript was issued.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from creditbank.errors import InvalidInput
from creditbank.numerals import natural
from creditbank.transcripts.contexts import VC_CONTEXT
from creditbank.transcripts.cryptosuite import format_datetime, sign_document

LIST_BITS = 131_072
PURPOSE = "revocation"
ENTRY_TYPE = "BitstringStatusListEntry"
LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
# A list gets no new transcripts once this share of it is used, so random picks stay cheap.
FILL_LIMIT = LIST_BITS // 2
MAX_LIST_ID = 10**9 - 1  # list ids in URLs have at most nine digits


def encode_bits(revoked: Iterable[int], size: int = LIST_BITS) -> str:
    """The ``encodedList`` of a list of ``size`` bits with the ``revoked`` positions set."""
    if size % 8 or size < LIST_BITS:
        raise InvalidInput(f"a status list has at least {LIST_BITS} bits, in whole bytes")
    bits = bytearray(size // 8)
    for index in revoked:
        if not 0 <= index < size:
            raise InvalidInput(f"status index {index} is outside a list of {size}")
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same bits always give the same text.
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")


def decode_bits(encoded: Any) -> bytes:
    """The bitstring of an ``encodedList``; InvalidInput if it is not one."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise InvalidInput("encodedList is not multibase base64url (it must start with 'u')")
    text = encoded[1:]
    try:
        compressed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return gzip.decompress(compressed)
    except (binascii.Error, OSError, EOFError, zlib.error):
        raise InvalidInput("encodedList is not GZIP-compressed base64url") from None


def bit_is_set(bits: bytes, index: int) -> bool:
    """Whether bit ``index`` is set; InvalidInput if the list is shorter."""
    if not 0 <= index < len(bits) * 8:
        raise InvalidInput(f"status index {index} is outside a list of {len(bits) * 8} bits")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def list_url(public_url: str, list_id: int) -> str:
    """Where the bank serves status list ``list_id``."""
    return f"{public_url.rstrip('/')}/api/v1/status-lists/{list_id}"


def status_entry(public_url: str, list_id: int, index: int) -> dict[str, Any]:
    """The ``credentialStatus`` of a transcript at ``index`` of list ``list_id``."""
    url = list_url(public_url, list_id)
    return {
        "id": f"{url}#{index}",
        "type": ENTRY_TYPE,
        "statusPurpose": PURPOSE,
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def status_list_credential(
    *,
    public_url: str,
    list_id: int,
    revoked: Iterable[int],
    issuer: str,
    method_id: str,
    private_key: Any,
    now: datetime,
) -> dict[str, Any]:
    """The signed ``BitstringStatusListCredential`` of one list."""
    url = list_url(public_url, list_id)
    document = {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
        "issuer": issuer,
        "validFrom": format_datetime(now),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": PURPOSE,
            "encodedList": encode_bits(revoked),
        },
    }
    return sign_document(
        document, private_key, verification_method=method_id, created=now, as_array=False
    )


def entry_position(entry: Any) -> tuple[str, int]:
    """The list URL and index a ``credentialStatus`` names; InvalidInput if malformed."""
    if not isinstance(entry, Mapping) or entry.get("type") != ENTRY_TYPE:
        raise InvalidInput(f"credentialStatus is not a {ENTRY_TYPE}")
    if entry.get("statusPurpose") != PURPOSE:
        raise InvalidInput(f"credentialStatus purpose is not {PURPOSE!r}")
    url = entry.get("statusListCredential")
    index = natural(entry.get("statusListIndex"))
    if not isinstance(url, str) or index is None:
        raise InvalidInput("credentialStatus needs a statusListCredential and a decimal index")
    return url, index
