"""Closing an account and erasing it: the log stays whole, the data is gone from every copy.

Through HTTP on SQLite and PostgreSQL: a learner with a distinctive name, ID number and course
closes their account; after the grace period the erasure job destroys their data key. Then
the log verifies (``creditbank ledger verify`` and the full audit), its entries and proofs are
byte for byte what they were, no byte of the database, its write-ahead log, a backup taken
before the erasure or a database restored from that backup holds the name, the number or the
course, and the learner's transcript verifies as erased, not altered.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import select

from creditbank.backup.export import export_backup
from creditbank.backup.keys import export_learner_keys, import_learner_keys
from creditbank.backup.restore import restore_backup
from creditbank.cli import main
from creditbank.clock import utc_now
from creditbank.learners.service import learner_t, read_account
from creditbank.ledger.full_audit import audit_ledger
from creditbank.ledger.store import sealed_opening_t
from creditbank.privacy.erasure import erase_due
from creditbank.schema import metadata
from creditbank.storage.database import read_connection
from creditbank.transcripts.did import did_web_url
from creditbank.transcripts.issuer import trust_list
from creditbank.transcripts.offline import trust_from_url
from creditbank.transcripts.trust_list import read_trust_list
from creditbank.transcripts.verdict import VerdictClass
from creditbank.transcripts.verify import verify_transcript
from creditbank.wiring import Services
from tests.api.world import PASSWORD, World, course, resident_id
from tests.backup.conftest import empty_instance, target_postgres_url  # noqa: F401
from tests.web.conftest import post_form

NAME = "欧阳澜漪"
NUMBER = resident_id(birth="19990417", sequence="731")
TITLE = "量子刺绣工艺学"
CODE = "QZX-7781"
TITLE_EN = "Quantum Embroidery Craft"
REASON = "发给了错误的用人单位甲乙丙"
SECRETS = (NAME, NUMBER, TITLE, CODE, TITLE_EN, REASON)
POLICY = "cq-3plus2-industrial-robotics"


@pytest.fixture
def world(base_world: World, engine_name: str) -> World:
    return base_world


def _open_learner(world: World) -> str:
    document = {"kind": "resident_id", "number": NUMBER}
    opened = world.post("/api/v1/learners", "posterA", {"name": NAME, "document": document})
    assert opened.status_code == 201, opened.get_json()
    learner = str(opened.get_json()["id"])
    activated = world.post(
        "/api/v1/learners/activate",
        None,
        {
            "document": document,
            "activation_code": opened.get_json()["activation_code"],
            "password": PASSWORD,
        },
    )
    assert activated.status_code == 200, activated.get_json()
    world.learners["gone"] = learner
    world.tokens["gone"] = _sign_in(world).get_json()["token"]
    return learner


def _sign_in(world: World) -> Any:
    return world.post(
        "/api/v1/sessions",
        None,
        {"document": {"kind": "resident_id", "number": NUMBER}, "password": PASSWORD},
    )


def _post_course(world: World, learner: str, key: str) -> Any:
    item = course(course_code=CODE, title_zh=TITLE, title_en=TITLE_EN)
    return world.post(
        "/api/v1/records",
        "posterA",
        {"records": [{"learner_id": learner, **item}]},
        **{"Idempotency-Key": key},
    )


def _proofs(world: World, services: Services, size: int, watched: list[int]) -> dict[str, bytes]:
    """The log as a verifier sees it up to ``size``, as raw bytes: every entry, and every proof.

    Over HTTP the entries, the inclusion proofs of ``watched`` and some consistency proofs
    (few requests, under any rate limit); every other proof from the ledger itself.
    """
    answers: dict[str, bytes] = {}
    paths = [f"/api/v1/log/entries?start=0&end={size}"]
    paths += [f"/api/v1/log/proofs/inclusion?index={i}&size={size}" for i in watched]
    paths += [f"/api/v1/log/proofs/consistency?first={f}&second={size}" for f in (1, size // 2)]
    for path in paths:
        answer = world.client.get(path)
        assert answer.status_code == 200, (path, answer.get_json())
        answers[path] = answer.get_data()
    ledger = services.ledger
    for index in range(size):
        answers[f"inclusion {index}"] = b"".join(ledger.inclusion_proof(index, size))
    for first in range(1, size):
        answers[f"consistency {first}"] = b"".join(ledger.consistency_proof(first, size))
    return answers


def _files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def _holding(paths: list[Path]) -> list[tuple[str, str]]:
    """Which of the learner's values appear, as UTF-8 bytes, in which file."""
    found = []
    for path in paths:
        data = path.read_bytes()
        found += [(path.name, value) for value in SECRETS if value.encode("utf-8") in data]
    return found


def _wal_file(services: Services) -> str:
    """The name of the WAL segment being written now."""
    with services.engine.connect() as connection:
        return str(
            connection.exec_driver_sql("SELECT pg_walfile_name(pg_current_wal_lsn())").scalar_one()
        )


