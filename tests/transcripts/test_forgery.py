"""A transcript forged under the bank's did:web with the forger's own keys is refused.

Before the trust list, ``creditbank verify --keys forger-did.json`` and ``--fetch`` from the
forger's site accepted it. The forgery is sound in itself (a trust list pinning the forger's
key accepts it), so what refuses it is the verifier's anchoring alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from creditbank.cli import main
from creditbank.clock import utc_now
from creditbank.transcripts.did import did_document as build_did_document
from creditbank.transcripts.did import did_web_url
from creditbank.transcripts.issued import revoke_transcript
from creditbank.transcripts.issuer import trust_list
from creditbank.transcripts.offline import trust_from_files, trust_from_url
from creditbank.transcripts.status_lists import status_list_document
from creditbank.transcripts.trust_list import TrustList, read_trust_list, trust_list_document
from creditbank.transcripts.verdict import VerdictClass
from creditbank.transcripts.verify import verify_transcript
from creditbank.wiring import Services
from tests.conftest import ORIGIN
from tests.transcripts.forgery import Forgery, forge, serving, with_did_document
from tests.transcripts.helpers import Bank, issue, populate


@pytest.fixture
def bank(services: Services) -> Bank:
    return populate(services)


def _bank_list(services: Services) -> dict[str, Any]:
    return trust_list(services.issuer_identity(), services.ledger.keyring.verifiers())


def _log_keys(services: Services) -> list[str]:
    return [v.verifier_key() for v in services.ledger.keyring.verifiers()]


def _forgery(bank: Bank) -> tuple[dict[str, Any], Forgery]:
    genuine = issue(bank).credential
    did = bank.services.issuer_identity().current().did
    return genuine, forge(
        genuine,
        bank_did=did,
        bank_keys=bank.services.issuer_identity().keys.keys(),
        log_keys=_log_keys(bank.services),
        name="张伟",
    )


def _status(services: Services, credential: dict[str, Any]) -> dict[str, Any]:
    url = credential["credentialStatus"]["statusListCredential"]
    return {url: status_list_document(services.engine, int(url.rsplit("/", 1)[1]))}


def _files_trust(
    services: Services, listed: TrustList, credential: dict[str, Any], **kw: Any
) -> Any:
    return trust_from_files(listed, now=utc_now(), status_lists=_status(services, credential), **kw)


def test_the_forgery_is_sound_so_only_trust_anchors_refuse_it(bank: Bank) -> None:
    genuine, forgery = _forgery(bank)
    assert "张伟" in json.dumps(forgery.credential, ensure_ascii=False)
    # A verifier that trusted the forger's key would accept the renamed transcript.
    naive = read_trust_list(
        trust_list_document(forgery.did_document, None, _log_keys(bank.services))
    )
    report = verify_transcript(forgery.credential, _files_trust(bank.services, naive, genuine))
    assert report.verdict.kind is VerdictClass.VALID, report.to_json()
    # The bank's own trust list refuses it, naming the untrusted key.
    listed = read_trust_list(_bank_list(bank.services))
    report = verify_transcript(
        forgery.credential,
        _files_trust(bank.services, listed, genuine, did_documents=[forgery.did_document]),
    )
    assert report.verdict.kind is VerdictClass.ISSUER_NOT_TRUSTED
    assert report.verdict.check == "issuer key"
    assert forgery.method in report.check("issuer key").reason
    assert "which the trust list does not pin" in report.check("issuer key").reason
    # The genuine one verifies with the same trust, with or without the bank's DID document.
    assert verify_transcript(genuine, _files_trust(bank.services, listed, genuine)).valid


class _Cli:
    def __init__(self, services: Services, tmp_path: Path) -> None:
        self.runner = CliRunner(
            env={
                "CREDITBANK_INSTANCE": str(services.settings.instance_path),
                "CREDITBANK_LOG_ORIGIN": ORIGIN,
            }
        )
        self.tmp_path = tmp_path

    def file(self, name: str, document: Any) -> str:
        path = self.tmp_path / name
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        return str(path)

    def verify(self, *args: str) -> tuple[int, str]:
        result = self.runner.invoke(main, ["verify", *args], catch_exceptions=False)
        return result.exit_code, result.output


def test_offline_with_the_forgers_did_document_the_cli_refuses_it(
    bank: Bank, tmp_path: Path
) -> None:
    genuine, forgery = _forgery(bank)
    cli = _Cli(bank.services, tmp_path)
    trust = cli.file("trust.json", _bank_list(bank.services))
    (status,) = _status(bank.services, genuine).values()
    args = ["--trust", trust, "--keys", cli.file("did.json", forgery.did_document)]
    args += ["--status", cli.file("status.json", status)]
    code, output = cli.verify(cli.file("forged.json", forgery.credential), *args)
    assert code == 6, output
    assert "failed       the issuer's key" in output and "ISSUER NOT TRUSTED" in output
    code, output = cli.verify(cli.file("genuine.json", genuine), *args)
    assert code == 0 and "\nVALID" in output, output


@pytest.mark.parametrize("pinned", [False, True])
def test_fetching_from_the_forgers_site_the_cli_refuses_it(
    bank: Bank, app: Flask, tmp_path: Path, pinned: bool
) -> None:
    genuine, forgery = _forgery(bank)
    cli = _Cli(bank.services, tmp_path)
    trust = cli.file("trust.json", _bank_list(bank.services))
    did = bank.services.issuer_identity().current().did
    pin = ["--issuer", did] if pinned else []
    with serving(with_did_document(app.wsgi_app, forgery.did_document)) as site:
        code, output = cli.verify(
            cli.file("forged.json", forgery.credential), "--trust", trust, "--fetch", site, *pin
        )
        assert code == 6, output
        assert "ISSUER NOT TRUSTED" in output
        if pinned:
            # The genuine transcript still verifies there: status and proofs come from the
            # pinned address, keys only from the trust list.
            code, output = cli.verify(
                cli.file("genuine.json", genuine), "--trust", trust, "--fetch", site, *pin
            )
            assert code == 0, output
            assert (
                "passed       not revoked" in output
                and "passed       the checkpoint is consistent with the ledger" in output
            )


def test_a_revoked_transcript_fetched_at_a_pinned_address_exits_4(
    bank: Bank, app: Flask, tmp_path: Path
) -> None:
    issued = issue(bank)
    issue(bank)  # the log grows: the consistency proof is fetched too
    revoke_transcript(
        bank.services.ledger,
        bank.services.issuer_identity(),
        issued.id,
        bank.li,
        reason="moved on",
        now=utc_now(),
    )
    cli = _Cli(bank.services, tmp_path)
    trust = cli.file("trust.json", _bank_list(bank.services))
    did = bank.services.issuer_identity().current().did
    with serving(app.wsgi_app) as site:
        code, output = cli.verify(
            cli.file("t.json", issued.credential),
            "--trust",
            trust,
            "--fetch",
            site,
            "--issuer",
            did,
        )
    assert code == 4, output
    assert "REVOKED" in output and "failed       not revoked" in output
    code, output = cli.verify(
        cli.file("t.json", issued.credential), "--trust", trust, "--issuer", did
    )
    assert code == 2 and "--fetch" in output
    unknown = cli.verify(
        cli.file("t.json", issued.credential),
        "--trust",
        trust,
        "--fetch",
        "http://127.0.0.1:9",
        "--issuer",
        "did:web:evil.example",
    )
    assert unknown[0] == 2 and "did:web:evil.example is not on the trust list" in unknown[1]


def _fetcher(app: Flask, origin: str, pages: dict[str, bytes]) -> Callable[[str], bytes]:
    """The bank's site at its did:web origin, with ``pages`` answering instead where given."""
    client = app.test_client()

    def fetch(url: str) -> bytes:
        if url in pages:
            return pages[url]
        assert url.startswith(origin + "/"), url
        return client.get(url.removeprefix(origin)).data

    return fetch


