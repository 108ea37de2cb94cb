"""Build RFC 9162 roots and proofs from stored nodes, one batched read each.

The store only ever holds perfect subtrees (see :mod:`creditbank.ledger.nodes`); a proof
hash over a right-edge subtree is folded here from the perfect subtrees that partition it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Protocol

from creditbank.errors import LedgerError
from creditbank.ledger.hashing import EMPTY_ROOT, hash_children
from creditbank.ledger.nodes import (
    ProofPlan,
    consistency_plan,
    inclusion_plan,
    node_id,
    node_position,
    root_plan,
)


class NodeReader(Protocol):
    """Anything that can hand out stored node hashes by id."""

    def read_nodes(self, ids: Collection[int]) -> Mapping[int, bytes]:
        """Return the hash of every requested node; raise LedgerError if one is missing."""
        ...


def fold_right(hashes: Sequence[bytes]) -> bytes:
    """Return ``hash_children(h0, hash_children(h1, …))``: MTH over consecutive subtrees."""
    if not hashes:
        raise ValueError("fold_right needs at least one hash")
    result = hashes[-1]
    for digest in reversed(hashes[:-1]):
        result = hash_children(digest, result)
    return result


def _read(reader: NodeReader, ids: Collection[int]) -> Mapping[int, bytes]:
    """Read ``ids`` in one call, refusing an answer that leaves any of them out."""
    found = reader.read_nodes(ids)
    missing = [node for node in ids if node not in found]
    if missing:
        raise LedgerError(f"node reader did not return nodes {sorted(missing)[:5]}")
    return found


def _materialise(reader: NodeReader, plan: ProofPlan) -> list[bytes]:
    """Return the proof hashes of ``plan`` from a single read of all its nodes."""
    found = _read(reader, plan.node_ids)
    return [fold_right([found[node] for node in element]) for element in plan.elements]


def inclusion_proof(reader: NodeReader, index: int, size: int) -> list[bytes]:
    """Return the inclusion proof of leaf ``index`` in tree ``size``; requires 0 <= index < size."""
    return _materialise(reader, inclusion_plan(index, size))


def consistency_proof(reader: NodeReader, first: int, second: int) -> list[bytes]:
    """Return the consistency proof from ``first`` to ``second``; requires 0 < first <= second."""
    return _materialise(reader, consistency_plan(first, second))


def root_hash(reader: NodeReader, size: int) -> bytes:
    """Return the root of the tree of ``size`` leaves (EMPTY_ROOT for 0); requires size >= 0."""
    plan = root_plan(size)
    found = _read(reader, frozenset(plan))
    if not plan:
        return EMPTY_ROOT
    return fold_right([found[node] for node in plan])


def every_inclusion_proof(leaf_hashes: Sequence[bytes]) -> tuple[bytes, list[list[bytes]]]:
    """Return the root of the tree of ``leaf_hashes`` and every leaf's inclusion proof.

    One pass down the RFC 9162 recursion: each subtree's hash is computed once and appended
    to the proof of every leaf on its sibling's side, so all ``n`` proofs cost ``n - 1``
    hashes and ``n log n`` appends, where one :func:`inclusion_proof` per leaf costs
    ``O(log n)`` hashes and reads each. A batch signed over its items needs them all.
    """
    if not leaf_hashes:
        raise ValueError("every_inclusion_proof needs at least one leaf")
    proofs: list[list[bytes]] = [[] for _ in leaf_hashes]

    def subtree(start: int, end: int) -> bytes:
        if end - start == 1:
            return leaf_hashes[start]
        middle = start + (1 << ((end - start - 1).bit_length() - 1))
        left, right = subtree(start, middle), subtree(middle, end)
        # The children's own siblings were appended first: each proof runs leaf to root.
        for index in range(start, middle):
            proofs[index].append(right)
        for index in range(middle, end):
            proofs[index].append(left)
        return hash_children(left, right)

    return subtree(0, len(leaf_hashes)), proofs


class MemoryTree:
    """An in-memory log for tests, benchmarks and tools; every perfect node computed on demand."""

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        self._leaves: list[bytes] = []
        self._cache: dict[int, bytes] = {}
        for leaf_hash in leaf_hashes:
            self.append(leaf_hash)

    @property
    def size(self) -> int:
        """Return the number of leaves."""
        return len(self._leaves)

    def append(self, leaf_hash: bytes) -> None:
        """Add a leaf hash at index ``size``."""
        self._leaves.append(bytes(leaf_hash))

    def node(self, level: int, index: int) -> bytes:
        """Return MTH of leaves ``[index·2^level, (index+1)·2^level)``, which must all exist."""
        if level < 0 or index < 0 or (index + 1) << level > len(self._leaves):
            raise LedgerError(
                f"node ({level}, {index}) is not a complete subtree of a tree of size {self.size}"
            )
        if level == 0:
            return self._leaves[index]
        key = node_id(level, index)
        cached = self._cache.get(key)
        if cached is None:
            cached = hash_children(
                self.node(level - 1, 2 * index), self.node(level - 1, 2 * index + 1)
            )
            self._cache[key] = cached
        return cached

    def read_nodes(self, ids: Collection[int]) -> Mapping[int, bytes]:
        """Return the hash of every requested node; raise LedgerError for one not yet complete."""
        return {node: self.node(*node_position(node)) for node in ids}
