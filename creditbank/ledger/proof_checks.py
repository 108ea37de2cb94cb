"""Pure checkers for RFC 9162 inclusion and consistency proofs.

They follow RFC 9162 §2.1.3.2 and §2.1.4.2 and match transparency-dev/merkle's verifier on
its edge cases: a consistency proof from the empty tree is refused, and between equal sizes
only an empty proof and byte-identical roots are accepted.
"""

from __future__ import annotations

from collections.abc import Sequence

from creditbank.errors import Mismatch, ProofError, RootMismatch
from creditbank.ledger.hashing import HASH_SIZE, hash_children


def _path_length(index: int, last: int) -> int:
    """Return the proof length of position ``index`` in a tree whose last position is ``last``."""
    # Below the level where the paths to ``index`` and ``last`` meet, every node has a sibling;
    # above it, ``index`` is on the right edge and has a (left) sibling only where its bit is 1.
    inner = (index ^ last).bit_length()
    return inner + (index >> inner).bit_count()


def _check_hash(what: str, value: bytes) -> None:
    """Refuse a value that cannot be a hash."""
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes, a hash is {HASH_SIZE}")


def _check_proof_shape(proof: Sequence[bytes], want: int) -> None:
    """Refuse a proof of the wrong length or with an element that is not a hash."""
    if len(proof) != want:
        raise ProofError(f"proof has {len(proof)} hashes, {want} expected")
    for position, element in enumerate(proof):
        if len(element) != HASH_SIZE:
            _check_hash(f"proof[{position}]", element)


def root_from_inclusion_proof(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]
) -> bytes:
    """Return the root that ``proof`` gives for ``leaf_hash`` at ``index``.

    Requires ``0 <= index < size``, hashes of 32 bytes and a proof of the length the index and
    size call for; raise ProofError otherwise.
    """
    # 1. Shapes: the index is in the tree, the leaf hash and every element are hashes, and the
    #    proof has exactly the length this index and size call for.
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    _check_hash("leaf hash", leaf_hash)
    _check_proof_shape(proof, _path_length(index, size - 1))
    # 2. Walk up from the leaf (RFC 9162 §2.1.3.2): fn is our position, sn the last position.
    fn, sn = index, size - 1
    result = leaf_hash
    for element in proof:
        if fn & 1 or fn == sn:
            # 3. The element is a left sibling; when we are a right-edge node with no right
            #    sibling, climb the levels where the RFC tree promotes us unchanged.
            result = hash_children(element, result)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            # 4. The element is a right sibling.
            result = hash_children(result, element)
        fn >>= 1
        sn >>= 1
    # 5. The length check in step 1 guarantees the walk ended at the root.
    assert sn == 0
    return result


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree ``(size, root)``.

    Requires ``0 <= index < size``; raise ProofError for a malformed input and RootMismatch
    if the proof leads to another root.
    """
    # 1. The claimed root must be a hash at all.
    _check_hash("root", root)
    # 2. Recompute the root from the leaf and the proof (shape checks happen there).
    computed = root_from_inclusion_proof(index, size, leaf_hash, proof)
    # 3. It must be the claimed root.
    if computed != root:
        raise RootMismatch("inclusion proof", Mismatch(expected=root, actual=computed))


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree ``(first, first_root)`` is a prefix of ``(second, second_root)``.

    Requires ``0 < first <= second``; raise ProofError for a malformed input and RootMismatch
    if the proof leads to other roots.
    """
    # 1. Sizes: the old tree cannot be larger, and nothing follows from the empty tree.
    if first > second:
        raise ProofError(f"tree size {first} is larger than {second}")
    if first == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")
    # 2. Equal sizes: the proof is empty and the roots are the same bytes. The roots are not
    #    length-checked here, as in transparency-dev/merkle.
    if first == second:
        if proof:
            raise ProofError(f"proof between equal sizes must be empty, has {len(proof)} hashes")
        if first_root != second_root:
            raise RootMismatch(
                "consistency proof", Mismatch(expected=second_root, actual=first_root)
            )
        return
    # 3. Shapes: both roots are hashes and the proof has the length the sizes call for.
    _check_hash("first root", first_root)
    _check_hash("second root", second_root)
    fn, sn = first - 1, second - 1
    # 4. Skip the levels where the old tree's last node is a right child (RFC step 3); its
    #    largest perfect subtree on the right edge is where both walks start.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5. If the old tree is perfect (fn is now 0), its root is that subtree and the proof
    #    leaves it out (RFC step 1); otherwise the proof starts with it.
    seeded = fn == 0
    _check_proof_shape(proof, _path_length(fn, sn) + (0 if seeded else 1))
    path = [first_root, *proof] if seeded else list(proof)
    # 6. Walk up twice at once (RFC step 5): fr rebuilds the old root, sr the new one.
    fr = sr = path[0]
    for element in path[1:]:
        if fn & 1 or fn == sn:
            fr = hash_children(element, fr)
            sr = hash_children(element, sr)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            sr = hash_children(sr, element)
        fn >>= 1
        sn >>= 1
    # 7. The length check in step 5 guarantees the walk ended at the root.
    assert sn == 0
    # 8. Both rebuilt roots must be the claimed ones.
    if fr != first_root:
        raise RootMismatch(
            "consistency proof, first root", Mismatch(expected=first_root, actual=fr)
        )
    if sr != second_root:
        raise RootMismatch(
            "consistency proof, second root", Mismatch(expected=second_root, actual=sr)
        )