def test_did_web_resolved_at_the_dids_own_address_adds_keys_and_refuses_a_forgers(
    bank: Bank, app: Flask
) -> None:
    services = bank.services
    genuine, forgery = _forgery(bank)
    did = services.issuer_identity().current().did
    origin = did_web_url(did).removesuffix("/.well-known/did.json")
    # A trust list naming the issuer and its log keys, pinning no signing key.
    unpinned = read_trust_list(
        {
            "type": "CreditbankTrustList",
            "version": 1,
            "issuers": [{"id": did, "logVerifierKey": _log_keys(services)}],
        }
    )
    pages: dict[str, bytes] = {}
    trust = trust_from_url(origin, unpinned, now=utc_now(), fetch=_fetcher(app, origin, pages))
    assert verify_transcript(genuine, trust).valid
    assert (
        verify_transcript(forgery.credential, trust).verdict.kind is VerdictClass.ISSUER_NOT_TRUSTED
    )
    # Served at the DID's own address, the forger's document (with its own log key) is refused.
    pages[did_web_url(did)] = json.dumps(forgery.did_document).encode()
    trust = trust_from_url(origin, unpinned, now=utc_now(), fetch=_fetcher(app, origin, pages))
    report = verify_transcript(forgery.credential, trust)
    assert report.verdict.kind is VerdictClass.ISSUER_NOT_TRUSTED
    assert "log keys the trust list lacks" in report.check("issuer key").reason
    # A document whose id is another DID lends the issuer nothing.
    other = build_did_document("did:web:evil.example", services.issuer_identity().keys.keys())
    pages[did_web_url(did)] = json.dumps(other).encode()
    trust = trust_from_url(origin, unpinned, now=utc_now(), fetch=_fetcher(app, origin, pages))
    report = verify_transcript(genuine, trust)
    assert report.verdict.kind is VerdictClass.ISSUER_NOT_TRUSTED
    assert "has id 'did:web:evil.example'" in report.check("issuer key").reason


def test_an_issuer_off_the_list_and_a_status_list_off_the_issuers_origin(bank: Bank) -> None:
    genuine, forgery = _forgery(bank)
    other = read_trust_list(
        trust_list_document(
            build_did_document("did:web:other-bank.example", []), None, _log_keys(bank.services)
        )
    )
    report = verify_transcript(genuine, _files_trust(bank.services, other, genuine))
    assert report.verdict.kind is VerdictClass.ISSUER_NOT_TRUSTED
    assert "is not on the trust list" in report.check("issuer key").reason
    # A transcript (trusted, for the test) naming a status list on another host.
    naive = read_trust_list(
        trust_list_document(forgery.did_document, None, _log_keys(bank.services))
    )
    moved = json.loads(
        json.dumps(forgery.credential).replace(
            genuine["credentialStatus"]["statusListCredential"], "https://evil.example/list/1"
        )
    )
    report = verify_transcript(moved, _files_trust(bank.services, naive, genuine))
    status = report.check("status")
    assert status.outcome == "failed" and "is not at the issuer's origin" in status.reason
