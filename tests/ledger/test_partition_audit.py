"""One partition of the log is audited alone against the latest signed checkpoint.

Partitions of 16 leaves (PostgreSQL: set when the migration runs; SQLite: ranges of 16).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import Connection

from creditbank.cli import main
from creditbank.config import Settings
from creditbank.errors import AuditFailed, LedgerError
from creditbank.ledger.partition_audit import PartitionReport, audit_partition
from creditbank.ledger.partitions import partitions
from creditbank.operations.partitions import make_ahead
from creditbank.storage.database import read_connection
from creditbank.wiring import Services, initialise
from tests.conftest import ORIGIN
from tests.ledger.helpers import entries
from tests.ledger.test_full_audit import _altered, _entry, _set_entry, tamper

LEAVES = 16
SIZE = 3 * LEAVES + 5


@pytest.fixture
def log(
    settings: Settings, engine_name: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Services]:
    monkeypatch.setenv("CREDITBANK_LOG_PARTITION_LEAVES", str(LEAVES))
    services = initialise(settings)
    try:
        for start in range(0, SIZE, 10):
            services.ledger.append(entries(min(10, SIZE - start), start=start))
            make_ahead(services.engine)  # as the scheduled job does
        services.ledger.publish_checkpoint()
        yield services
    finally:
        services.close()


def audit(services: Services, number: int) -> PartitionReport:
    with read_connection(services.engine) as connection:
        return audit_partition(
            connection,
            number,
            services.ledger.keyring.verifiers(),
            services.ledger.origin,
            unpartitioned=LEAVES,
        )


def test_every_partition_audits_clean(log: Services, engine_name: str) -> None:
    reports = [audit(log, number) for number in range(4)]
    assert [(r.first, r.end) for r in reports] == [(0, 16), (16, 32), (32, 48), (48, SIZE)]
    # A whole partition completes its one stored node (level 4); the partial last one none.
    assert [r.nodes_checked for r in reports] == [1, 1, 1, 0]
    with pytest.raises(LedgerError, match="no signed checkpoint covers partition 4"):
        audit(log, 4)
    if engine_name == "postgres":
        with read_connection(log.engine) as connection:
            assert len(partitions(connection, "ledger_entry")) == SIZE // LEAVES + 3


def test_an_altered_entry_fails_its_partition_alone(log: Services, engine_name: str) -> None:
    def alter(connection: Connection) -> None:
        _set_entry(connection, 20, _altered(_entry(connection, 20)), leaf=True)

    tamper(log, alter)
    with pytest.raises(AuditFailed) as failed:
        audit(log, 1)
    assert (failed.value.finding.check, failed.value.finding.index) == ("hash chain", 20)
    for number in (0, 2, 3):
        audit(log, number)


def test_a_consistent_rewrite_is_caught_by_the_signed_root(log: Services, engine_name: str) -> None:
    # The last entry: no later link and no stored node to betray it, only the checkpoint.
    def alter(connection: Connection) -> None:
        _set_entry(connection, SIZE - 1, _altered(_entry(connection, SIZE - 1)), leaf=True)

    tamper(log, alter)
    with pytest.raises(AuditFailed) as failed:
        audit(log, 3)
    assert failed.value.finding.check == "checkpoint root"
    # Every other partition's path to the root passes beside this one's (rewritten) leaves.
    for number in (0, 1, 2):
        with pytest.raises(AuditFailed, match="checkpoint root"):
            audit(log, number)


def test_the_command_audits_one_partition(
    log: Services, settings: Settings, engine_name: str
) -> None:
    if engine_name == "postgres":
        pytest.skip("the command's own engine outlives a test; the audit ran on PostgreSQL above")
    runner = CliRunner(
        env={
            "CREDITBANK_INSTANCE": str(settings.instance_path),
            "CREDITBANK_DATABASE_URL": settings.database_url,
            "CREDITBANK_LOG_ORIGIN": ORIGIN,
        }
    )
    done = runner.invoke(main, ["ledger", "verify", "--partition", "0"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    # SQLite: the default range of 2^20 indices holds the whole log.
    assert f"ok: partition 0, entries 0..{SIZE - 1}, 3 interior nodes" in done.output
