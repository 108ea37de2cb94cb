"""Migration 0010 converts a log written in the former layout, on both engines.

The former layout: BIGINT keys on SQLite and a node row for every complete subtree of level 3
or above. The log is built at revision 0007 (the sequencer's rows, plus the node rows the
former code also wrote), upgraded, and then proven, appended to and audited.
"""

from __future__ import annotations

from alembic import command
from click.testing import CliRunner
from sqlalchemy import func, insert, select, text

from creditbank.cli import main
from creditbank.config import Settings
from creditbank.ledger.full_audit import audit_ledger
from creditbank.ledger.nodes import node_position
from creditbank.ledger.proof_checks import verify_consistency, verify_inclusion
from creditbank.ledger.proofs import MemoryTree, consistency_proof, inclusion_proof, root_hash
from creditbank.ledger.sequencer import append_entries
from creditbank.ledger.store import StoredNodes, node_t
from creditbank.storage.database import create_db_engine, read_connection, write_transaction
from creditbank.storage.migrate import alembic_config, current_revision, head_revision, upgrade
from creditbank.wiring import initialise
from tests.conftest import ORIGIN
from tests.ledger.helpers import entries

BEFORE = "0007"
SIZE = 300


def _former_log(url: str) -> MemoryTree:
    """Build a log at revision 0007 exactly as the former code laid it out."""
    engine = create_db_engine(url)
    try:
        upgrade(engine, BEFORE)
        tree = MemoryTree()
        for start in range(0, SIZE, 70):
            with write_transaction(engine) as connection:
                result = append_entries(connection, entries(min(70, SIZE - start), start=start))
            for leaf in result.leaf_hashes:
                tree.append(leaf)
        with write_transaction(engine) as connection:
            present = set(connection.execute(select(node_t.c.id)).scalars())
            former = [
                {"id": node, "hash": tree.node(*node_position(node))}
                for node in _complete_nodes(SIZE, lowest_level=3)
                if node not in present
            ]
            connection.execute(insert(node_t), former)
        return tree
    finally:
        engine.dispose()


def _complete_nodes(size: int, *, lowest_level: int) -> list[int]:
    return [
        (index << (level + 1)) + (1 << level) - 1
        for level in range(lowest_level, size.bit_length())
        for index in range(size >> level)
    ]


def _node_count(url: str) -> int:
    engine = create_db_engine(url)
    try:
        with read_connection(engine) as connection:
            return int(connection.execute(select(func.count()).select_from(node_t)).scalar_one())
    finally:
        engine.dispose()


def _check_upgrade(settings: Settings) -> None:
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    tree = _former_log(settings.database_url)
    assert _node_count(settings.database_url) == len(_complete_nodes(SIZE, lowest_level=3))
    services = initialise(settings)  # migrates to head
    try:
        assert current_revision(services.engine) == head_revision(services.engine)
        assert _node_count(settings.database_url) == SIZE // 16 + SIZE // 256
        with read_connection(services.engine) as connection:
            nodes = StoredNodes(connection)
            for size in range(1, SIZE + 1):
                root = root_hash(nodes, size)
                assert root == root_hash(tree, size)
                for index in {0, size // 2, size - 1}:
                    proof = inclusion_proof(nodes, index, size)
                    verify_inclusion(index, size, tree.node(0, index), proof, root)
                first = max(1, size // 3)
                proof = consistency_proof(nodes, first, size)
                verify_consistency(first, size, root_hash(tree, first), root, proof)
        services.ledger.publish_checkpoint()
        services.ledger.append(entries(50, start=SIZE))
        services.ledger.publish_checkpoint()
        with read_connection(services.engine) as connection:
            report = audit_ledger(connection, services.ledger.keyring.verifiers(), ORIGIN)
        assert report.size == SIZE + 50
        # The triggers came back with the rebuilt tables.
        with write_transaction(services.engine) as connection:
            try:
                connection.execute(text("DELETE FROM ledger_entry WHERE idx = 1"))
            except Exception as exc:  # the driver's error type differs per engine
                assert "append-only" in str(exc)
            else:
                raise AssertionError("DELETE on ledger_entry was accepted after the migration")
    finally:
        services.close()


def _sqlite_schema(url: str) -> tuple[str, set[str]]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            ddl = connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'ledger_entry'"
            ).scalar_one()
            triggers = set(
                connection.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                ).scalars()
            )
    finally:
        engine.dispose()
    return ddl, triggers


def test_upgrade_converts_a_former_log(settings: Settings, engine_name: str) -> None:
    _check_upgrade(settings)
    if engine_name != "sqlite":
        return  # the audit in _check_upgrade covered PostgreSQL; the CLI runs on SQLite below
    ddl, triggers = _sqlite_schema(settings.database_url)
    assert "idx INTEGER NOT NULL" in ddl  # the row id itself, no second index
    assert {
        "ledger_entry_no_update",
        "ledger_entry_no_delete",
        "ledger_node_no_update",
        "ledger_node_no_delete",
        "ledger_opening_no_update",
    } <= triggers
    runner = CliRunner(
        env={
            "CREDITBANK_INSTANCE": str(settings.instance_path),
            "CREDITBANK_DATABASE_URL": settings.database_url,
            "CREDITBANK_LOG_ORIGIN": ORIGIN,
        }
    )
    verified = runner.invoke(main, ["ledger", "verify"], catch_exceptions=False)
    assert verified.exit_code == 0, verified.output
    assert f"ok: {SIZE + 50} entries" in verified.output


def test_downgrade_restores_the_former_nodes(settings: Settings, engine_name: str) -> None:
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    tree = _former_log(settings.database_url)
    engine = create_db_engine(settings.database_url)
    try:
        upgrade(engine, "head")
        command.downgrade(alembic_config(engine), BEFORE)
        with read_connection(engine) as connection:
            rows = connection.execute(select(node_t.c.id, node_t.c.hash))
            stored = {node: digest for node, digest in rows}
    finally:
        engine.dispose()
    expected = _complete_nodes(SIZE, lowest_level=3)
    assert sorted(stored) == sorted(expected)
    assert all(stored[node] == tree.node(*node_position(node)) for node in expected)
