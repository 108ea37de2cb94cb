"""Backup then restore into an empty database: same root, same answers, tampering refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from creditbank.backup.export import export_backup
from creditbank.backup.keys import export_learner_keys, import_learner_keys
from creditbank.backup.manifest import MANIFEST, file_digest
from creditbank.backup.restore import restore_backup
from creditbank.backup.seal import SEAL, write_seal
from creditbank.clock import utc_now
from creditbank.errors import BackupError
from creditbank.evaluations.tables import CommittedEvaluation
from creditbank.ledger.partitions import partitions
from creditbank.ledger.sequencer import NewEntry
from creditbank.records.tables import OutcomeRecord
from creditbank.schema import metadata
from creditbank.storage.database import read_connection
from creditbank.wiring import Services, initialise
from tests.api.world import World, bearer
from tests.backup.conftest import client_for, empty_instance
from tests.conftest import make_settings
from tests.ledger.helpers import entries


def _ids(services: Services, column: object) -> list[str]:
    with read_connection(services.engine) as connection:
        return sorted(connection.execute(select(column)).scalars())  # type: ignore[call-overload]


def _answers(client: FlaskClient, world: World, services: Services) -> dict[str, tuple[int, bytes]]:
    """Every log endpoint over the whole tree, and records, evaluations and a learner's view."""
    size = services.ledger.head().size
    paths: list[tuple[str, str | None]] = [
        ("/api/v1/log/checkpoint", None),
        ("/api/v1/log/key", None),
        (f"/api/v1/log/entries?start=0&end={size}", None),
        ("/api/v1/learners/me", "li"),
        (f"/api/v1/learners/{world.learners['li']}/records", "registrarA"),
    ]
    paths += [(f"/api/v1/log/proofs/inclusion?index={i}&size={size}", None) for i in range(size)]
    paths += [
        (f"/api/v1/log/proofs/consistency?first={m}&second={size}", None) for m in range(1, size)
    ]
    paths += [
        (f"/api/v1/records/{record}?history=true", "posterA")
        for record in _ids(services, OutcomeRecord.__table__.c.id)  # type: ignore[attr-defined]
    ]
    paths += [
        (f"/api/v1/evaluations/{evaluation}", "li")
        for evaluation in _ids(services, CommittedEvaluation.__table__.c.id)  # type: ignore[attr-defined]
    ]
    out = {}
    for path, who in paths:
        answer = client.get(path, headers=bearer(world.secret(who)))
        out[path] = (answer.status_code, answer.get_data())
    return out


def test_backup_then_restore_gives_the_same_log_and_answers(
    world: World, services: Services, target: Services, tmp_path: Path
) -> None:
    before = _answers(world.client, world, services)
    assert all(status == 200 for status, _ in before.values()), before
    manifest = export_backup(services.ledger, tmp_path / "backup", schema=metadata, now=utc_now())
    assert manifest.log.size == services.ledger.head().size == manifest.log.checkpoint_size
    # Every table but the learners' key store, which is backed up apart.
    assert set(manifest.tables) == set(metadata.tables) - {"learner_key"}
    assert export_learner_keys(services.engine, tmp_path / "learner-keys") == 2
    assert manifest.tables["evaluation"].rows == 2  # the evaluation and its appeal

    result = restore_backup(target.ledger, tmp_path / "backup", schema=metadata)
    assert import_learner_keys(target.engine, tmp_path / "learner-keys") == 2

    assert result.audit.root_hash == services.ledger.head().root_hash
    assert target.ledger.current_checkpoint().note == services.ledger.current_checkpoint().note
    assert _answers(client_for(target), world, target) == before
    # Sealed personal data came back still sealed, and opens with the copied keys.
    me = json.loads(before["/api/v1/learners/me"][1])
    assert me["name"] == "李明"
    # The restored bank keeps working: PostgreSQL's sequences were moved past restored ids.
    target.ledger.append([NewEntry("record.posted", "bank", {"n": 1})])
    assert target.ledger.publish_checkpoint().size == manifest.log.size + 1


