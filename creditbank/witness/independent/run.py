"""The pull witness: fetch the bank's checkpoint, check it extends what was cosigned, cosign it.

One round: 1. GET the bank-signed checkpoint; 2. find (or, the first time, pin) the log's
keys; 3. GET a consistency proof from the last cosigned size; 4. decide with
:func:`creditbank.witness.independent.check.add_checkpoint` (the state is written before the
cosignature leaves); 5. POST the checkpoint with the cosignature line to the bank. A refusal
keeps the evidence and never updates the state, so every later round refuses the fork too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from creditbank.errors import CreditbankError, ForkDetected, NoteError, WitnessError
from creditbank.ledger.checkpoint import open_checkpoint, parse_checkpoint
from creditbank.ledger.key_rotation import follow_rotation
from creditbank.ledger.note import NoteVerifier, parse_note, parse_verifier_key
from creditbank.witness.independent.bank_client import Bank
from creditbank.witness.independent.check import AddCheckpoint, add_checkpoint
from creditbank.witness.independent.store import LogState, WitnessStore


@dataclass(frozen=True)
class RoundResult:
    """What one round did: the checkpoint cosigned, and any key pinned for the first time."""

    origin: str
    size: int
    root_hash: bytes
    timestamp: int
    pinned: tuple[str, ...] = ()
    followed: tuple[str, ...] = ()  # keys trusted this round by a rotation statement


def _pin(
    store: WitnessStore, origin: str, bank: Bank, log_keys: Sequence[str]
) -> tuple[LogState, tuple[str, ...]]:
    """Return the state for ``origin``, creating it (and pinning keys) the first time."""
    state = store.load(origin)
    given = [parse_verifier_key(key) for key in log_keys]
    for key in given:
        if key.name != origin:
            raise WitnessError(f"log key {key.label} is not named after the origin {origin!r}")
    if state is not None:
        known = {(k.name, k.key_id) for k in state.log_keys}
        added = [k for k in given if (k.name, k.key_id) not in known]
        if not added:
            return state, ()
        state = LogState(origin, (*state.log_keys, *added), state.cosigned)
    else:
        # Trust on first use when no key was given: the operator sees the key it pinned and
        # should compare it with the one the bank publishes elsewhere.
        added = given or [
            key
            for key in (parse_verifier_key(text) for text in bank.log_keys())
            if key.name == origin
        ]
        if not added:
            raise WitnessError(f"the bank publishes no key named after its origin {origin!r}")
        state = LogState(origin, tuple(added))
    with store.locked():
        store.save(state)
    return state, tuple(key.verifier_key() for key in added)


def _follow_rotations(
    store: WitnessStore, state: LogState, bank: Bank, note: str
) -> tuple[LogState, tuple[str, ...]]:
    """Trust the keys the log's trusted keys vouched for, if the note bears an unknown one.

    A statement counts only when a key already pinned signed it (and the new key too), so a
    chain of rotations is followed in order and a bank cannot slip in a key of its choosing
    without the old key's signature. Statements that do not verify are ignored.
    """
    known = {key.key_id for key in state.log_keys}
    signers = parse_note(note).signatures
    if all(sig.name != state.origin or sig.key_id in known for sig in signers):
        return state, ()
    trusted = list(state.log_keys)
    followed: list[str] = []
    statements = bank.key_rotations()
    progress = True
    while progress:  # a later statement may rest on a key an earlier one introduced
        progress = False
        for statement in statements:
            try:
                new = follow_rotation(statement, trusted, state.origin)
            except NoteError:
                continue
            if new.key_id not in {key.key_id for key in trusted}:
                trusted.append(new)
                followed.append(new.verifier_key())
                progress = True
    if not followed:
        return state, ()
    state = LogState(state.origin, tuple(trusted), state.cosigned)
    with store.locked():
        store.save(state)
    return state, tuple(followed)


def _evidence(state: LogState, note: str, proof: Sequence[bytes], error: ForkDetected) -> str:
    previous = "(none)\n" if state.cosigned is None else state.cosigned.note
    lines = [
        f"refused: {error.detail}",
        "",
        "cosigned before:",
        previous,
        "offered now:",
        note,
        f"consistency proof ({len(proof)} hashes): " + " ".join(p.hex() for p in proof),
        "",
    ]
    return "\n".join(lines)


def run_round(
    store: WitnessStore, bank: Bank, *, log_keys: Sequence[str] = (), now: int | None = None
) -> RoundResult:
    """Run one round against ``bank``; raise ForkDetected if the log does not extend."""
    # 1. The bank's latest checkpoint (its signature is checked against pinned keys below).
    note = bank.checkpoint()
    try:
        origin = parse_checkpoint(parse_note(note).text).origin
    except NoteError as exc:
        raise WitnessError(
            f"the bank's checkpoint is not a checkpoint note: {exc.detail}"
        ) from None
    # 2. The log's keys: pinned in the witness's state, never taken from the bank silently.
    state, pinned = _pin(store, origin, bank, log_keys)
    # A key the checkpoint bears but the witness does not trust yet: follow the rotations.
    state, followed = _follow_rotations(store, state, bank, note)
    verifiers: list[NoteVerifier] = list(state.log_keys)
    checkpoint, _ = open_checkpoint(note, verifiers, origin)
    # 3. A consistency proof from what this witness cosigned, when the tree grew past it.
    previous = state.cosigned
    old_size = 0 if previous is None else previous.size
    proof: list[bytes] = []
    if 0 < old_size < checkpoint.size:
        proof = bank.consistency_proof(old_size, checkpoint.size)
    # 4. Decide; a fork is kept as evidence and never cosigned.
    try:
        checked, cosignature = add_checkpoint(
            store, AddCheckpoint(old_size, tuple(proof), note), now=now
        )
    except ForkDetected as error:
        store.keep_evidence(origin, _evidence(state, note, proof, error))
        raise
    # 5. Hand the cosignature to the bank, on the very note it signed.
    bank.submit(note + cosignature.line())
    return RoundResult(
        origin, checked.size, checked.root_hash, cosignature.timestamp, pinned, followed
    )


def run_forever(
    round_: Callable[[], RoundResult],
    interval: float,
    report: Callable[[str], None],
    *,
    rounds: int | None = None,
) -> None:
    """Run rounds every ``interval`` seconds; a fork stops the loop, other errors are retried."""
    done = 0
    while rounds is None or done < rounds:
        try:
            result = round_()
            report(f"cosigned {result.origin} size {result.size}")
        except ForkDetected:
            raise
        except CreditbankError as exc:
            report(f"error (will retry): {exc.detail}")
        done += 1
        if rounds is None or done < rounds:
            time.sleep(interval)
