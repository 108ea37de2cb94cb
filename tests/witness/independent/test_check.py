"""add-checkpoint as C2SP tlog-witness defines it: request grammar, old size, consistency."""

from __future__ import annotations

from pathlib import Path

import pytest

from creditbank.errors import Conflict, ForkDetected, InvalidInput, NotFound, ProofError
from creditbank.ledger.checkpoint import Checkpoint, sign_checkpoint
from creditbank.ledger.hashing import hash_children, hash_leaf
from creditbank.ledger.note import NoteSigner
from creditbank.witness.independent.check import AddCheckpoint, add_checkpoint, parse_add_checkpoint
from creditbank.witness.independent.store import LogState, WitnessStore
from tests.shared_vectors import requires_shared, shared_dir

ORIGIN = "bank.example/log"
LOG = NoteSigner.generate(ORIGIN)
LEAVES = [hash_leaf(bytes([i])) for i in range(4)]
ROOT_2 = hash_children(LEAVES[0], LEAVES[1])
ROOT_4 = hash_children(ROOT_2, hash_children(LEAVES[2], LEAVES[3]))


def _note(size: int, root: bytes) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, size, root), [LOG])


@pytest.fixture
def store(tmp_path: Path) -> WitnessStore:
    created = WitnessStore.create(tmp_path / "w", "w.example/w")
    with created.locked():
        created.save(LogState(ORIGIN, (LOG.verifier,)))
    return created


@requires_shared
def test_parses_the_spec_request_body() -> None:
    text = shared_dir() / "vectors" / "c2sp" / "tlog-witness-add-checkpoint-request.txt"
    body = text.read_text(encoding="utf-8")
    request = parse_add_checkpoint(body)
    assert request.old_size == 20852014 and len(request.proof) == 4
    assert request.checkpoint.startswith("example.com/behind-the-sofa\n20852163\n")
    assert request.to_text() == body


def test_refuses_malformed_request_bodies() -> None:
    for body, problem in [
        ("old 1\n", "no blank line"),
        ("old 01\n\nx", "not 'old <size>'"),
        ("old 1\nnot base64!\n\nx", "line 2"),
        ("old 1\nAAAA\n\nx", "32-byte hash"),
        ("old 1\n" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" * 64 + "\nx", "at most 63"),
    ]:
        with pytest.raises(InvalidInput, match=problem):
            parse_add_checkpoint(body)


def test_old_size_must_match_and_the_tree_must_extend(store: WitnessStore) -> None:
    _, first = add_checkpoint(store, AddCheckpoint(0, (), _note(2, ROOT_2)), now=1)
    assert first.timestamp == 1
    with pytest.raises(Conflict) as conflict:
        add_checkpoint(store, AddCheckpoint(0, (), _note(4, ROOT_4)), now=2)
    assert conflict.value.extra == {"latest_size": 2}
    # The proof from 2 to 4 is the right sibling subtree.
    proof = (hash_children(LEAVES[2], LEAVES[3]),)
    checkpoint, _ = add_checkpoint(store, AddCheckpoint(2, proof, _note(4, ROOT_4)), now=3)
    assert checkpoint.size == 4
    with pytest.raises(ForkDetected) as fork:
        add_checkpoint(store, AddCheckpoint(4, (), _note(4, ROOT_2)), now=4)
    assert fork.value.reason == "same-size-different-root"
    with pytest.raises(ForkDetected) as fork:
        add_checkpoint(store, AddCheckpoint(4, (), _note(2, ROOT_2)), now=5)
    assert fork.value.reason == "smaller-tree"
    state = store.load(ORIGIN)
    assert state is not None and state.cosigned is not None
    assert (state.cosigned.size, state.cosigned.timestamp) == (4, 3)


def test_unknown_origin_and_non_empty_proof_from_zero(store: WitnessStore) -> None:
    other = NoteSigner.generate("other.example/log")
    note = sign_checkpoint(Checkpoint("other.example/log", 2, ROOT_2), [other])
    with pytest.raises(NotFound):
        add_checkpoint(store, AddCheckpoint(0, (), note))
    with pytest.raises(ProofError):
        add_checkpoint(store, AddCheckpoint(0, (ROOT_2,), _note(2, ROOT_2)))
