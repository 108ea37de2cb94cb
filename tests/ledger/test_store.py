"""The stored tree (nodes at every fourth level, the rest folded on read) gives RFC 9162 answers.

One SQLite ledger of 600 leaves (stored levels 4 and 8 both occur) grown in random batches;
hypothesis asks for nodes, inclusion proofs and consistency proofs at any size up to the
current one (not only batch ends) and compares them with an in-memory tree.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from creditbank.ledger.nodes import STORED_LEVELS, covering_nodes, is_stored, node_id
from creditbank.ledger.proof_checks import verify_consistency, verify_inclusion
from creditbank.ledger.proofs import MemoryTree, consistency_proof, inclusion_proof, root_hash
from creditbank.ledger.store import StoredNodes, node_t
from creditbank.storage.database import read_connection
from creditbank.wiring import Services, initialise
from tests.conftest import make_settings
from tests.ledger.helpers import entries

SIZE = 600


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, MemoryTree]]:
    services = initialise(make_settings(tmp_path_factory.mktemp("store") / "instance"))
    rng = random.Random(2026)
    tree = MemoryTree()
    while tree.size < SIZE:
        count = min(rng.choice([1, 3, 17, 64, 200]), SIZE - tree.size)
        for leaf in services.ledger.append(entries(count, start=tree.size)).leaf_hashes:
            tree.append(leaf)
    yield services, tree
    services.close()


def test_only_stored_levels_have_rows(grown: tuple[Services, MemoryTree]) -> None:
    services, _ = grown
    with read_connection(services.engine) as connection:
        ids = list(connection.execute(select(node_t.c.id)).scalars())
        count = connection.execute(select(func.count()).select_from(node_t)).scalar_one()
    assert all(is_stored(node) for node in ids)
    # 600 leaves: 37 subtrees of 16 and 2 of 256.
    assert count == len(ids) == SIZE // 16 + SIZE // 256


def test_covering_nodes_are_at_most_eight() -> None:
    for level in range(1, 20):
        parts = covering_nodes(node_id(level, 3))
        assert 1 <= len(parts) <= 8
        assert all(p % 2 == 0 or is_stored(p) for p in parts)
        assert (len(parts) == 1) == (level in STORED_LEVELS)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_any_complete_node_reads_as_in_memory(
    grown: tuple[Services, MemoryTree], data: st.DataObject
) -> None:
    services, tree = grown
    level = data.draw(st.integers(0, 9))
    index = data.draw(st.integers(0, SIZE // (1 << level) - 1))
    with read_connection(services.engine) as connection:
        found = StoredNodes(connection).read_nodes([node_id(level, index)])
    assert found[node_id(level, index)] == tree.node(level, index)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_proofs_at_any_size_verify(grown: tuple[Services, MemoryTree], data: st.DataObject) -> None:
    services, tree = grown
    size = data.draw(st.integers(1, SIZE))
    index = data.draw(st.integers(0, size - 1))
    first = data.draw(st.integers(1, size))
    with read_connection(services.engine) as connection:
        nodes = StoredNodes(connection)
        root = root_hash(nodes, size)
        inclusion = inclusion_proof(nodes, index, size)
        consistency = consistency_proof(nodes, first, size)
    assert root == root_hash(tree, size)
    assert inclusion == inclusion_proof(tree, index, size)
    assert consistency == consistency_proof(tree, first, size)
    verify_inclusion(index, size, tree.node(0, index), inclusion, root)
    verify_consistency(first, size, root_hash(tree, first), root, consistency)
