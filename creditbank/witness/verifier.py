"""Checking a cosigned checkpoint: the log's signature, then which known witnesses cosigned it.

This is what a verifier (a transcript checker, an auditor) runs offline: it needs the note, the
log's verifier key(s) and the witnesses' cosigner keys it trusts, nothing from the bank.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from creditbank.errors import InvalidInput, WitnessQuorumNotMet
from creditbank.ledger.checkpoint import Checkpoint, open_checkpoint
from creditbank.ledger.note import NoteVerifier, parse_note, parse_verifier_key
from creditbank.witness.cosignature import CosignerKey, parse_cosigner_key


@dataclass(frozen=True)
class WitnessCosigned:
    """One trusted witness that cosigned: its name, key id and the time it cosigned at."""

    name: str
    key_id: bytes
    timestamp: int

    @property
    def time(self) -> datetime:
        """The cosignature time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.timestamp, UTC)

    @property
    def label(self) -> str:
        """``<name>+<hex key id>``."""
        return f"{self.name}+{self.key_id.hex()}"


@dataclass(frozen=True)
class CosignedCheckpoint:
    """A checkpoint whose log signature verified, and the trusted witnesses that cosigned it."""

    checkpoint: Checkpoint
    log_keys: tuple[NoteVerifier, ...]
    cosigners: tuple[WitnessCosigned, ...]


def _log_verifiers(
    log_key: NoteVerifier | str | Sequence[NoteVerifier | str],
) -> list[NoteVerifier]:
    keys = [log_key] if isinstance(log_key, NoteVerifier | str) else list(log_key)
    return [parse_verifier_key(key) if isinstance(key, str) else key for key in keys]


def verify_cosigned_checkpoint(
    note_text: str,
    log_key: NoteVerifier | str | Sequence[NoteVerifier | str],
    witness_keys: Sequence[CosignerKey | str],
    *,
    require: int = 0,
    origin: str | None = None,
    opened: tuple[Checkpoint, tuple[NoteVerifier, ...]] | None = None,
) -> CosignedCheckpoint:
    """Verify a checkpoint note and its witness cosignatures; at least ``require`` must verify.

    Steps: 1. the log's signature (by a key named after the origin; ``origin`` if given);
    2. every signature line by a trusted witness (same name and key id) must be a valid
    cosignature/v1 on the checkpoint body, lines by other keys are ignored;
    3. at least ``require`` distinct trusted witnesses cosigned. NoteError, CosignatureInvalid
    or WitnessQuorumNotMet (check ``witness cosignatures``) says which step failed.
    ``opened`` is what ``open_checkpoint`` gave for this note, these log keys and this origin,
    when the caller has already made step 1.
    """
    witnesses = [parse_cosigner_key(key) if isinstance(key, str) else key for key in witness_keys]
    if require < 0 or require > len(witnesses):
        raise InvalidInput(
            f"cannot require {require} witness cosignatures with {len(witnesses)} witness keys"
        )
    # 1. The log's own signature: the checkpoint is the bank's.
    checkpoint, log_verified = (
        opened
        if opened is not None
        else open_checkpoint(note_text, _log_verifiers(log_key), origin)
    )
    # 2. Cosignatures by the witnesses we trust; a matching line that fails is an error, as in
    #    signed-note verification, since it claims to come from a key we know.
    note = parse_note(note_text)
    found: dict[CosignerKey, WitnessCosigned] = {}
    for signature in note.signatures:
        for witness in witnesses:
            if witness.matches(signature):
                cosignature = witness.verify(note.text, signature)
                found[witness] = WitnessCosigned(
                    witness.name, witness.key_id, cosignature.timestamp
                )
    cosigners = tuple(found[w] for w in dict.fromkeys(witnesses) if w in found)
    # 3. The quorum.
    if len(cosigners) < require:
        raise WitnessQuorumNotMet(require, [c.label for c in cosigners])
    return CosignedCheckpoint(checkpoint, log_verified, cosigners)
