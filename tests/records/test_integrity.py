"""The record tables are checked against the log's committed payloads, by both audits.

A grade changed directly in ``record_version`` is served by the API (the rows are what it
reads), so only the audit can tell: it must name the change, raise the alarm and turn
``/healthz`` unhealthy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Connection, text

from creditbank.errors import AuditFailed
from creditbank.learners.data_keys import vault
from creditbank.operations.audit import check_stored_copies, full_audit, incremental_audit
from creditbank.records.contents import open_content, seal_content
from creditbank.storage.database import read_connection
from creditbank.wiring import Services
from tests.api.world import World, build_world, course
from tests.ledger.test_full_audit import tamper


@pytest.fixture
def world(client: FlaskClient, services: Services) -> World:
    return build_world(client, services)


def _post(world: World, key: str, grade: str = "86") -> tuple[str, int]:
    answer = world.post(
        "/api/v1/records",
        "posterA",
        {
            "records": [
                {
                    "learner_id": world.learners["li"],
                    **course(grade={"scale": "percent", "value": grade}),
                }
            ]
        },
        **{"Idempotency-Key": key},
    )
    assert answer.status_code == 201, answer.get_json()
    record = answer.get_json()["records"][0]
    return record["id"], record["index"]


def _regrade(old: str, new: str) -> Callable[[Connection], None]:
    """Change a grade in ``record_version`` as someone holding the keys could: open, edit, seal."""

    def edit(connection: Connection) -> None:
        box = vault(connection)
        rows = connection.execute(
            text(
                "SELECT v.record, v.version, v.content, r.learner FROM record_version v "
                "JOIN outcome_record r ON r.id = v.record"
            )
        ).all()
        for record, version, stored, learner in rows:
            content = open_content(box, learner, record, version, stored)
            if f'"{old}"' in content:
                changed = content.replace(f'"{old}"', f'"{new}"')
                connection.execute(
                    text(
                        "UPDATE record_version SET content = :content "
                        "WHERE record = :record AND version = :version"
                    ),
                    {
                        "content": seal_content(box, learner, record, version, changed),
                        "record": record,
                        "version": version,
                    },
                )

    return edit


def _audited(world: World) -> None:
    """Every check passes on the untouched bank, so the findings below come from the change."""
    incremental_audit(world.services.ledger, sample=1000)
    assert world.client.get("/healthz").status_code == 200


def _check_all(services: Services) -> int:
    with read_connection(services.engine) as connection:
        return check_stored_copies(connection, services.ledger.head().size)


def test_a_grade_changed_in_record_version_is_found(
    world: World, engine_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    record_id, index = _post(world, "k-1")
    _audited(world)
    tamper(
        world.services,
        _regrade("86", "99"),
    )
    # The API serves the changed grade: the rows are what it reads.
    shown = world.get(f"/api/v1/records/{record_id}", "posterA").get_json()
    assert shown["outcome"]["grade"]["value"] == "99"
    # The audit job compares sampled old entries with their rows and raises the alarm.
    with caplog.at_level(logging.CRITICAL), pytest.raises(AuditFailed) as caught:
        incremental_audit(world.services.ledger, sample=1000)
    assert (caught.value.finding.check, caught.value.finding.index) == ("record content", index)
    assert any(getattr(r, "alarm", None) == "ledger-audit" for r in caplog.records)
    health = world.client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["audit"]["first_bad_index"] == index
    assert "record content" in health.get_json()["audit"]["finding"]
    # `creditbank ledger verify` runs the same comparison over every record.
    with pytest.raises(AuditFailed, match="record content"):
        _check_all(world.services)


def test_a_change_made_before_the_audit_saw_it_is_found(world: World, engine_name: str) -> None:
    _post(world, "k-1")
    _audited(world)
    _, index = _post(world, "k-2", grade="70")
    tamper(
        world.services,
        _regrade("70", "90"),
    )
    with pytest.raises(AuditFailed) as caught:
        incremental_audit(world.services.ledger, sample=0)  # only the new entry is walked
    assert (caught.value.finding.check, caught.value.finding.index) == ("record content", index)


def _correct_and_revoke(world: World, record_id: str) -> None:
    corrected = world.post(
        f"/api/v1/records/{record_id}/corrections",
        "posterA",
        {"outcome": course(grade={"scale": "percent", "value": "91"}), "reason": "登分错误"},
    )
    assert corrected.status_code == 200, corrected.get_json()
    revoked = world.post(f"/api/v1/records/{record_id}/revocation", "posterA", {"reason": "撤销"})
    assert revoked.status_code == 200, revoked.get_json()


Change = Callable[[Connection, World], object]
CHANGES: dict[str, tuple[Change, str]] = {
    "reason": (
        lambda c, w: c.execute(text("UPDATE record_version SET reason = 'x' WHERE version = 2")),
        "record reason",
    ),
    "version deleted": (
        lambda c, w: c.execute(text("DELETE FROM record_version WHERE version = 3")),
        "record version missing",
    ),
    "un-revoked": (
        lambda c, w: c.execute(text("UPDATE outcome_record SET status = 'active'")),
        "record status",
    ),
    "moved to another learner": (
        lambda c, w: c.execute(
            text("UPDATE outcome_record SET learner = :other"), {"other": w.learners["wang"]}
        ),
        "record row",
    ),
    "action": (
        lambda c, w: c.execute(
            text("UPDATE record_version SET action = 'corrected' WHERE version = 3")
        ),
        "record action",
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_every_copied_fact_is_compared(world: World, engine_name: str, change: str) -> None:
    record_id, _ = _post(world, "k-1")
    _correct_and_revoke(world, record_id)
    assert _check_all(world.services) == 3
    edit, check = CHANGES[change]
    tamper(world.services, lambda connection: edit(connection, world))
    with pytest.raises(AuditFailed) as caught:
        _check_all(world.services)
    assert caught.value.finding.check == check
    with pytest.raises(AuditFailed):
        full_audit(world.services.ledger)


def test_a_forged_record_row_is_found_by_the_full_pass(world: World, engine_name: str) -> None:
    record_id, _ = _post(world, "k-1")
    tamper(
        world.services,
        lambda c: c.execute(
            text(
                "INSERT INTO outcome_record (id, learner, institution, source, kind, status, "
                "version, posted_at, updated_at) SELECT 'forged', learner, institution, source, "
                "kind, status, version, posted_at, updated_at FROM outcome_record WHERE id = :r"
            ),
            {"r": record_id},
        ),
    )
    with pytest.raises(AuditFailed) as caught:
        _check_all(world.services)
    assert caught.value.finding.check == "record row"