def test_a_restore_into_partitions_makes_the_ones_its_log_needs(
    world: World,
    services: Services,
    target: Services,
    tmp_path: Path,
    pair: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if pair[1] != "postgres":
        pytest.skip("the log is partitioned on PostgreSQL only")
    services.ledger.append(entries(60))
    services.ledger.publish_checkpoint()
    before = _answers(world.client, world, services)
    export_backup(services.ledger, tmp_path / "backup", schema=metadata, now=utc_now())
    # The target is migrated by the restore, into partitions of 16 entries.
    monkeypatch.setenv("CREDITBANK_LOG_PARTITION_LEAVES", "16")
    restore_backup(target.ledger, tmp_path / "backup", schema=metadata)
    # The learners' keys travel apart from the backup (see the first test).
    export_learner_keys(services.engine, tmp_path / "learner-keys")
    import_learner_keys(target.engine, tmp_path / "learner-keys")
    size = services.ledger.head().size
    with read_connection(target.engine) as connection:
        made = partitions(connection, "ledger_entry")
    assert (made[0].end, made[-1].end) == (16, (size // 16 + 3) * 16)
    # Every log answer is the same bytes from the partitioned tables (and from SQLite's).
    assert _answers(client_for(target), world, target) == before


def _table_rows(services: Services, table: str) -> int:
    with read_connection(services.engine) as connection:
        return int(
            connection.execute(
                select(func.count()).select_from(metadata.tables[table])
            ).scalar_one()
        )


def test_a_tampered_file_is_refused_by_name(
    world: World, services: Services, tmp_path: Path
) -> None:
    target = empty_instance(services.settings, tmp_path / "restored")
    folder = tmp_path / "backup"
    export_backup(services.ledger, folder, schema=metadata, now=utc_now())
    path = folder / "outcome_record.jsonl"
    original = path.read_text(encoding="utf-8")
    assert '"li-1"' in original
    path.write_text(original.replace('"li-1"', '"li-9"'), "utf-8")
    with pytest.raises(BackupError, match=r"backup file outcome_record\.jsonl .*altered"):
        restore_backup(target.ledger, folder, schema=metadata)
    # Refused before anything was written (the target was not even migrated).
    with target.engine.connect() as connection:
        assert not connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        ).all()


def _rewrite_with_matching_hash(folder: Path, name: str, old: bytes, new: bytes) -> None:
    path = folder / f"{name}.jsonl"
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, 1))
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["tables"][name]["sha256"] = file_digest(path)[0]
    (folder / MANIFEST).write_text(json.dumps(manifest))


def test_a_file_altered_with_its_hash_in_the_manifest_is_refused_by_the_seal(
    world: World, services: Services, tmp_path: Path
) -> None:
    target = empty_instance(services.settings, tmp_path / "restored")
    folder = tmp_path / "backup"
    export_backup(services.ledger, folder, schema=metadata, now=utc_now())
    _rewrite_with_matching_hash(folder, "outcome_record", b'"li-1"', b'"li-9"')
    with pytest.raises(BackupError, match=r"manifest\.json differs from the one manifest\.sig"):
        restore_backup(target.ledger, folder, schema=metadata)
    (folder / SEAL).unlink()
    with pytest.raises(BackupError, match="the manifest is not sealed"):
        restore_backup(target.ledger, folder, schema=metadata)


def test_an_altered_entry_even_with_a_resealed_manifest_fails_the_audit_and_writes_nothing(
    world: World, services: Services, target: Services, tmp_path: Path
) -> None:
    folder = tmp_path / "backup"
    export_backup(services.ledger, folder, schema=metadata, now=utc_now())
    # Swap one stored leaf hash for another and re-seal with the log key itself (an insider):
    # the files still parse and the seal verifies; only the audit can tell.
    lines = (folder / "ledger_entry.jsonl").read_bytes().splitlines()
    third = json.loads(lines[3])["leaf_hash"].encode()
    second = json.loads(lines[2])["leaf_hash"].encode()
    _rewrite_with_matching_hash(folder, "ledger_entry", third, second)
    write_seal(folder, services.ledger.keyring, services.ledger.origin)
    with pytest.raises(BackupError, match="does not pass the audit: index 3: leaf hash"):
        restore_backup(target.ledger, folder, schema=metadata)
    assert _table_rows(target, "ledger_entry") == 0  # the load was rolled back
    assert _table_rows(target, "institution") == 0


def test_a_database_that_is_not_empty_is_refused(
    world: World, services: Services, tmp_path: Path
) -> None:
    folder = tmp_path / "backup"
    export_backup(services.ledger, folder, schema=metadata, now=utc_now())
    with pytest.raises(BackupError, match=r"not empty \(table institution has 2 rows\)"):
        restore_backup(services.ledger, folder, schema=metadata)


def test_other_log_keys_are_refused(world: World, services: Services, tmp_path: Path) -> None:
    folder = tmp_path / "backup"
    export_backup(services.ledger, folder, schema=metadata, now=utc_now())
    stranger = initialise(make_settings(tmp_path / "stranger"))  # its own new log key
    with pytest.raises(BackupError, match="log keys do not verify the backup's checkpoint"):
        restore_backup(stranger.ledger, folder, schema=metadata)
    stranger.close()


def test_export_refuses_a_table_it_does_not_know(services: Services, tmp_path: Path) -> None:
    with services.engine.begin() as connection:
        connection.execute(text("CREATE TABLE side_notes (id INTEGER PRIMARY KEY)"))
    with pytest.raises(BackupError, match="table side_notes is in the database but not"):
        export_backup(services.ledger, tmp_path / "backup", schema=metadata, now=utc_now())


def test_export_needs_a_new_or_empty_folder(services: Services, tmp_path: Path) -> None:
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "old.txt").write_text("x")
    with pytest.raises(BackupError, match="not an empty folder"):
        export_backup(services.ledger, tmp_path / "backup", schema=metadata, now=utc_now())


def test_restore_into_a_migrated_empty_database(
    world: World, services: Services, tmp_path: Path
) -> None:
    folder = tmp_path / "backup"
    manifest = export_backup(services.ledger, folder, schema=metadata, now=utc_now())
    blank = empty_instance(services.settings, tmp_path / "restored")
    blank.close()
    target = initialise(blank.settings)  # migrated: the genesis head row is there already
    result = restore_backup(target.ledger, folder, schema=metadata)
    assert result.audit.size == manifest.log.size
    assert target.ledger.head().root_hash == manifest.log.root_hash
    target.close()
