"""Transcripts issued before a backup still verify against the restored bank, online and offline."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from creditbank.backup.export import export_backup
from creditbank.backup.keys import export_learner_keys, import_learner_keys
from creditbank.backup.restore import restore_backup
from creditbank.clock import utc_now
from creditbank.schema import metadata
from creditbank.transcripts.issued import revoke_transcript
from creditbank.transcripts.offline import trust_from_files
from creditbank.transcripts.trust_list import read_trust_list
from creditbank.transcripts.verify import verify_transcript
from creditbank.wiring import Services
from tests.backup.conftest import client_for
from tests.transcripts.helpers import issue, populate


def _outcomes(report: dict[str, Any]) -> dict[str, str]:
    return {check["name"]: check["outcome"] for check in report["checks"]}


def test_transcripts_issued_before_a_backup_verify_against_the_restored_bank(
    services: Services, target: Services, tmp_path: Path
) -> None:
    bank = populate(services)
    kept = issue(bank)
    revoked = issue(bank, records=bank.li_records[:2])
    revoke_transcript(
        services.ledger,
        services.issuer_identity(),
        revoked.id,
        bank.li,
        reason="test",
        now=utc_now(),
    )
    source = client_for(services)
    assert source.post("/api/v1/verify", json=kept.credential).get_json()["valid"]

    export_backup(services.ledger, tmp_path / "backup", schema=metadata, now=utc_now())
    export_learner_keys(services.engine, tmp_path / "learner-keys")
    restore_backup(target.ledger, tmp_path / "backup", schema=metadata)
    # The key store is backed up apart: without it no kept transcript would open.
    import_learner_keys(target.engine, tmp_path / "learner-keys")
    client = client_for(target)

    # Online, through the restored service: the kept one is valid, the revoked one still revoked.
    answer = client.post("/api/v1/verify", json=kept.credential)
    assert answer.status_code == 200
    report = answer.get_json()
    assert report["valid"], report
    assert set(_outcomes(report).values()) == {"passed"}, report
    by_code = client.get(f"/api/v1/verify/{kept.code}").get_json()
    assert by_code["valid"] and by_code["transcript"] == kept.credential
    report = client.post("/api/v1/verify", json=revoked.credential).get_json()
    assert _outcomes(report)["status"] == "failed"
    assert [name for name, outcome in _outcomes(report).items() if outcome == "failed"] == [
        "status"
    ]
    # The restored bank issues new transcripts, at a status index not already taken.
    fresh = issue(replace(bank, services=target))
    assert client.post("/api/v1/verify", json=fresh.credential).get_json()["valid"]
    assert fresh.credential["credentialStatus"] != kept.credential["credentialStatus"]

    # Offline, with the restored bank's trust list, latest checkpoint and status list.
    document = read_trust_list(client.get("/.well-known/creditbank-trust-list.json").get_json())
    checkpoint = client.get("/api/v1/log/checkpoint").get_data(as_text=True)
    status_url = kept.credential["credentialStatus"]["statusListCredential"]
    status_path = status_url[status_url.index("/api/v1/") :]
    status_list = client.get(status_path).get_json()
    trust = trust_from_files(
        document,
        now=utc_now(),
        latest_checkpoint=checkpoint,
        status_lists={status_url: status_list},
    )
    offline = verify_transcript(kept.credential, trust)
    assert offline.valid and offline.failed == ()
    # The log grew after issuing; from files alone that is skipped (no proof), never failed.
    assert [c.name for c in offline.checks if c.outcome == "skipped"] == ["checkpoint consistency"]
    assert not verify_transcript(revoked.credential, trust).valid
