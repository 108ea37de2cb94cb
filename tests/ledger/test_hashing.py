"""The standard 8-leaf RFC 6962 reference tree, read in place from ../shared."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

import pytest

from creditbank.ledger.compact import CompactRange
from creditbank.ledger.hashing import EMPTY_ROOT, HASH_SIZE, hash_children, hash_leaf
from creditbank.ledger.nodes import node_id
from creditbank.ledger.proof_checks import verify_consistency, verify_inclusion
from creditbank.ledger.proofs import MemoryTree, consistency_proof, inclusion_proof, root_hash
from tests.shared_vectors import requires_shared, shared_dir


@cache
def reference() -> dict[str, Any]:
    path = shared_dir() / "vectors" / "merkle" / "reference_tree.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def hexes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(value) for value in values]


def full_tree() -> MemoryTree:
    return MemoryTree(hexes(reference()["leaf_hashes"]))


def test_primitives_without_vectors() -> None:
    assert HASH_SIZE == 32
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert hash_leaf(b"x") == hashlib.sha256(b"\x00x").digest()
    assert hash_children(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()


@requires_shared
def test_leaf_hashes() -> None:
    inputs = hexes(reference()["leaf_inputs"])
    assert len(inputs) == 8
    assert [hash_leaf(data) for data in inputs] == hexes(reference()["leaf_hashes"])


@requires_shared
def test_node_hashes_by_level() -> None:
    levels = reference()["node_hashes_by_level"]["levels"]
    assert [len(level) for level in levels] == [8, 4, 2, 1]
    wanted = {
        node_id(level, index): digest
        for level, row in enumerate(levels)
        for index, digest in enumerate(hexes(row))
    }
    assert dict(full_tree().read_nodes(list(wanted))) == wanted


@requires_shared
def test_roots_for_every_size() -> None:
    roots = hexes(reference()["root_by_tree_size"]["roots"])
    leaves = hexes(reference()["leaf_hashes"])
    assert len(roots) == 9
    assert roots[0] == EMPTY_ROOT
    tree = full_tree()
    frontier = CompactRange.empty()
    assert frontier.root() == roots[0]
    for size, root in enumerate(roots):
        # A prefix of the full tree and a tree grown to exactly that size agree.
        assert root_hash(tree, size) == root
        assert root_hash(MemoryTree(leaves[:size]), size) == root
        if size:
            frontier.append(leaves[size - 1])
            assert frontier.root() == root


@requires_shared
@pytest.mark.parametrize("case", range(5))
def test_inclusion_proofs(case: int) -> None:
    probe = reference()["inclusion_proofs"][case]
    index, size = probe["leaf_index"], probe["tree_size"]
    leaf, root = bytes.fromhex(probe["leaf_hash"]), bytes.fromhex(probe["root"])
    path = hexes(probe["audit_path"])
    assert inclusion_proof(full_tree(), index, size) == path
    verify_inclusion(index, size, leaf, path, root)


@requires_shared
@pytest.mark.parametrize("case", range(5))
def test_consistency_proofs(case: int) -> None:
    probe = reference()["consistency_proofs"][case]
    first, second = probe["size1"], probe["size2"]
    root1, root2 = bytes.fromhex(probe["root1"]), bytes.fromhex(probe["root2"])
    path = hexes(probe["proof"])
    assert consistency_proof(full_tree(), first, second) == path
    verify_consistency(first, second, root1, root2, path)


@requires_shared
def test_case_counts() -> None:
    # The parametrised tests above index into these lists; keep them in step with the file.
    assert len(reference()["inclusion_proofs"]) == 5
    assert len(reference()["consistency_proofs"]) == 5
