"""Proofs built from stored nodes verify, tampering is caught, and the frontier agrees."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.errors import LedgerError, ProofError
from creditbank.ledger.compact import CompactRange
from creditbank.ledger.hashing import EMPTY_ROOT, hash_children, hash_leaf
from creditbank.ledger.nodes import (
    consistency_plan,
    inclusion_plan,
    node_id,
    node_position,
    range_nodes,
    root_plan,
)
from creditbank.ledger.proof_checks import (
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from creditbank.ledger.proofs import (
    MemoryTree,
    consistency_proof,
    every_inclusion_proof,
    fold_right,
    inclusion_proof,
    root_hash,
)

MAX_SIZE = 300
modest = settings(max_examples=200, deadline=None)


def rfc_mth(leaves: Sequence[bytes]) -> bytes:
    # RFC 9162 §2.1.1 word for word: the oracle owes nothing to the node arithmetic under test.
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    split = 1
    while split * 2 < len(leaves):
        split *= 2
    return hash_children(rfc_mth(leaves[:split]), rfc_mth(leaves[split:]))


def make_leaves(seed: bytes, size: int) -> list[bytes]:
    # Distinct leaves: with repeated ones, swapping two equal siblings is rightly undetectable.
    return [hash_leaf(seed + index.to_bytes(4, "big")) for index in range(size)]


def flip(value: bytes, bit: int) -> bytes:
    bit %= 8 * len(value)
    changed = bytearray(value)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


def rejected(check: Callable[[], None]) -> bool:
    try:
        check()
    except ProofError:
        return True
    return False


def first_leaf(node: int) -> int:
    level, index = node_position(node)
    return index << level


def variants(value: int) -> Iterator[int]:
    """±1, ×2, ÷2 and every single-bit xor up to one bit above the top one."""
    yield from (value - 1, value + 1, value * 2, value // 2)
    yield from (value ^ (1 << bit) for bit in range(value.bit_length() + 1))


def inclusion_shape(index: int, size: int) -> tuple[bool, ...]:
    # For each proof hash, whether it sits left of the leaf: all the verifier's walk depends on.
    return tuple(first_leaf(e[0]) < index for e in inclusion_plan(index, size).elements)


def consistency_shape(first: int, second: int) -> tuple[bool, tuple[bool, ...]]:
    # Whether the old root seeds the walk (a perfect old tree), then for each further hash
    # whether it lies inside the old tree.
    elements = consistency_plan(first, second).elements
    seeded = first & (first - 1) == 0
    rest = elements if seeded else elements[1:]
    return seeded, tuple(first_leaf(e[0]) < first for e in rest)


class CountingReader:
    def __init__(self, inner: MemoryTree) -> None:
        self.inner = inner
        self.calls: list[frozenset[int]] = []

    def read_nodes(self, ids: Collection[int]) -> Mapping[int, bytes]:
        self.calls.append(frozenset(ids))
        return self.inner.read_nodes(ids)


@st.composite
def trees(draw: st.DrawFn) -> tuple[list[bytes], MemoryTree]:
    leaves = make_leaves(draw(st.binary(max_size=8)), draw(st.integers(1, MAX_SIZE)))
    return leaves, MemoryTree(leaves)


@modest
@given(trees(), st.data())
def test_inclusion_proofs_verify_and_tampering_is_caught(
    tree: tuple[list[bytes], MemoryTree], data: st.DataObject
) -> None:
    leaves, memory = tree
    size = len(leaves)
    index = data.draw(st.integers(0, size - 1), label="index")
    root = rfc_mth(leaves)
    reader = CountingReader(memory)
    proof = inclusion_proof(reader, index, size)
    assert reader.calls == [inclusion_plan(index, size).node_ids]
    leaf = leaves[index]
    assert root_from_inclusion_proof(index, size, leaf, proof) == root
    verify_inclusion(index, size, leaf, proof, root)

    bit = data.draw(st.integers(0, 255), label="bit")
    for position in range(len(proof)):
        tampered = [*proof]
        tampered[position] = flip(proof[position], bit)
        assert rejected(lambda t=tampered: verify_inclusion(index, size, leaf, t, root))
    assert rejected(lambda: verify_inclusion(index, size, flip(leaf, bit), proof, root))
    assert rejected(lambda: verify_inclusion(index, size, leaf, proof, flip(root, bit)))
    assert rejected(lambda: verify_inclusion(index, size, leaf, [*proof, root], root))
    if proof:
        assert rejected(lambda: verify_inclusion(index, size, leaf, proof[:-1], root))
        assert rejected(lambda: verify_inclusion(index, size, leaf, proof[1:], root))

    wanted = inclusion_shape(index, size)
    mutations = {(i, size) for i in variants(index)} | {(index, n) for n in variants(size)}
    mutations.discard((index, size))
    for other_index, other_size in mutations:
        outcome = rejected(
            lambda i=other_index, n=other_size: verify_inclusion(i, n, leaf, proof, root)
        )
        if not 0 <= other_index < other_size:
            assert outcome, (other_index, other_size)
        elif other_size == size:
            # Another leaf of the same tree always has another path.
            assert inclusion_shape(other_index, size) != wanted
            assert outcome, (other_index, other_size)
        else:
            # A proof does not pin the size down: where another size gives the same walk
            # (leaf 0 of 8 or of 7 leaves, say) the same hashes verify, as RFC 9162 allows.
            assert outcome == (inclusion_shape(other_index, other_size) != wanted)


@modest
@given(trees(), st.data())
def test_consistency_proofs_verify_and_tampering_is_caught(
    tree: tuple[list[bytes], MemoryTree], data: st.DataObject
) -> None:
    leaves, memory = tree
    second = len(leaves)
    first = data.draw(st.integers(1, second), label="first")
    root1, root2 = rfc_mth(leaves[:first]), rfc_mth(leaves)
    reader = CountingReader(memory)
    proof = consistency_proof(reader, first, second)
    assert reader.calls == [consistency_plan(first, second).node_ids]
    verify_consistency(first, second, root1, root2, proof)

    bit = data.draw(st.integers(0, 255), label="bit")
    for position in range(len(proof)):
        tampered = [*proof]
        tampered[position] = flip(proof[position], bit)
        assert rejected(lambda t=tampered: verify_consistency(first, second, root1, root2, t))
    assert rejected(lambda: verify_consistency(first, second, flip(root1, bit), root2, proof))
    assert rejected(lambda: verify_consistency(first, second, root1, flip(root2, bit), proof))
    assert rejected(lambda: verify_consistency(first, second, root1, root2, [*proof, root2]))
    if proof:
        assert rejected(lambda: verify_consistency(first, second, root1, root2, proof[:-1]))
        assert rejected(lambda: verify_consistency(first, second, root1, root2, proof[1:]))

    mutations = {(f, second) for f in variants(first)} | {(first, s) for s in variants(second)}
    mutations.discard((first, second))
    for other_first, other_second in mutations:
        outcome = rejected(
            lambda f=other_first, s=other_second: verify_consistency(f, s, root1, root2, proof)
        )
        if not 0 < other_first < other_second or first == second:
            # Out of range, equal sizes with a non-empty proof, or an empty proof for
            # different sizes: always refused.
            assert outcome, (other_first, other_second)
        else:
            # As with inclusion, sizes that give the same walk accept the same hashes.
            same = consistency_shape(other_first, other_second) == consistency_shape(first, second)
            assert outcome == (not same), (other_first, other_second)


@modest
@given(trees(), st.data())
def test_compact_range_matches_memory_tree(
    tree: tuple[list[bytes], MemoryTree], data: st.DataObject
) -> None:
    leaves, _ = tree
    memory = MemoryTree()
    frontier = CompactRange.empty()
    cut = data.draw(st.integers(0, len(leaves)), label="cut")
    for size, leaf in enumerate(leaves, start=1):
        if size - 1 == cut:
            # A frontier reloaded from stored nodes carries on exactly like the original.
            plan = root_plan(cut)
            stored = memory.read_nodes(plan)
            frontier = CompactRange(cut, [stored[node] for node in plan])
        memory.append(leaf)
        emitted = frontier.append(leaf)
        # The new complete nodes are those at level >= 1 that end exactly at the new size.
        levels = range(1, (size & -size).bit_length())
        expected = [node_id(level, (size >> level) - 1) for level in levels]
        assert [node for node, _ in emitted] == expected
        assert dict(emitted) == dict(memory.read_nodes(expected))
        assert frontier.size == size
        assert frontier.root() == root_hash(memory, size)
        plan = root_plan(size)
        assert frontier.hashes == tuple(memory.read_nodes(plan)[node] for node in plan)
    assert frontier.root() == rfc_mth(leaves)


@modest
@given(trees(), st.data())
def test_range_fold_is_mth(tree: tuple[list[bytes], MemoryTree], data: st.DataObject) -> None:
    leaves, memory = tree
    length = data.draw(st.integers(1, len(leaves)), label="length")
    step = 1 << (length.bit_length() - 1)
    start = step * data.draw(st.integers(0, (len(leaves) - length) // step), label="slot")
    nodes = range_nodes(start, start + length)
    found = memory.read_nodes(nodes)
    assert fold_right([found[node] for node in nodes]) == rfc_mth(leaves[start : start + length])


@modest
@given(trees())
def test_memory_tree_roots_match_the_rfc(tree: tuple[list[bytes], MemoryTree]) -> None:
    leaves, memory = tree
    reader = CountingReader(memory)
    assert root_hash(reader, len(leaves)) == rfc_mth(leaves)
    assert reader.calls == [frozenset(root_plan(len(leaves)))]
    assert root_hash(memory, 0) == EMPTY_ROOT


@modest
@given(trees())
def test_every_inclusion_proof_at_once_is_each_proof_alone(
    tree: tuple[list[bytes], MemoryTree],
) -> None:
    leaves, memory = tree
    root, proofs = every_inclusion_proof(leaves)
    assert root == rfc_mth(leaves)
    assert proofs == [inclusion_proof(memory, index, len(leaves)) for index in range(len(leaves))]


def test_every_inclusion_proof_needs_a_leaf() -> None:
    with pytest.raises(ValueError, match="at least one leaf"):
        every_inclusion_proof([])


def test_memory_tree_refuses_incomplete_nodes() -> None:
    memory = MemoryTree(make_leaves(b"", 3))
    assert memory.size == 3
    with pytest.raises(LedgerError, match="not a complete subtree"):
        memory.read_nodes([node_id(1, 1)])
    with pytest.raises(LedgerError, match="not a complete subtree"):
        memory.read_nodes([6])
    # Leaf 0 of a 4-leaf tree needs node [2, 4), which a 3-leaf store cannot have.
    with pytest.raises(LedgerError, match="not a complete subtree"):
        inclusion_proof(memory, 0, 4)


def test_a_reader_that_drops_nodes_is_a_ledger_error() -> None:
    class Forgetful:
        def read_nodes(self, ids: Collection[int]) -> Mapping[int, bytes]:
            return {}

    with pytest.raises(LedgerError, match="did not return"):
        inclusion_proof(Forgetful(), 0, 2)
    with pytest.raises(LedgerError, match="did not return"):
        root_hash(Forgetful(), 5)


def test_fold_right() -> None:
    a, b, c = make_leaves(b"f", 3)
    assert fold_right([a]) == a
    assert fold_right([a, b, c]) == hash_children(a, hash_children(b, c))
    with pytest.raises(ValueError, match="at least one"):
        fold_right([])


def test_compact_range_refuses_bad_input() -> None:
    leaf = make_leaves(b"c", 1)[0]
    with pytest.raises(ValueError, match="3 subtrees"):
        CompactRange(7, [leaf, leaf])
    with pytest.raises(ValueError, match=">= 0"):
        CompactRange(-1, [])
    with pytest.raises(ValueError, match="32 bytes"):
        CompactRange(1, [b"short"])
    with pytest.raises(ValueError, match="32 bytes"):
        CompactRange.empty().append(b"short")
    assert CompactRange.empty().root() == EMPTY_ROOT
    assert CompactRange.empty().hashes == ()


def test_verifier_shape_errors() -> None:
    leaf = make_leaves(b"v", 1)[0]
    with pytest.raises(ProofError, match="outside"):
        verify_inclusion(1, 1, leaf, [], leaf)
    with pytest.raises(ProofError, match="outside"):
        verify_inclusion(0, 0, leaf, [], leaf)
    with pytest.raises(ProofError, match="1 hashes, 0 expected"):
        verify_inclusion(0, 1, leaf, [leaf], leaf)
    with pytest.raises(ProofError, match="proof\\[0\\] is 31 bytes"):
        verify_inclusion(0, 2, leaf, [leaf[:31]], leaf)
    with pytest.raises(ProofError, match="empty tree"):
        verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    with pytest.raises(ProofError, match="larger"):
        verify_consistency(2, 1, leaf, leaf, [])
    with pytest.raises(ProofError, match="must be empty"):
        verify_consistency(1, 1, leaf, leaf, [leaf])
    with pytest.raises(ProofError, match="first root is 3 bytes"):
        verify_consistency(1, 2, b"abc", leaf, [leaf])
