"""The audit catches a log changed behind the service's back (triggers dropped first)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import Connection, text

from creditbank.clock import utc_now
from creditbank.errors import AuditFailed
from creditbank.ledger.checkpoint import Checkpoint, sign_checkpoint
from creditbank.ledger.full_audit import AuditReport, audit_ledger
from creditbank.ledger.hashing import hash_leaf
from creditbank.ledger.note import NoteSigner
from creditbank.ledger.sequencer import NewEntry
from creditbank.storage.database import is_sqlite, read_connection
from creditbank.wiring import Services
from tests.ledger.helpers import entries

TABLES = (
    "ledger_entry",
    "ledger_node",
    "ledger_checkpoint",
    "ledger_opening",
    "ledger_sealed_opening",
)


def drop_triggers(connection: Connection) -> None:
    """What an attacker with database access does first."""
    if is_sqlite(connection):
        names = connection.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        ).scalars()
        for name in list(names):
            connection.execute(text(f"DROP TRIGGER {name}"))
    else:
        for table in TABLES:
            connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))


def audit(services: Services) -> AuditReport:
    ledger = services.ledger
    with read_connection(services.engine) as connection:
        return audit_ledger(connection, ledger.keyring.verifiers(), ledger.origin)


@pytest.fixture
def log(services: Services) -> Services:
    """A log of 20 entries in four batches with a checkpoint after each."""
    for batch in range(4):
        services.ledger.append(entries(5, start=5 * batch))
        services.ledger.publish_checkpoint()
    return services


def tamper(services: Services, change: Callable[[Connection], None]) -> None:
    with services.engine.begin() as connection:
        drop_triggers(connection)
        change(connection)


def _entry(connection: Connection, idx: int) -> bytes:
    return bytes(
        connection.execute(
            text("SELECT data FROM ledger_entry WHERE idx = :i"), {"i": idx}
        ).scalar_one()
    )


def _set_entry(connection: Connection, idx: int, data: bytes, *, leaf: bool) -> None:
    connection.execute(
        text("UPDATE ledger_entry SET data = :d WHERE idx = :i"), {"d": data, "i": idx}
    )
    if leaf:
        connection.execute(
            text("UPDATE ledger_entry SET leaf_hash = :h WHERE idx = :i"),
            {"h": hash_leaf(data), "i": idx},
        )


def _altered(data: bytes) -> bytes:
    envelope = json.loads(data)
    envelope["actor"] = "institution:FORGED"
    return json.dumps(envelope, sort_keys=True, separators=(",", ":")).encode()


def test_clean_log_passes(log: Services, engine_name: str) -> None:
    report = audit(log)
    assert (report.size, report.checkpoints_checked) == (20, 4)
    assert report.root_hash == log.ledger.head().root_hash
    # Complete subtrees are stored at every fourth level (16, 256, … leaves): for 20 leaves,
    # the one of leaves 0..15.
    assert report.nodes_checked == 1


def test_empty_log_passes(services: Services) -> None:
    services.ledger.publish_checkpoint()
    assert audit(services).size == 0


@pytest.mark.parametrize("fix_leaf_hash", [False, True], ids=["data-only", "with-leaf-hash"])
def test_altered_entry(log: Services, engine_name: str, fix_leaf_hash: bool) -> None:
    tamper(log, lambda c: _set_entry(c, 7, _altered(_entry(c, 7)), leaf=fix_leaf_hash))
    with pytest.raises(AuditFailed) as caught:
        audit(log)
    finding = caught.value.finding
    assert finding.index == 7
    assert finding.check == ("hash chain" if fix_leaf_hash else "leaf hash")


def test_altered_last_entry_caught_by_checkpoint(log: Services, engine_name: str) -> None:
    tamper(log, lambda c: _set_entry(c, 19, _altered(_entry(c, 19)), leaf=True))
    with pytest.raises(AuditFailed) as caught:
        audit(log)
    assert caught.value.finding.check == "checkpoint root"
    assert caught.value.finding.index == 15  # the last checkpoint that agreed covered 0..14
    assert "[15, 20)" in caught.value.finding.detail


def test_altered_payload(log: Services, engine_name: str) -> None:
    tamper(
        log,
        lambda c: c.execute(
            text("UPDATE ledger_opening SET payload = :p WHERE idx = 3"),
            {"p": b'{"credits":99,"record":"r-3","title":"x"}'},
        ),
    )
    with pytest.raises(AuditFailed) as caught:
        audit(log)
    assert (caught.value.finding.check, caught.value.finding.index) == ("commitment", 3)


def _about_learners(services: Services) -> None:
    """Two entries about learners: their openings are sealed under each one's key."""
    services.ledger.append(
        [NewEntry("consent.granted", "learner", {"learner": f"L-{n}", "n": n}) for n in (1, 2)]
    )
    services.ledger.publish_checkpoint()


def test_altered_or_moved_sealed_opening(log: Services, engine_name: str) -> None:
    _about_learners(log)
    assert audit(log).size == 22
    # Another learner's sealed opening put in its place does not open (bound to index and
    # learner), and neither do altered bytes.
    tamper(
        log,
        lambda c: c.execute(
            text(
                "UPDATE ledger_sealed_opening SET sealed = "
                "(SELECT sealed FROM ledger_sealed_opening WHERE idx = 21) WHERE idx = 20"
            )
        ),
    )
    with pytest.raises(AuditFailed) as caught:
        audit(log)
    assert (caught.value.finding.check, caught.value.finding.index) == ("commitment", 20)


