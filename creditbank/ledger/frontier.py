"""The append frontier kept in memory between appends, checked against the head row.

Re-reading the compact range from the stored nodes costs two queries per append, under the
sequencer's lock. Each process instead keeps, per database engine, the frontier it last built
and uses it when the locked head has the same size and root (a tree's root determines its
frontier). When another process appended since, only the leaves it added are read and folded
in; anything else (a rollback, a restore, a large gap) falls back to reading the stored nodes.
Nothing is trusted without the root check, so a stale or wrong frontier can never be used.
"""

from __future__ import annotations

import threading
import weakref

from sqlalchemy import Connection, Engine, select

from creditbank.errors import LedgerError
from creditbank.ledger.compact import CompactRange
from creditbank.ledger.nodes import root_plan
from creditbank.ledger.store import Head, StoredNodes, entry_t, read_head

# Fold in at most this many leaves written by other processes; beyond it, read the nodes.
CATCH_UP_LIMIT = 50_000


def load_frontier(connection: Connection, size: int) -> CompactRange:
    """Read the perfect subtrees covering ``[0, size)``: O(log size) nodes, one query each kind."""
    plan = root_plan(size)
    if not plan:
        return CompactRange.empty()
    found = StoredNodes(connection).read_nodes(plan)
    return CompactRange(size, [found[node] for node in plan])


def _copy(frontier: CompactRange) -> CompactRange:
    return CompactRange(frontier.size, frontier.hashes)


class _Known:
    """A frontier with its root, so matching a head costs no hashing."""

    __slots__ = ("frontier", "root")

    def __init__(self, frontier: CompactRange) -> None:
        self.frontier = _copy(frontier)
        self.root = frontier.root()

    def matches(self, head: Head) -> bool:
        return self.frontier.size == head.size and self.root == head.root_hash


class FrontierCache:
    """Per engine: the frontier before and after this process's latest append.

    Both are kept because the append's transaction may still roll back: the head then
    matches the earlier one.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._known: weakref.WeakKeyDictionary[Engine, tuple[_Known, ...]] = (
            weakref.WeakKeyDictionary()
        )

    def frontier(self, connection: Connection, head: Head) -> CompactRange:
        """Return a private copy of the frontier of ``head``'s tree, read as little as possible."""
        with self._mutex:
            known = self._known.get(connection.engine, ())
        for candidate in known:
            if candidate.matches(head):
                return _copy(candidate.frontier)
        behind = [k for k in known if k.frontier.size < head.size]
        if behind:
            base = max(behind, key=lambda k: k.frontier.size)
            caught_up = self._catch_up(connection, base.frontier, head)
            if caught_up is not None:
                return caught_up
        frontier = load_frontier(connection, head.size)
        if frontier.root() != head.root_hash:
            raise LedgerError("stored tree does not match the head: run 'creditbank ledger verify'")
        return frontier

    def warm(self, connection: Connection) -> None:
        """Fold in what other processes appended, before taking the lock (a plain read)."""
        head = read_head(connection)
        self.remember(connection, (self.frontier(connection, head),))

    def remember(self, connection: Connection, frontiers: tuple[CompactRange, ...]) -> None:
        """Keep these frontiers (oldest first) as the engine's known ones."""
        known = tuple(_Known(frontier) for frontier in frontiers)
        with self._mutex:
            self._known[connection.engine] = known

    @staticmethod
    def _catch_up(connection: Connection, base: CompactRange, head: Head) -> CompactRange | None:
        if head.size - base.size > CATCH_UP_LIMIT:
            return None
        leaves = connection.execute(
            select(entry_t.c.leaf_hash)
            .where(entry_t.c.idx >= base.size, entry_t.c.idx < head.size)
            .order_by(entry_t.c.idx)
        ).scalars()
        frontier = _copy(base)
        frontier.extend([bytes(leaf) for leaf in leaves], ())
        if frontier.size != head.size or frontier.root() != head.root_hash:
            return None  # the base was never committed (rolled back): read the nodes instead
        return frontier


FRONTIERS = FrontierCache()