def _postgres_files(services: Services, since: str) -> list[Path]:
    """The files PostgreSQL keeps this test's schema in, and its WAL from segment ``since``.

    Pages are flushed first (CHECKPOINT); the WAL holds every row as it was written. Empty
    when the server's data directory cannot be read from here.
    """
    with services.engine.connect() as connection:
        connection.exec_driver_sql("CHECKPOINT")
        root = Path(connection.exec_driver_sql("SHOW data_directory").scalar_one())
        relations = connection.exec_driver_sql(
            "SELECT pg_relation_filepath(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
            "UNION SELECT pg_relation_filepath(c.reltoastrelid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.reltoastrelid <> 0"
        ).scalars()
        paths = [root / path for path in relations if path]
    if not os.access(root, os.R_OK | os.X_OK):
        return []
    until = _wal_file(services)
    wal = [p for p in (root / "pg_wal").iterdir() if p.is_file() and since <= p.name <= until]
    return [path for path in paths if path.is_file()] + wal


def _verify_fetching(world: World, services: Services, credential: Any) -> Any:
    """Verify as a relying party does with --fetch: the trust list, and the bank's pages."""
    identity = services.issuer_identity()
    origin = did_web_url(identity.current().did).removesuffix("/.well-known/did.json")
    trusted = read_trust_list(trust_list(identity, services.ledger.keyring.verifiers()))

    def fetch(url: str) -> bytes:
        assert url.startswith(origin + "/"), url
        return bytes(world.client.get(url.removeprefix(origin)).data)

    return verify_transcript(
        credential, trust_from_url(origin, trusted, now=utc_now(), fetch=fetch)
    )


def _verify_cli(app: Flask) -> Any:
    # The command runs in the test's application, on its services (closed by the fixture).
    runner = CliRunner()
    info = ScriptInfo(create_app=lambda: app)
    return runner.invoke(main, ["ledger", "verify"], obj=info, catch_exceptions=False)


