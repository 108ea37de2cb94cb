from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from creditbank.errors import InvalidInput, LedgerError
from creditbank.ledger.envelope import GENESIS_PREV, EntryKind, commitment, decode_envelope
from creditbank.ledger.hashing import hash_leaf
from creditbank.ledger.proofs import MemoryTree, root_hash
from creditbank.ledger.sequencer import NewEntry, append_entries
from creditbank.ledger.store import entry_t, opening_t, read_entries, read_head, read_openings
from creditbank.storage.database import read_connection
from creditbank.wiring import Services
from tests.ledger.helpers import entries


def _count(services: Services) -> int:
    with read_connection(services.engine) as connection:
        return int(connection.execute(select(func.count()).select_from(entry_t)).scalar_one())


def test_batches_chain_and_tree(services: Services, engine_name: str) -> None:
    ledger = services.ledger
    first = ledger.append(entries(3))
    second = ledger.append(entries(5, start=3))
    assert [e.index for e in first.entries] == [0, 1, 2]
    assert [e.index for e in second.entries] == [3, 4, 5, 6, 7]
    assert second.size == 8

    with read_connection(services.engine) as connection:
        stored = read_entries(connection, 0, 100)
        openings = read_openings(connection, range(8))
    tree = MemoryTree()
    prev = GENESIS_PREV
    for idx, data in stored:
        envelope = decode_envelope(data)
        assert envelope.index == idx
        assert envelope.prev == prev
        salt, payload = openings[idx]
        assert commitment(salt, payload) == envelope.commitment
        prev = hash_leaf(data)
        tree.append(prev)
    assert root_hash(tree, 8) == second.root_hash == ledger.head().root_hash


def test_envelope_holds_commitment_not_payload(services: Services) -> None:
    result = services.ledger.append(
        [NewEntry(EntryKind.RECORD_POSTED, "institution:CQ001", {"name": "张三", "grade": 93})]
    )
    data = result.entries[0].envelope.encode()
    assert "张三".encode() not in data and b"grade" not in data and b"name" not in data
    assert set(decode_envelope(data).to_json()) == {
        "v",
        "index",
        "kind",
        "time",
        "actor",
        "prev",
        "commitment",
    }


def test_time_is_the_given_instant(services: Services) -> None:
    moment = datetime(2026, 9, 1, 8, 30, 0, 123456, tzinfo=UTC)
    result = services.ledger.append(entries(1), now=moment)
    assert result.entries[0].envelope.time == "2026-09-01T08:30:00.123Z"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (NewEntry("record.deleted", "institution:CQ001", {}), "unknown ledger entry kind"),
        (NewEntry(EntryKind.RECORD_POSTED, "learner:张三", {}), "ledger actor"),
    ],
)
def test_bad_entries_write_nothing(services: Services, entry: NewEntry, message: str) -> None:
    services.ledger.append(entries(2))
    with pytest.raises(InvalidInput, match=message):
        services.ledger.append([*entries(3, start=2), entry])
    assert _count(services) == 2
    assert services.ledger.head().size == 2


def test_failure_midway_leaves_nothing(services: Services, engine_name: str) -> None:
    services.ledger.append(entries(4))
    before = services.ledger.head()

    class Boom(Exception):
        pass

    with pytest.raises(Boom), services.ledger.transaction() as tx:
        tx.append(entries(10, start=4))
        raise Boom  # the caller's own work fails after the append
    after = services.ledger.head()
    assert (after.size, after.root_hash) == (before.size, before.root_hash)
    assert _count(services) == 4
    with read_connection(services.engine) as connection:
        assert connection.execute(select(func.count()).select_from(opening_t)).scalar_one() == 4
    assert services.ledger.append(entries(1, start=4)).entries[0].index == 4


def test_empty_batch_is_refused(services: Services) -> None:
    with pytest.raises(InvalidInput, match="at least one entry"):
        services.ledger.append([])


def test_append_outside_write_transaction_is_refused(services: Services) -> None:
    with (
        services.engine.connect() as connection,
        connection.begin(),
        pytest.raises(LedgerError, match="write_transaction"),
    ):
        append_entries(connection, entries(1))


def test_head_matches_stored_state(services: Services) -> None:
    services.ledger.append(entries(33))
    with read_connection(services.engine) as connection:
        head = read_head(connection)
        last = read_entries(connection, 32, 33)[0][1]
    assert head.size == 33
    assert head.last_leaf_hash == hash_leaf(last)
