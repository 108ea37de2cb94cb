"""Posting checks a batch's signature itself, so every door (API, web upload, CSV import)
meets the institution's signing requirement."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from creditbank.clock import utc_now
from creditbank.errors import Forbidden
from creditbank.identity.documents import parse_document
from creditbank.institutions.service import (
    BatchSignature,
    InstitutionInfo,
    add_signing_key,
    register_institution,
    set_signing_requirement,
)
from creditbank.learners.service import NewLearner, open_accounts
from creditbank.records.parsing import parse_outcome
from creditbank.records.service import BatchRequest, NewRecord, post_batch
from creditbank.wiring import Services
from tests.records.outcome_items import COURSE
from tests.transcripts.helpers import resident_id

NOW = utc_now()
CODE = "CQ-GZ-001"


def _unsigned_batch(
    services: Services, key: Ed25519PrivateKey
) -> tuple[BatchRequest, BatchSignature]:
    """An unsigned batch of one course for an institution that requires signing, and the
    signature of its body by the institution's key."""
    ledger = services.ledger
    register_institution(
        ledger,
        InstitutionInfo(CODE, "重庆工程职业技术学院", "CQVIE", "gaozhi_college", "gaozhi", "重庆"),
        actor="operator:console",
        now=NOW,
    )
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    added = add_signing_key(ledger, CODE, public, actor="test", now=NOW)
    set_signing_requirement(ledger, CODE, True, actor="test", now=NOW)
    person = NewLearner("李明", parse_document("resident_id", resident_id("123"), today=NOW.date()))
    [account] = open_accounts(
        ledger, services.sealer, [person], opened_by=CODE, actor="test", now=NOW
    )
    records = [
        NewRecord(
            account.learner_id,
            parse_outcome({**COURSE, "source_institution": CODE}, today=NOW.date()),
        )
    ]
    body = b'{"records": "as posted"}'
    unsigned = BatchRequest(CODE, "web", "upload-1", body, records)
    return unsigned, BatchSignature(added.key_id, key.sign(body))


def test_an_unsigned_batch_is_refused_where_signing_is_required(
    services: Services, engine_name: str
) -> None:
    unsigned, _ = _unsigned_batch(services, Ed25519PrivateKey.generate())
    before = services.ledger.head().size
    with pytest.raises(Forbidden, match="requires every batch to be signed"):
        post_batch(services.ledger, unsigned, now=NOW)
    assert services.ledger.head().size == before


def test_a_signature_must_verify_over_the_body(services: Services, engine_name: str) -> None:
    unsigned, signature = _unsigned_batch(services, Ed25519PrivateKey.generate())
    forged = BatchSignature(signature.key_id, Ed25519PrivateKey.generate().sign(unsigned.body))
    with pytest.raises(Forbidden, match="does not verify"):
        post_batch(services.ledger, _signed(unsigned, forged), now=NOW)
    answer = post_batch(services.ledger, _signed(unsigned, signature), now=NOW)
    assert len(answer.body["records"]) == 1


def _signed(request: BatchRequest, signature: BatchSignature) -> BatchRequest:
    return BatchRequest(
        request.institution,
        request.client,
        request.idempotency_key,
        request.body,
        request.records,
        signature,
    )