def test_a_sealed_opening_whose_key_is_gone_is_excused_like_an_erasure(
    log: Services, engine_name: str
) -> None:
    _about_learners(log)
    with log.engine.begin() as connection:
        log.data_keys.destroy(connection, "L-1", now=utc_now())
    assert audit(log).size == 22
    # Deleted without an erasure record, it is a finding.
    tamper(log, lambda c: c.execute(text("DELETE FROM ledger_sealed_opening WHERE idx = 21")))
    with pytest.raises(AuditFailed) as caught:
        audit(log)
    assert (caught.value.finding.check, caught.value.finding.index) == ("missing opening", 21)


def test_deleted_entry(log: Services, engine_name: str) -> None:
    def delete(connection: Connection) -> None:
        connection.execute(text("DELETE FROM ledger_opening WHERE idx = 11"))
        connection.execute(text("DELETE FROM ledger_entry WHERE idx = 11"))

    tamper(log, delete)
    with pytest.raises(AuditFailed) as caught:
        audit(log)
    assert (caught.value.finding.check, caught.value.finding.index) == ("missing entry", 11)


def test_deleted_tail(log: Services, engine_name: str) -> None:
    def delete(connection: Connection) -> None:
        connection.execute(text("DELETE FROM ledger_opening WHERE idx = 19"))
        connection.execute(text("DELETE FROM ledger_entry WHERE idx = 19"))

    tamper(log, delete)
    with pytest.raises(AuditFailed) as caught:
        audit(log)
    assert (caught.value.finding.check, caught.value.finding.index) == ("missing entry", 19)


def test_swapped_pair(log: Services, engine_name: str) -> None:
    def swap(connection: Connection) -> None:
        a, b = _entry(connection, 12), _entry(connection, 13)
        _set_entry(connection, 12, b, leaf=True)
        _set_entry(connection, 13, a, leaf=True)

    tamper(log, swap)
    with pytest.raises(AuditFailed) as caught:
        audit(log)
    assert (caught.value.finding.check, caught.value.finding.index) == ("index", 12)


def test_altered_node(log: Services, engine_name: str) -> None:
    tamper(
        log,
        lambda c: c.execute(
            text("UPDATE ledger_node SET hash = :h WHERE id = 15"), {"h": bytes(32)}
        ),
    )
    with pytest.raises(AuditFailed) as caught:
        audit(log)
    # Node 15 is the level-4 subtree of leaves 0..15: the finding names its last leaf.
    assert (caught.value.finding.check, caught.value.finding.index) == ("tree node", 15)


def test_forged_checkpoint_signature(log: Services, engine_name: str) -> None:
    rogue = NoteSigner.generate(log.ledger.origin)  # same name, a key the bank never had
    head = log.ledger.head()
    note = sign_checkpoint(Checkpoint(log.ledger.origin, head.size, head.root_hash), [rogue])

    def insert(connection: Connection) -> None:
        connection.execute(
            text(
                "INSERT INTO ledger_checkpoint (size, root_hash, note, created_at) "
                "VALUES (:s, :r, :n, CURRENT_TIMESTAMP)"
            ),
            {"s": head.size, "r": head.root_hash, "n": note},
        )

    tamper(log, insert)
    with pytest.raises(AuditFailed) as caught:
        audit(log)
    assert caught.value.finding.check == "checkpoint signature"
    assert "no signature from a known key" in caught.value.finding.detail


def test_checkpoint_with_altered_root(log: Services, engine_name: str) -> None:
    def alter(connection: Connection) -> None:
        note = connection.execute(
            text("SELECT note FROM ledger_checkpoint ORDER BY id LIMIT 1")
        ).scalar_one()
        lines = note.split("\n")
        lines[2] = "A" * 43 + "="  # another 32-byte root, same signature line
        connection.execute(
            text("UPDATE ledger_checkpoint SET note = :n WHERE size = 5"), {"n": "\n".join(lines)}
        )

    tamper(log, alter)
    with pytest.raises(AuditFailed) as caught:
        audit(log)
    assert caught.value.finding.check == "checkpoint signature"
    assert "does not verify" in caught.value.finding.detail


def test_rewritten_history_breaks_checkpoint_consistency(log: Services, engine_name: str) -> None:
    # The attacker rewrites the whole log consistently after entry 3 and re-signs nothing:
    # the stored checkpoints no longer match the entries.
    def rewrite(connection: Connection) -> None:
        prev = hash_leaf(_entry(connection, 2))
        for idx in range(3, 20):
            envelope = json.loads(_entry(connection, idx))
            envelope["prev"] = prev.hex()
            if idx == 3:
                envelope["actor"] = "institution:FORGED"
            data = json.dumps(envelope, sort_keys=True, separators=(",", ":")).encode()
            _set_entry(connection, idx, data, leaf=True)
            prev = hash_leaf(data)

    tamper(log, rewrite)
    with pytest.raises(AuditFailed) as caught:
        audit(log)
    assert caught.value.finding.check == "checkpoint root"
    assert caught.value.finding.index == 0
    assert "[0, 5)" in caught.value.finding.detail
