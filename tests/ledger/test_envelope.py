"""Entry envelopes: the direct encoding equals the canonical encoder's, and decoding is strict."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditbank.canonical import canonical_json
from creditbank.errors import LedgerError
from creditbank.ledger.envelope import EntryKind, Envelope, decode_envelope

texts = st.text(min_size=0, max_size=20)
hashes = st.binary(min_size=32, max_size=32)


@given(
    index=st.integers(0, 2**53 - 1),
    kind=st.one_of(st.sampled_from(list(EntryKind)), texts),
    actor=st.one_of(st.sampled_from(["bank", "learner", "institution:CQ-GZ-001"]), texts),
    time=st.one_of(st.just("2026-11-22T08:00:00.000Z"), texts),
    prev=hashes,
    commitment=hashes,
)
def test_direct_encoding_is_the_canonical_one(
    index: int, kind: str, actor: str, time: str, prev: bytes, commitment: bytes
) -> None:
    envelope = Envelope(index, kind, time, actor, prev, commitment)
    assert envelope.encode() == canonical_json(envelope.to_json())


def test_strict_decoding_round_trips() -> None:
    envelope = Envelope(
        7, EntryKind.RECORD_POSTED, "2026-11-22T08:00:00.000Z", "bank", b"\x01" * 32, b"\x02" * 32
    )
    data = envelope.encode()
    assert decode_envelope(data) == envelope
    with pytest.raises(LedgerError, match="canonical"):
        decode_envelope(data.replace(b'"v":1', b'"v": 1'))
    with pytest.raises(LedgerError):
        decode_envelope(data.replace(b'"bank"', b'"ba\\u006ek"'))
