"""RFC 9162 §2.1 hashing with SHA-256: leaves, interior nodes and the empty tree.

The distinct one-byte prefixes for leaves (0x00) and interior nodes (0x01) are what stop a
second-preimage attack that passes an interior node off as a leaf.
"""

from __future__ import annotations

import hashlib

HASH_SIZE = 32
"""Length in bytes of every hash in the log."""

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()
"""MTH({}): the root of the empty tree, SHA-256 of the empty string."""


def hash_leaf(data: bytes) -> bytes:
    """Return the leaf hash SHA-256(0x00 ‖ data)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """Return the interior node hash SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()
