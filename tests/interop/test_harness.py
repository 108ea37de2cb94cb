"""The Node.js verifier itself, proven on the W3C vc-di-eddsa eddsa-jcs-2022 vector.

The vector is read in place from ``../shared`` (skipped where absent). Its issuer, an https URL,
is not the controller of the did:key that signed it, so these tests use ``--purpose assertion``
(the key may assert) rather than the default that also binds the issuer to the key; one test
shows that default at work. The vector names ``https://www.w3.org/ns/credentials/examples/v2``,
which no npm package carries: the test serves that context's one-line published body (an
``@vocab`` for the examples namespace) from a temporary file.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.interop.node_verifier import describe, requires_node, run_verifier
from tests.shared_vectors import requires_shared, shared_dir

pytestmark = [requires_node, requires_shared]

EXAMPLES_URL = "https://www.w3.org/ns/credentials/examples/v2"
EXAMPLES_CONTEXT = {"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}


def signed_vector() -> dict[str, Any]:
    path = shared_dir() / "vectors" / "vc-di-eddsa" / "eddsa-jcs-2022" / "signedJCS.json"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture
def examples_args(tmp_path: Path) -> list[str]:
    context = tmp_path / "examples-v2.jsonld"
    context.write_text(json.dumps(EXAMPLES_CONTEXT), encoding="utf-8")
    return ["--purpose", "assertion", "--context", f"{EXAMPLES_URL}={context}"]


def test_accepts_the_signed_vector(examples_args: list[str]) -> None:
    status, results = run_verifier([signed_vector()], args=examples_args)
    assert status == 0, describe(results)
    assert [r["path"] for r in results] == ["$[0]"]
    assert results[0]["checks"] == {"safeMode": "ok", "proof": "ok", "status": "none"}


def test_reads_a_file_as_well_as_standard_input(examples_args: list[str]) -> None:
    path = shared_dir() / "vectors" / "vc-di-eddsa" / "eddsa-jcs-2022" / "signedJCS.json"
    status, results = run_verifier(files=[path], args=examples_args)
    assert status == 0, describe(results)
    assert results[0]["path"] == "$"
    assert results[0]["id"] == "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33"


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("credentialSubject", "alumniOf"), "The School of Exemples"),
        (("validFrom",), "2023-01-01T00:00:01Z"),
        (("id",), "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc34"),
        (("proof", "created"), "2023-02-24T23:36:39Z"),
    ],
    ids=["subject", "date", "id", "proof-created"],
)
def test_rejects_an_altered_field(
    examples_args: list[str], where: tuple[str, ...], value: str
) -> None:
    altered = signed_vector()
    target = altered
    for key in where[:-1]:
        target = target[key]
    assert target[where[-1]] != value
    target[where[-1]] = value
    status, results = run_verifier([altered], args=examples_args)
    assert status == 1
    assert results[0]["checks"]["proof"] == "failed"
    assert any("Invalid signature" in error for error in results[0]["errors"])


def test_rejects_a_flipped_proof_value(examples_args: list[str]) -> None:
    altered = signed_vector()
    value = altered["proof"]["proofValue"]
    # Swap one base58 character for another: still well-formed, a different signature.
    altered["proof"]["proofValue"] = value[:10] + ("A" if value[10] != "A" else "B") + value[11:]
    status, results = run_verifier([altered], args=examples_args)
    assert status == 1
    assert results[0]["checks"]["proof"] == "failed"


def test_binds_the_issuer_to_the_signing_key_by_default(tmp_path: Path) -> None:
    context = tmp_path / "examples-v2.jsonld"
    context.write_text(json.dumps(EXAMPLES_CONTEXT), encoding="utf-8")
    status, results = run_verifier(
        [signed_vector()], args=["--context", f"{EXAMPLES_URL}={context}"]
    )
    assert status == 1
    assert results[0]["errors"] == [
        "proof: Credential issuer must match the verification method controller."
    ]


def test_refuses_a_context_it_does_not_know() -> None:
    # Without the examples context the loader must refuse its URL, never fetch it.
    status, results = run_verifier([signed_vector()], args=["--purpose", "assertion"])
    assert status == 1
    assert results[0]["checks"]["safeMode"] == "failed"
    assert any(
        "Document not found in document loader: " + EXAMPLES_URL in error
        for error in results[0]["errors"]
    )


def test_refuses_a_did_web_key_without_its_document(examples_args: list[str]) -> None:
    altered = copy.deepcopy(signed_vector())
    altered["proof"]["verificationMethod"] = "did:web:creditbank.example#key-1"
    status, results = run_verifier([altered], args=examples_args)
    assert status == 1
    assert any("DID not known to this offline verifier" in e for e in results[0]["errors"])
