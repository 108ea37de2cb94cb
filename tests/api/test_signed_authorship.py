"""Batches signed over their items: authorship a verifier checks without trusting the bank.

The institution signs the Merkle tree of its batch's items; a transcript of one record
carries that record's item, its proof, the signature and the signing key's log entry, and
the ``authorship`` check verifies the institution's signature. A bank that committed other
content than the institution signed is caught by that check alone.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask.testing import FlaskClient

from creditbank.records.signed_items import SignedItems, sign_items
from creditbank.transcripts.authorship import check_authorship
from creditbank.transcripts.evidence import CheckpointCache, check_evidence
from creditbank.wiring import Services
from tests.api.world import World, build_world, course

A = "CQ-GZ-001"


@pytest.fixture
def world(client: FlaskClient, services: Services) -> World:
    return build_world(client, services)


def _key(world: World) -> tuple[Ed25519PrivateKey, str]:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    added = world.post(
        f"/api/v1/institutions/{A}/keys",
        "adminA",
        {"public_key": base64.b64encode(public).decode()},
    )
    assert added.status_code == 201, added.get_json()
    return key, str(added.get_json()["key_id"])


def _post_signed(world: World, items: list[dict[str, Any]], header: str) -> Any:
    body = json.dumps({"records": items}, ensure_ascii=False).encode("utf-8")
    return world.client.post(
        "/api/v1/records",
        data=body,
        content_type="application/json",
        headers={
            "Authorization": f"Bearer {world.keys['posterA']}",
            "Idempotency-Key": f"signed-{len(header)}-{hash(header)}",
            "Creditbank-Signature": header,
        },
    )


def _items(world: World) -> list[dict[str, Any]]:
    return [
        {"learner_id": world.learners["li"], **course(course_code=f"JX{n}", credits=3.5)}
        for n in range(5)
    ]


def test_the_signature_over_items_is_checked_from_one_record(
    world: World, services: Services, engine_name: str
) -> None:
    key, key_id = _key(world)
    items = _items(world)
    signature = base64.b64encode(sign_items(A, items, key.sign)).decode()
    forged = base64.b64encode(sign_items(A, items[:4], key.sign)).decode()
    before = world.size()
    refused = _post_signed(world, items, f"keyid={key_id}; sig={forged}; over=items")
    assert refused.status_code == 403, refused.get_json()
    assert world.size() == before
    posted = _post_signed(world, items, f"keyid={key_id}; sig={signature}; over=items")
    assert posted.status_code == 201, posted.get_json()
    third = posted.get_json()["records"][3]["id"]

    answer = world.post("/api/v1/transcripts", "li", {"records": [third], "validity_days": 60})
    assert answer.status_code == 201, answer.get_json()
    credential = json.loads(answer.data)
    [nested] = credential["credentialSubject"]["verifiableCredential"]
    evidence = nested["evidence"]
    assert evidence[1]["ledgerPayload"]["key_id"] == key_id  # the key's own log entry
    committed = evidence[0]["ledgerPayload"]["signed_batch"]
    assert (committed["position"], committed["size"]) == (3, 5)
    assert committed["item"] == json.loads(json.dumps(items[3]))
    report = world.client.post("/api/v1/verify", json=credential).get_json()
    assert report["valid"] is True, report
    [authorship] = [c for c in report["checks"] if c["name"] == "authorship"]
    assert authorship["reason"] == f"posted by {A}, signed by {A} (key {key_id})"

    # A bank that committed another outcome than the one the institution signed.
    checkpoints = CheckpointCache(services.ledger.keyring.verifiers(), None)
    record = check_evidence(evidence[0], checkpoints)
    altered = json.loads(json.dumps(record.payload))
    altered["outcome"]["hours"] = 96
    problem, _ = check_authorship(
        dataclasses.replace(record, payload=altered), evidence, checkpoints
    )
    assert problem == "the signed item's outcome differs from the committed record"
    # ...or a signature by a key that is not the poster's.
    altered = json.loads(json.dumps(record.payload))
    altered["signed_batch"]["signature"] = base64.b64encode(
        Ed25519PrivateKey.generate().sign(b"x")
    ).decode()
    problem, _ = check_authorship(
        dataclasses.replace(record, payload=altered), evidence, checkpoints
    )
    assert problem == f"{A}'s signature over the batch's items does not verify"
    # ...or without the key's evidence.
    problem, _ = check_authorship(record, evidence[:1], checkpoints)
    assert problem is not None and "evidence of signing key" in problem


def test_the_signed_tree_is_the_items_as_posted() -> None:
    items = [{"n": n} for n in range(3)]
    tree = SignedItems.of(items)
    assert SignedItems.of_body(json.dumps({"records": items}).encode()).message(A) == tree.message(
        A
    )
    assert tree.message(A).startswith(b"creditbank-batch-items/v1\nCQ-GZ-001\n3\n")
    assert SignedItems.of(items[:2]).message(A) != tree.message(A)
    assert tree.committed(2)["proof"] and tree.committed(2)["item"] == {"n": 2}
