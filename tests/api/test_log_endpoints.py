"""The public transparency endpoints, checked as a client, witness or auditor would."""

from __future__ import annotations

import base64

import pytest
from flask.testing import FlaskClient

from creditbank.ledger.checkpoint import open_checkpoint
from creditbank.ledger.hashing import hash_leaf
from creditbank.ledger.note import parse_verifier_key
from creditbank.ledger.proof_checks import verify_consistency, verify_inclusion
from creditbank.wiring import Services
from tests.conftest import ORIGIN
from tests.ledger.helpers import entries


@pytest.fixture
def filled(services: Services) -> Services:
    services.ledger.append(entries(7))
    services.ledger.publish_checkpoint()
    services.ledger.append(entries(30, start=7))
    return services


def _checkpoint(client: FlaskClient):  # type: ignore[no-untyped-def]
    keys = client.get("/api/v1/log/key")
    assert keys.status_code == 200 and keys.mimetype == "text/plain"
    verifiers = [parse_verifier_key(line) for line in keys.text.splitlines()]
    response = client.get("/api/v1/log/checkpoint")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    checkpoint, _ = open_checkpoint(response.text, verifiers, ORIGIN)
    return checkpoint


def test_checkpoint_is_signed_and_current(client: FlaskClient, filled: Services) -> None:
    checkpoint = _checkpoint(client)
    assert checkpoint.origin == ORIGIN
    assert checkpoint.size == 37
    assert checkpoint.root_hash == filled.ledger.head().root_hash


def test_key_lists_newest_first(client: FlaskClient, filled: Services) -> None:
    old = client.get("/api/v1/log/key").text.splitlines()
    filled.ledger.rotate_key(actor="operator:console")
    new = client.get("/api/v1/log/key").text.splitlines()
    assert len(new) == 2 and new[1:] == old
    assert new[0].startswith(ORIGIN + "+")


def test_entries_then_inclusion_proofs(client: FlaskClient, filled: Services) -> None:
    checkpoint = _checkpoint(client)
    page = client.get("/api/v1/log/entries?start=0&end=100").get_json()["entries"]
    assert [item["index"] for item in page] == list(range(37))  # end clipped to the size
    for item in page:
        leaf = hash_leaf(base64.b64decode(item["data"]))
        proof = client.get(
            f"/api/v1/log/proofs/inclusion?index={item['index']}&size={checkpoint.size}"
        ).get_json()
        assert (proof["index"], proof["size"]) == (item["index"], checkpoint.size)
        hashes = [base64.b64decode(h) for h in proof["hashes"]]
        verify_inclusion(item["index"], checkpoint.size, leaf, hashes, checkpoint.root_hash)


def test_entries_page_is_bounded(client: FlaskClient, filled: Services) -> None:
    filled.ledger.page_size = 10
    page = client.get("/api/v1/log/entries?start=5&end=37").get_json()["entries"]
    assert [item["index"] for item in page] == list(range(5, 15))


def test_consistency_between_checkpoints(client: FlaskClient, filled: Services) -> None:
    first = _checkpoint(client)
    filled.ledger.append(entries(11, start=37))
    second = _checkpoint(client)
    assert (first.size, second.size) == (37, 48)
    proof = client.get(
        f"/api/v1/log/proofs/consistency?first={first.size}&second={second.size}"
    ).get_json()
    assert (proof["first"], proof["second"]) == (37, 48)
    verify_consistency(
        first.size,
        second.size,
        first.root_hash,
        second.root_hash,
        [base64.b64decode(h) for h in proof["hashes"]],
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/proofs/inclusion?index=37&size=37", "index"),
        ("/proofs/inclusion?index=0&size=38", "size"),
        ("/proofs/inclusion?index=0&size=0", "size"),
        ("/proofs/inclusion?index=-1&size=5", "index"),
        ("/proofs/inclusion?index=a&size=5", "index"),
        ("/proofs/inclusion?index=1.5&size=5", "index"),
        ("/proofs/inclusion?index=%201&size=5", "index"),
        ("/proofs/inclusion?index=99999999999999999999&size=5", "index"),
        ("/proofs/inclusion?size=5", "index"),
        ("/proofs/consistency?first=10&second=5", "first"),
        ("/proofs/consistency?first=0&second=5", "first"),
        ("/proofs/consistency?first=5&second=38", "second"),
        ("/proofs/consistency?first=5", "second"),
        ("/entries?start=37&end=40", "start"),
        ("/entries?start=5&end=5", "end"),
        ("/entries?start=x&end=5", "start"),
        ("/entries?end=5", "start"),
    ],
)
def test_bad_parameters_are_400_problems(
    client: FlaskClient, filled: Services, query: str, field: str
) -> None:
    response = client.get("/api/v1/log" + query)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 400
    assert problem["type"].startswith("urn:creditbank:problem:")
    assert problem["errors"][0]["field"] == field
    assert field in problem["detail"]


def test_unknown_route_is_a_problem(client: FlaskClient, filled: Services) -> None:
    response = client.get("/api/v1/log/nothing")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_same_size_and_index_zero(client: FlaskClient, filled: Services) -> None:
    single = client.get("/api/v1/log/proofs/inclusion?index=0&size=1").get_json()
    assert single["hashes"] == []
    same = client.get("/api/v1/log/proofs/consistency?first=7&second=7").get_json()
    assert same["hashes"] == []
