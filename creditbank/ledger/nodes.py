"""Node arithmetic for the RFC 9162 Merkle tree: which stored nodes a root or proof needs.

Only perfect, aligned subtrees are stored. The subtree at ``level`` l covering leaves
``[i·2^l, (i+1)·2^l)`` has the flat in-order id ``(i << (l + 1)) + (1 << l) - 1``: leaf i is
``2i`` and a parent sits between its children. Ids are stable as the tree grows, so a node
written once never changes. A subtree on the right edge of a tree whose size is not a power
of two is never stored; it is rebuilt from the perfect subtrees that partition it.

Everything here is pure integer arithmetic: no hashing, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

# Interior nodes are stored only at every fourth level (4, 8, 12, …): about n/15 rows for n
# leaves. A node at any other level is the fold of at most 2**3 = 8 nodes at the stored level
# just below it (leaves for levels 1-3), recomputed on read, so a proof still costs O(log n)
# reads (at most eight per proof hash). Every interior hash is still computed on append, for
# the frontier; only the rows written are fewer.
STORED_LEVEL_STEP = 4
MAX_LEVEL = 63
STORED_LEVELS = frozenset(range(STORED_LEVEL_STEP, MAX_LEVEL + 1, STORED_LEVEL_STEP))


def is_stored(node: int) -> bool:
    """Whether ``node`` is kept in ``ledger_node`` (leaves live in ``ledger_entry``)."""
    return node_position(node)[0] in STORED_LEVELS


def base_level(level: int) -> int:
    """Return the level whose stored nodes (or leaves, for 0) a node at ``level`` is read from."""
    return level - level % STORED_LEVEL_STEP


def covering_nodes(node: int) -> tuple[int, ...]:
    """Return the stored nodes (leaf ids at level 0) whose left-to-right fold is ``node``.

    A stored node or a leaf covers itself; any other node is covered by the ``2**(level - b)``
    nodes at its :func:`base_level` ``b``, at most eight.
    """
    level, index = node_position(node)
    if level == 0 or level in STORED_LEVELS:
        return (node,)
    base = base_level(level)
    span = level - base
    first = index << span
    return tuple(node_id(base, first + offset) for offset in range(1 << span))


def node_id(level: int, index: int) -> int:
    """Return the id of the perfect subtree at ``level`` covering leaves from ``index·2^level``."""
    if level < 0 or index < 0:
        raise ValueError(f"node_id needs level >= 0 and index >= 0, got ({level}, {index})")
    return (index << (level + 1)) + (1 << level) - 1


def node_position(node: int) -> tuple[int, int]:
    """Return ``(level, index)`` of a node id, the inverse of :func:`node_id`."""
    if node < 0:
        raise ValueError(f"node ids are >= 0, got {node}")
    # The lowest clear bit of the id marks its level: the level is the count of trailing ones.
    level = (~node & (node + 1)).bit_length() - 1
    return level, node >> (level + 1)


def _split(size: int) -> int:
    """Return the largest power of two strictly below ``size`` (RFC 9162 ``k``); needs size >= 2."""
    return 1 << ((size - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> tuple[int, ...]:
    """Return the perfect aligned subtrees that partition leaves ``[start, end)``, largest first.

    Requires ``0 <= start <= end`` and, if the range is not empty, ``start`` divisible by
    ``2**floor(log2(end - start))`` (the largest power of two not above the range's length).
    Every range the RFC 9162 MTH recursion visits meets this, ``[0, n)`` included. Under it,
    MTH(D[start:end]) is the right fold of the returned nodes:
    ``fold([a, b, c]) = hash_children(a, hash_children(b, c))``. An empty range gives ``()``.
    """
    if not 0 <= start <= end:
        raise ValueError(f"range_nodes needs 0 <= start <= end, got [{start}, {end})")
    length = end - start
    if length and start % (1 << (length.bit_length() - 1)):
        raise ValueError(
            f"[{start}, {end}) does not start on a boundary of its largest perfect subtree"
        )
    ids: list[int] = []
    position = start
    # MTH splits off the largest power of two first, so the set bits of the length, high to
    # low, give the subtrees in order; each one starts aligned because the first one did.
    for level in range(length.bit_length() - 1, -1, -1):
        if length >> level & 1:
            ids.append(node_id(level, position >> level))
            position += 1 << level
    return tuple(ids)


@dataclass(frozen=True)
class ProofPlan:
    """The stored nodes behind each hash of a proof.

    ``elements`` has one tuple per proof hash, in proof order. A tuple names the nodes whose
    right fold is that hash: one id for a stored perfect subtree, several for a right-edge
    subtree that is never stored.
    """

    elements: tuple[tuple[int, ...], ...]

    @property
    def node_ids(self) -> frozenset[int]:
        """Return every node id the proof needs."""
        return frozenset(node for element in self.elements for node in element)


def inclusion_plan(index: int, size: int) -> ProofPlan:
    """Return the plan of PATH(index, D[0:size]) (RFC 9162 §2.1.3.1); requires 0 <= index < size."""
    if not 0 <= index < size:
        raise ValueError(f"inclusion proof needs 0 <= index < size, got index {index}, size {size}")
    # Walk down from the root; the RFC lists the sibling hashes from the leaf upwards.
    top_down: list[tuple[int, ...]] = []
    start, end = 0, size
    while end - start > 1:
        middle = start + _split(end - start)
        if index < middle:
            top_down.append(range_nodes(middle, end))
            end = middle
        else:
            top_down.append(range_nodes(start, middle))
            start = middle
    return ProofPlan(tuple(reversed(top_down)))


def consistency_plan(first: int, second: int) -> ProofPlan:
    """Return the plan of PROOF(first, D[0:second]) (RFC 9162 §2.1.4.1).

    Requires ``0 < first <= second``; ``first == second`` gives the empty plan. A proof from
    the empty tree proves nothing, so ``first == 0`` is refused, as transparency-dev/merkle does.
    """
    if not 0 < first <= second:
        raise ValueError(
            f"consistency proof needs 0 < first <= second, got first {first}, second {second}"
        )
    # SUBPROOF(m, D[start:end], b) walked iteratively: ``first`` is m in absolute leaf terms,
    # and ``known`` is b, true while the subtree is still a prefix the verifier holds the root of.
    top_down: list[tuple[int, ...]] = []
    start, end = 0, second
    known = True
    while first != end:
        middle = start + _split(end - start)
        if first <= middle:
            top_down.append(range_nodes(middle, end))
            end = middle
        else:
            top_down.append(range_nodes(start, middle))
            start = middle
            known = False
    if not known:
        top_down.append(range_nodes(start, end))
    return ProofPlan(tuple(reversed(top_down)))


def root_plan(size: int) -> tuple[int, ...]:
    """Return the nodes whose right fold is the root of a tree of ``size`` leaves (``()`` for 0)."""
    return range_nodes(0, size)
