"""The witness's one decision: cosign a checkpoint only if it extends what it cosigned before.

It follows C2SP tlog-witness ``add-checkpoint`` (https://c2sp.org/tlog-witness): a request
names the old size the client believes the witness is at, a consistency proof from there, and
the new signed checkpoint. The pull runner (:mod:`creditbank.witness.independent.run`) builds
the same request from the bank's public endpoints, so one function decides for either transport.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from creditbank.errors import Conflict, ForkDetected, InvalidInput, NotFound, ProofError
from creditbank.ledger.checkpoint import MAX_SIZE, Checkpoint, open_checkpoint
from creditbank.ledger.hashing import HASH_SIZE
from creditbank.ledger.note import parse_note
from creditbank.ledger.proof_checks import verify_consistency
from creditbank.numerals import natural
from creditbank.witness.cosignature import Cosignature
from creditbank.witness.independent.store import Cosigned, LogState, WitnessStore

MAX_PROOF_LINES = 63
_OLD_LINE = re.compile(r"old ([0-9]+)")


@dataclass(frozen=True)
class AddCheckpoint:
    """An add-checkpoint request: old size, consistency proof and the signed checkpoint."""

    old_size: int
    proof: tuple[bytes, ...]
    checkpoint: str

    def to_text(self) -> str:
        """Return the request body of tlog-witness add-checkpoint."""
        lines = [f"old {self.old_size}"]
        lines += [base64.b64encode(element).decode("ascii") for element in self.proof]
        return "".join(line + "\n" for line in lines) + "\n" + self.checkpoint


def parse_add_checkpoint(body: str) -> AddCheckpoint:
    """Parse an add-checkpoint request body strictly; InvalidInput names the bad line."""
    head, blank, checkpoint = body.partition("\n\n")
    if not blank:
        raise InvalidInput("add-checkpoint request has no blank line before the checkpoint")
    lines = head.split("\n")
    match = _OLD_LINE.fullmatch(lines[0])
    old_size = None if match is None else natural(match.group(1), high=MAX_SIZE)
    if old_size is None:
        raise InvalidInput(f"line 1 {lines[0]!r} is not 'old <size>' in decimal")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise InvalidInput(f"{len(lines) - 1} proof lines, at most {MAX_PROOF_LINES}")
    proof: list[bytes] = []
    for number, line in enumerate(lines[1:], 2):
        try:
            element = base64.b64decode(line.encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error):
            raise InvalidInput(f"line {number} is not a base64 hash") from None
        if len(element) != HASH_SIZE or base64.b64encode(element).decode("ascii") != line:
            raise InvalidInput(f"line {number} is not a canonical base64 {HASH_SIZE}-byte hash")
        proof.append(element)
    return AddCheckpoint(old_size, tuple(proof), checkpoint)


def _root(root_hash: bytes) -> str:
    return base64.b64encode(root_hash).decode("ascii")


def _when(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def check_extends(
    origin: str, previous: Cosigned | None, checkpoint: Checkpoint, proof: Sequence[bytes]
) -> None:
    """Raise ForkDetected unless ``checkpoint`` extends ``previous`` (proven by ``proof``)."""
    if previous is None or previous.size == 0:
        if proof:
            raise ProofError("a consistency proof from the empty tree must be empty")
        return
    new = f"size {checkpoint.size}, root {_root(checkpoint.root_hash)}"
    old = (
        f"size {previous.size}, root {_root(previous.root_hash)}, "
        f"cosigned at {_when(previous.timestamp)}"
    )
    refusing = f"refusing to cosign {origin}: the bank's checkpoint ({new})"
    if checkpoint.size < previous.size:
        raise ForkDetected(
            "smaller-tree",
            f"{refusing} is smaller than the tree this witness cosigned ({old}); "
            "a log never shrinks, so entries were removed behind the witness's back",
        )
    if checkpoint.size == previous.size:
        if checkpoint.root_hash != previous.root_hash or proof:
            raise ForkDetected(
                "same-size-different-root",
                f"{refusing} has the size of the tree this witness cosigned ({old}) "
                "but another root: the log was rewritten (a fork)",
            )
        return
    try:
        verify_consistency(
            previous.size, checkpoint.size, previous.root_hash, checkpoint.root_hash, proof
        )
    except ProofError as exc:
        raise ForkDetected(
            "not-an-extension",
            f"{refusing} does not extend the tree this witness cosigned ({old}): "
            f"the consistency proof does not verify ({exc.detail}); the log was rewritten "
            "(a fork)",
        ) from None


def add_checkpoint(
    store: WitnessStore, request: AddCheckpoint, *, now: int | None = None
) -> tuple[Checkpoint, Cosignature]:
    """Check ``request`` against the witness's state; cosign it and record it, or raise.

    1. The origin must be a log the witness follows (NotFound), and the checkpoint signed by
    one of that log's pinned keys (NoteError). 2. The old size must be the size the witness
    last cosigned (Conflict, with ``latest_size``). 3. The checkpoint must extend it
    (ForkDetected: smaller tree, same size with another root, or a failing proof). 4. The new
    state is written to disk before the cosignature is returned, all under the witness lock.
    """
    origin = request.checkpoint.split("\n", 1)[0]
    with store.locked():
        state = store.load(origin)
        if state is None:
            raise NotFound(f"this witness does not follow a log named {origin!r}")
        checkpoint, _ = open_checkpoint(request.checkpoint, state.log_keys, origin)
        latest = 0 if state.cosigned is None else state.cosigned.size
        if request.old_size != latest:
            raise Conflict(
                f"old size {request.old_size} is not the size this witness last cosigned "
                f"for {origin} ({latest})",
                extra={"latest_size": latest},
            )
        check_extends(origin, state.cosigned, checkpoint, request.proof)
        timestamp = int(datetime.now(UTC).timestamp()) if now is None else now
        cosignature = store.cosigner.cosign(parse_note(request.checkpoint).text, timestamp)
        cosigned = Cosigned(checkpoint.size, checkpoint.root_hash, request.checkpoint, timestamp)
        store.save(LogState(state.origin, state.log_keys, cosigned))
        return checkpoint, cosignature
