"""The scheduled audit: incremental runs, samples, the nightly pass, and the alarm in /healthz."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from creditbank.clock import utc_now
from creditbank.errors import AuditFailed
from creditbank.ledger.erasure import erase_opening
from creditbank.operations.audit import (
    full_audit,
    incremental_audit,
    partition_audit,
    read_status,
)
from creditbank.storage.database import read_connection
from creditbank.wiring import Services
from tests.ledger.helpers import entries
from tests.ledger.test_full_audit import _altered, _entry, _set_entry, tamper


def _grow(services: Services, count: int, start: int) -> None:
    services.ledger.append(entries(count, start=start))
    services.ledger.publish_checkpoint()


def _status(services: Services):  # type: ignore[no-untyped-def]
    with read_connection(services.engine) as connection:
        return read_status(connection)


def test_incremental_runs_check_only_new_entries(services: Services, engine_name: str) -> None:
    _grow(services, 20, 0)
    assert "20 new entries" in incremental_audit(services.ledger, sample=0)
    _grow(services, 13, 20)
    detail = incremental_audit(services.ledger, sample=5)
    assert "13 new entries" in detail and "5 sampled" in detail
    status = _status(services)
    assert status.audited_size == 33 and status.root_hash == services.ledger.head().root_hash
    assert not status.failed
    # The nightly pass agrees, and so does an incremental run after it.
    assert "33 entries" in full_audit(services.ledger)
    assert "0 new entries" in incremental_audit(
        services.ledger, sample=services.settings.operations.audit_sample
    )


@pytest.mark.parametrize("fix_leaf_hash", [False, True], ids=["data-only", "with-leaf-hash"])
def test_an_entry_altered_before_it_was_audited(
    services: Services, engine_name: str, fix_leaf_hash: bool
) -> None:
    _grow(services, 10, 0)
    incremental_audit(services.ledger, sample=0)
    _grow(services, 10, 10)
    tamper(services, lambda c: _set_entry(c, 14, _altered(_entry(c, 14)), leaf=fix_leaf_hash))
    with pytest.raises(AuditFailed) as caught:
        incremental_audit(services.ledger, sample=0)
    assert caught.value.finding.index == 14
    status = _status(services)
    assert status.failed and status.finding_index == 14 and status.audited_size == 10


def test_an_old_entry_altered_is_found_by_the_sample(
    services: Services, engine_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    _grow(services, 24, 0)
    incremental_audit(services.ledger, sample=0)
    tamper(services, lambda c: _set_entry(c, 5, _altered(_entry(c, 5)), leaf=True))
    # Nothing new to walk: only the sample (here of every old entry) can see it.
    with caplog.at_level(logging.CRITICAL), pytest.raises(AuditFailed) as caught:
        incremental_audit(services.ledger, sample=1000)
    assert caught.value.finding.index == 5
    assert any("ALARM" in r.getMessage() for r in caplog.records)
    # The alarm stays up on later runs until a clean full pass.
    with pytest.raises(AuditFailed):
        incremental_audit(services.ledger, sample=0)
    with pytest.raises(AuditFailed):
        full_audit(services.ledger)
    assert _status(services).failed


def test_healthz_reports_the_alarm_with_the_first_bad_index(
    client: FlaskClient, services: Services, engine_name: str
) -> None:
    _grow(services, 12, 0)
    incremental_audit(services.ledger, sample=services.settings.operations.audit_sample)
    healthy = client.get("/healthz")
    assert healthy.status_code == 200
    assert healthy.get_json()["audit"] == {
        "status": "ok",
        "audited_size": 12,
        "checked_age_seconds": healthy.get_json()["audit"]["checked_age_seconds"],
        "full_pass_age_seconds": None,
    }
    _grow(services, 4, 12)
    tamper(services, lambda c: _set_entry(c, 13, _altered(_entry(c, 13)), leaf=False))
    with pytest.raises(AuditFailed):
        incremental_audit(services.ledger, sample=services.settings.operations.audit_sample)
    answer = client.get("/healthz")
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["status"] == "unhealthy" and body["database"] == "ok"
    assert body["audit"]["status"] == "failed" and body["audit"]["first_bad_index"] == 13
    assert "leaf hash" in body["audit"]["finding"]


def test_an_opening_deleted_behind_the_service_is_found(
    services: Services, engine_name: str
) -> None:
    _grow(services, 12, 0)
    incremental_audit(services.ledger, sample=0)
    tamper(services, lambda c: c.execute(text("DELETE FROM ledger_opening WHERE idx = 4")))
    with pytest.raises(AuditFailed) as caught:
        incremental_audit(services.ledger, sample=1000)
    assert (caught.value.finding.check, caught.value.finding.index) == ("missing opening", 4)
    with pytest.raises(AuditFailed, match="missing opening"):
        full_audit(services.ledger)


def test_an_erased_opening_is_not_a_finding(services: Services, engine_name: str) -> None:
    _grow(services, 12, 0)
    with services.engine.begin() as connection:
        erase_opening(connection, 4, reason="learner asked", now=utc_now())
    incremental_audit(services.ledger, sample=1000)
    assert "12 entries" in full_audit(services.ledger)


def test_the_latest_checkpoint_deleted_behind_the_service_is_found(
    services: Services, engine_name: str
) -> None:
    _grow(services, 6, 0)
    _grow(services, 6, 6)
    incremental_audit(services.ledger, sample=0)
    tamper(
        services,
        lambda c: c.execute(
            text("DELETE FROM ledger_checkpoint WHERE id = (SELECT max(id) FROM ledger_checkpoint)")
        ),
    )
    with pytest.raises(AuditFailed) as caught:
        incremental_audit(services.ledger, sample=0)
    assert caught.value.finding.check == "missing checkpoint"
    with pytest.raises(AuditFailed, match="missing checkpoint"):
        full_audit(services.ledger)


def test_the_partition_job_rereads_one_partition_and_raises_the_alarm(
    services: Services, engine_name: str
) -> None:
    assert partition_audit(services.ledger) is None  # nothing signed yet
    _grow(services, 30, 0)
    assert partition_audit(services.ledger) == (
        "partition 0 ok: entries 0..29, 1 nodes, within the checkpoint of size 30"
    )
    tamper(services, lambda c: _set_entry(c, 7, _altered(_entry(c, 7)), leaf=True))
    with pytest.raises(AuditFailed):
        partition_audit(services.ledger, number=0)
    status = _status(services)
    assert status.failed and status.finding_index == 7
