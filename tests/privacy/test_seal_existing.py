"""``creditbank learners seal-data``: what was stored before migration 0023 moves under the
learners' own keys, and reads and audits as before."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import insert, select, update

from creditbank.cli import main
from creditbank.clock import utc_now
from creditbank.learners.data_keys import vault
from creditbank.learners.service import learner_t, name_context
from creditbank.ledger.full_audit import audit_ledger
from creditbank.ledger.sequencer import NewEntry
from creditbank.ledger.service import Ledger
from creditbank.ledger.store import opening_t, sealed_opening_t
from creditbank.notices.service import Recipient, list_notices, notice_t
from creditbank.records.contents import open_content
from creditbank.records.service import record_t, version_t
from creditbank.storage.database import create_db_engine, read_connection, write_transaction
from creditbank.wiring import Services
from tests.api.world import World, course


@pytest.fixture
def world(base_world: World, engine_name: str) -> World:
    return base_world


def _as_before_0023(world: World, services: Services) -> int:
    """Put li's data back the way it was stored before 0023; return an entry in clear."""
    li = world.learners["li"]
    with write_transaction(services.engine) as connection:
        box = vault(connection)
        row = connection.execute(select(learner_t).where(learner_t.c.id == li)).one()
        name = box.open(li, row.name_sealed, context=name_context(li))
        connection.execute(
            update(learner_t)
            .where(learner_t.c.id == li)
            .values(name_sealed=services.sealer.seal(name, context=name_context(li)))
        )
        for version in connection.execute(
            select(version_t).join(record_t, record_t.c.id == version_t.c.record)
        ).all():
            plain = open_content(box, li, version.record, version.version, version.content)
            connection.execute(
                update(version_t).where(version_t.c.record == version.record).values(content=plain)
            )
        # A notice as it was written before: its parameters in clear.
        connection.execute(
            insert(notice_t).values(
                id="00000000-0000-4000-8000-000000000019",
                recipient_kind="learner",
                recipient=li,
                kind="transcript_revoked",
                params=json.dumps({"transcript": "t-0", "reason": "旧的原因"}, ensure_ascii=False),
                event_key="legacy-notice",
                created_at=utc_now(),
                read_at=None,
            )
        )
    # A log written without a key store keeps the opening in clear, as every one was.
    bare = create_db_engine(services.settings.database_url)
    try:
        ledger = Ledger(bare, services.ledger.keyring, origin=services.ledger.origin)
        payload = {"learner": li, "consent": "legacy", "institution": "CQ-GZ-001"}
        appended = ledger.append([NewEntry("consent.granted", "learner", payload)])
    finally:
        bare.dispose()
    return appended.first_index


def test_seal_data_moves_old_data_under_the_learners_keys(world: World, services: Services) -> None:
    li = world.learners["li"]
    posted = world.post(
        "/api/v1/records",
        "posterA",
        {"records": [{"learner_id": li, **course()}]},
        **{"Idempotency-Key": "legacy"},
    )
    assert posted.status_code == 201
    record = posted.get_json()["records"][0]["id"]
    before = world.get(f"/api/v1/records/{record}", "li").get_json()
    legacy = _as_before_0023(world, services)
    with read_connection(services.engine) as connection:
        row = connection.execute(select(learner_t).where(learner_t.c.id == li)).one()
        assert row.name_sealed.startswith("v1.")
        clear = connection.execute(
            select(opening_t.c.payload).where(opening_t.c.idx == legacy)
        ).scalar_one()
        assert li in bytes(clear).decode()
    # Still readable as it stands (the old forms open), before the step is run.
    assert world.get("/api/v1/learners/me", "li").get_json()["name"] == "李明"

    # The command runs in the test's application, on its services (closed by the fixture).
    app = world.client.application
    runner = CliRunner()
    info = ScriptInfo(create_app=lambda: app)
    done = runner.invoke(main, ["learners", "seal-data"], obj=info, catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert "1 identity fields, 1 record versions" in done.output, done.output
    assert "1 notices, 1 log openings" in done.output, done.output

    with read_connection(services.engine) as connection:
        row = connection.execute(select(learner_t).where(learner_t.c.id == li)).one()
        assert row.name_sealed.startswith("k1.")
        contents = connection.execute(select(version_t.c.content)).scalars().all()
        assert contents and all(content.startswith("k1.") for content in contents)
        assert (
            connection.execute(select(opening_t.c.idx).where(opening_t.c.idx == legacy)).first()
            is None
        )
        moved = connection.execute(
            select(sealed_opening_t.c.learner).where(sealed_opening_t.c.idx == legacy)
        ).scalar_one()
        assert moved == li
        audit_ledger(connection, services.ledger.keyring.verifiers(), services.ledger.origin)
    assert world.get("/api/v1/learners/me", "li").get_json()["name"] == "李明"
    assert world.get(f"/api/v1/records/{record}", "li").get_json() == before
    with read_connection(services.engine) as connection:
        [notice] = [
            n for n in list_notices(connection, Recipient.LEARNER, li) if n.id.endswith("19")
        ]
        stored = connection.execute(
            select(notice_t.c.params).where(notice_t.c.id == notice.id)
        ).scalar_one()
    assert stored.startswith("k1.") and notice.params["reason"] == "旧的原因"
    # Run again: nothing left to seal.
    again = runner.invoke(main, ["learners", "seal-data"], obj=info, catch_exceptions=False)
    assert again.output.strip() == (
        "sealed under learners' keys: 0 identity fields, 0 record versions, 0 transcripts, "
        "0 evaluation results, 0 notices, 0 log openings"
    )
