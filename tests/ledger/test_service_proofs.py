"""Proofs the service serves from its stored nodes verify; any single-bit change is caught.

One SQLite ledger is grown in random batch sizes and its signed root recorded at every size;
hypothesis then picks indices and sizes in it. (The pure proof code is covered against an
in-memory tree in ``test_proofs_property``; this covers storage, node ids and the service.)
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.errors import ProofError
from creditbank.ledger.proof_checks import verify_consistency, verify_inclusion
from creditbank.wiring import Services, initialise
from tests.conftest import make_settings
from tests.ledger.helpers import entries

SIZE = 300


class _Grown:
    def __init__(self, services: Services, roots: dict[int, bytes], leaves: list[bytes]) -> None:
        self.services = services
        self.roots = roots
        self.leaves = leaves


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Grown]:
    directory = tmp_path_factory.mktemp("proofs")
    services = initialise(make_settings(directory / "instance"))
    rng = random.Random(9162)
    roots: dict[int, bytes] = {}
    leaves: list[bytes] = []
    while len(leaves) < SIZE:
        count = min(rng.choice([1, 1, 2, 3, 7, 16, 40]), SIZE - len(leaves))
        result = services.ledger.append(entries(count, start=len(leaves)))
        leaves.extend(entry.leaf_hash for entry in result.entries)
        # The sequencer's root at each batch end; these sizes are the ones proofs are asked at.
        roots[result.size] = result.root_hash
    yield _Grown(services, roots, leaves)
    services.close()


def _flip(data: bytes, bit: int) -> bytes:
    changed = bytearray(data)
    changed[bit // 8 % len(changed)] ^= 1 << (bit % 8)
    return bytes(changed)


def _sizes(grown: _Grown) -> list[int]:
    return sorted(grown.roots)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_inclusion_proofs_from_storage(grown: _Grown, data: st.DataObject) -> None:
    size = data.draw(st.sampled_from(_sizes(grown)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    root, leaf = grown.roots[size], grown.leaves[index]
    proof = grown.services.ledger.inclusion_proof(index, size)
    verify_inclusion(index, size, leaf, proof, root)

    bit = data.draw(st.integers(0, 255), label="bit")
    with pytest.raises(ProofError):
        verify_inclusion(index, size, leaf, proof, _flip(root, bit))
    with pytest.raises(ProofError):
        verify_inclusion(index, size, _flip(leaf, bit), proof, root)
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1), label="element")
        bad = [*proof[:which], _flip(proof[which], bit), *proof[which + 1 :]]
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaf, bad, root)
    # Another leaf of the same tree always has another path. (Changed sizes are covered in
    # test_proofs_property: RFC 9162 accepts a size that gives the same walk.)
    other_index = index ^ (1 << data.draw(st.integers(0, 9), label="index bit"))
    with pytest.raises(ProofError):
        verify_inclusion(other_index, size, leaf, proof, root)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_consistency_proofs_from_storage(grown: _Grown, data: st.DataObject) -> None:
    sizes = _sizes(grown)
    second = data.draw(st.sampled_from(sizes), label="second")
    first = data.draw(st.sampled_from([s for s in sizes if s <= second]), label="first")
    first_root, second_root = grown.roots[first], grown.roots[second]
    proof = grown.services.ledger.consistency_proof(first, second)
    verify_consistency(first, second, first_root, second_root, proof)

    bit = data.draw(st.integers(0, 255), label="bit")
    with pytest.raises(ProofError):
        verify_consistency(first, second, _flip(first_root, bit), second_root, proof)
    with pytest.raises(ProofError):
        verify_consistency(first, second, first_root, _flip(second_root, bit), proof)
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1), label="element")
        bad = [*proof[:which], _flip(proof[which], bit), *proof[which + 1 :]]
        with pytest.raises(ProofError):
            verify_consistency(first, second, first_root, second_root, bad)