def test_an_erased_learner_is_gone_from_every_copy_and_the_log_still_verifies(
    world: World,
    services: Services,
    engine_name: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    started = _wal_file(services) if engine_name == "postgres" else ""
    learner = _open_learner(world)
    posted = _post_course(world, learner, "erase-1")
    assert posted.status_code == 201, posted.get_json()
    # An evaluation reads the course (its result names the outcomes it used).
    until = (utc_now() + timedelta(days=30)).isoformat()
    consent = {"institution": "CQ-GZ-001", "scope": "evaluate", "valid_until": until}
    assert world.post("/api/v1/learners/me/consents", "gone", consent).status_code == 201
    assert world.post(f"/api/v1/policies/{POLICY}/publish", "operator", {}).status_code == 200
    request_body = {"learner_id": learner, "policy": POLICY, "on": "2026-09-01"}
    evaluated = world.post("/api/v1/evaluations", "registrarA", request_body)
    assert evaluated.status_code == 201, evaluated.get_json()
    evaluation = evaluated.get_json()["id"]
    shown = world.get(f"/api/v1/evaluations/{evaluation}", "registrarA").get_json()
    assert TITLE in json.dumps(shown, ensure_ascii=False)
    issued = world.post("/api/v1/transcripts", "gone", {"validity_days": 60})
    assert issued.status_code == 201, issued.get_json()
    credential = issued.get_json()
    # A second transcript, withdrawn in the learner's own words (kept in the log, sealed).
    second = world.post("/api/v1/transcripts", "gone", {"validity_days": 30}).get_json()
    withdrawn = world.post(
        f"/api/v1/transcripts/{second['id'].removeprefix('urn:uuid:')}/revocation",
        "gone",
        {"reason": REASON},
    )
    assert withdrawn.status_code == 200, withdrawn.get_json()
    code = world.get("/api/v1/transcripts", "gone").get_json()["transcripts"][-1][
        "verification_code"
    ]
    before = world.post("/api/v1/verify", None, credential).get_json()
    assert before["verdict"]["class"] == "valid", before
    assert _verify_fetching(world, services, credential).verdict.kind is VerdictClass.VALID
    # Nothing of the learner is written in clear, even before any erasure: it is all sealed.
    with read_connection(services.engine) as connection:
        sealed = connection.execute(
            select(sealed_opening_t.c.idx).where(sealed_opening_t.c.learner == learner)
        ).all()
    assert len(sealed) >= 3  # opened, the record, the transcript

    services.ledger.publish_checkpoint()
    size = services.ledger.head().size
    watched = [idx for (idx,) in sealed]
    log_before = _proofs(world, services, size, watched)
    checkpoint_before = services.ledger.current_checkpoint().note
    backup_before = tmp_path / "backup-before"
    export_backup(services.ledger, backup_before, schema=metadata, now=utc_now())

    # The learner closes the account: signed out at once, nothing more can be posted.
    refused = world.post("/api/v1/learners/me/closure", "gone", {"confirm": False})
    assert refused.status_code == 400, refused.get_json()
    closed = world.post("/api/v1/learners/me/closure", "gone", {"confirm": True})
    assert closed.status_code == 201, closed.get_json()
    assert closed.get_json()["ground"] == "learner_request"
    assert world.get("/api/v1/learners/me", "gone").status_code == 401
    # Its consents ended with it: the institution reads it no more.
    assert world.get(f"/api/v1/learners/{learner}/records", "registrarA").status_code == 403
    assert _sign_in(world).status_code == 401
    refused = _post_course(world, learner, "erase-2")
    assert refused.status_code == 400 and "closed" in json.dumps(refused.get_json()), refused
    # The key-store backup leaves a closed account's key out; the others' are in it.
    keys_file = tmp_path / "learner-keys"
    assert export_learner_keys(services.engine, keys_file) == 2
    assert learner not in keys_file.read_text(encoding="ascii")

    # Not before the grace period is over; then the scheduled job erases.
    assert (
        erase_due(services.ledger, services.data_keys, services.issuer_identity(), now=utc_now())
        is None
    )
    later = utc_now() + services.settings.retention.grace + timedelta(minutes=1)
    done = erase_due(services.ledger, services.data_keys, services.issuer_identity(), now=later)
    assert done is not None and done.startswith("erased 1 closed accounts"), done

    # The log: entries, proofs and the checkpoint are what they were; everything verifies.
    assert _proofs(world, services, size, watched) == log_before
    with read_connection(services.engine) as connection:
        assert checkpoint_before in [
            row.note for row in connection.execute(select(metadata.tables["ledger_checkpoint"]))
        ]
        report = audit_ledger(
            connection, services.ledger.keyring.verifiers(), services.ledger.origin
        )
        assert report.size == services.ledger.head().size > size
        row = connection.execute(select(learner_t).where(learner_t.c.id == learner)).one()
        assert (row.name_sealed, row.document_sealed, row.password_hash) == (None, None, None)
        account = read_account(connection, services.sealer, learner)
        assert (account.name, account.document_masked) == (None, None)
        left = connection.execute(
            select(sealed_opening_t.c.idx).where(sealed_opening_t.c.learner == learner)
        ).all()
    assert left == []
    verified = _verify_cli(world.client.application)
    entries = services.ledger.head().size
    assert verified.exit_code == 0 and f"ok: {entries} entries" in verified.output, verified.output

    # The transcript: erased, with the date, not altered (API and page alike).
    after = world.post("/api/v1/verify", None, credential).get_json()
    day = later.date().isoformat()
    assert after["verdict"]["class"] == "erased", after
    assert after["verdict"]["at"].startswith(day)
    assert after["verdict"]["summary"] == f"the learner's data was erased on {day}"
    assert after["valid"] is False
    page = post_form(
        world.client,
        "/verify",
        {"transcript": json.dumps(credential, ensure_ascii=False)},
        page="/verify",
    )
    assert f"学习者的数据已于 {day} 删除" in page.get_data(as_text=True)
    # By its online code: the kept transcript no longer opens, the verdict says why.
    by_code = world.client.get(f"/api/v1/verify/{code}").get_json()
    assert by_code["verdict"]["class"] == "erased" and by_code["valid"] is False, by_code
    assert f"学习者的数据已于 {day} 删除" in world.client.get(f"/verify/{code}").get_data(
        as_text=True
    )
    # Offline, fetching from the bank (what `creditbank verify --fetch URL` does): exit 8.
    fetched = _verify_fetching(world, services, credential).verdict
    assert (fetched.kind, fetched.exit_status) == (VerdictClass.ERASED, 8)
    assert fetched.headline("en") == f"the learner's data was erased on {day}"
    # What the evaluation read can no longer be opened either.
    assert world.get(f"/api/v1/evaluations/{evaluation}", "registrarA").status_code == 410

    # No copy holds the learner's name, number or course: the database (and its WAL on
    # SQLite), a backup taken before the erasure, and one taken after.
    backup_after = tmp_path / "backup-after"
    export_backup(services.ledger, backup_after, schema=metadata, now=utc_now())
    copies = _files(backup_before) + _files(backup_after)
    if engine_name == "sqlite":
        copies += _files(services.settings.instance_path)
    else:
        database = _postgres_files(services, started)
        if database:  # the server's files are readable here: its tables and WAL too
            assert any(path.parent.name == "pg_wal" for path in database)
            assert any(learner.encode("ascii") in path.read_bytes() for path in database)
        copies += database
    assert any(path.name.endswith(".sqlite3") for path in copies) == (engine_name == "sqlite")
    assert _holding(copies) == []
    # The grep reads the real copies: the account's (pseudonymous) id is in them, in clear.
    assert any(learner.encode("ascii") in path.read_bytes() for path in copies)

    # Restored from the backup taken before, with the key store's backup: the other learners
    # read as before, the erased one not at all, and the audit of the restored log passes.
    url = None if engine_name == "sqlite" else request.getfixturevalue("target_postgres_url")
    target = empty_instance(services.settings, tmp_path / "restored", url)
    try:
        restored = restore_backup(target.ledger, backup_before, schema=metadata)
        assert restored.audit.size == size
        assert import_learner_keys(target.engine, keys_file) == 2
        with read_connection(target.engine) as connection:
            assert read_account(connection, target.sealer, world.learners["li"]).name == "李明"
            assert read_account(connection, target.sealer, learner).name is None
        assert _holding(_files(target.settings.instance_path)) == []
    finally:
        target.close()
