"""The append frontier: the perfect subtrees covering ``[0, size)``, one per set bit of size.

Appending a leaf merges equal-sized subtrees on the right edge, like a binary counter's carry;
each merge creates one new complete node for the caller to store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence

from creditbank.ledger.hashing import EMPTY_ROOT, HASH_SIZE, NODE_PREFIX, hash_children
from creditbank.ledger.nodes import node_id
from creditbank.ledger.proofs import fold_right


class CompactRange:
    """The perfect subtrees covering leaves ``[0, size)``, largest (leftmost) first."""

    def __init__(self, size: int, hashes: Sequence[bytes]) -> None:
        """Hold ``hashes`` of the subtrees of ``nodes.root_plan(size)``, in that order."""
        if size < 0:
            raise ValueError(f"tree size must be >= 0, got {size}")
        if len(hashes) != size.bit_count():
            raise ValueError(
                f"a tree of size {size} has {size.bit_count()} subtrees, got {len(hashes)} hashes"
            )
        if any(len(digest) != HASH_SIZE for digest in hashes):
            raise ValueError(f"every subtree hash must be {HASH_SIZE} bytes")
        self._size = size
        self._hashes = [bytes(digest) for digest in hashes]

    @classmethod
    def empty(cls) -> CompactRange:
        """Return the frontier of the empty tree."""
        return cls(0, [])

    @property
    def size(self) -> int:
        """Return the number of leaves covered."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """Return the subtree hashes, in ``nodes.root_plan(size)`` order."""
        return tuple(self._hashes)

    def append(self, leaf_hash: bytes) -> list[tuple[int, bytes]]:
        """Add a leaf and return the new complete nodes at level >= 1 as ``(node_id, hash)``."""
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"a leaf hash must be {HASH_SIZE} bytes, got {len(leaf_hash)}")
        created: list[tuple[int, bytes]] = []
        current = bytes(leaf_hash)
        level = 0
        # Each trailing 1 bit of the old size is a subtree as large as the one being carried,
        # and it is the last in the list: merge it in and carry one level up.
        while self._size >> level & 1:
            current = hash_children(self._hashes.pop(), current)
            level += 1
            created.append((node_id(level, self._size >> level), current))
        self._hashes.append(current)
        self._size += 1
        return created

    def extend(
        self, leaf_hashes: Iterable[bytes], keep_levels: Collection[int]
    ) -> list[tuple[int, bytes]]:
        """Add leaves in order; return the new complete nodes whose level is in ``keep_levels``.

        The same merges as :meth:`append`, written as one loop for the sequencer's batches:
        every interior hash is still computed (the frontier needs it), but only the nodes
        that are stored get an id and a row.
        """
        sha256 = hashlib.sha256
        hashes = self._hashes
        size = self._size
        kept: list[tuple[int, bytes]] = []
        for leaf_hash in leaf_hashes:
            if len(leaf_hash) != HASH_SIZE:
                raise ValueError(f"a leaf hash must be {HASH_SIZE} bytes, got {len(leaf_hash)}")
            current = leaf_hash
            level = 0
            while size >> level & 1:
                current = sha256(NODE_PREFIX + hashes.pop() + current).digest()
                level += 1
                if level in keep_levels:
                    kept.append((node_id(level, size >> level), current))
            hashes.append(current)
            size += 1
        self._size = size
        return kept

    def root(self) -> bytes:
        """Return the root hash of the covered tree (EMPTY_ROOT when empty)."""
        if not self._hashes:
            return EMPTY_ROOT
        return fold_right(self._hashes)
