"""Ledger evidence for one record: what proves, offline, that it is in the bank's log.

A record's evidence carries the opening of its entry's commitment (the payload and the salt),
the rest of its entry envelope (so the entry bytes can be rebuilt), an RFC 9162 inclusion
proof and the full signed checkpoint (every signature line, so witness cosignatures can ride
along; lines by keys the verifier does not know are ignored). A verifier recomputes
``SHA-256(salt ‖ canonical(payload))``, the entry bytes, the leaf hash and the root, and checks
the checkpoint's signature with the log's published keys.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from creditbank.canonical import canonical_json
from creditbank.errors import CreditbankError, EvidenceInvalid, NoteError
from creditbank.ledger.checkpoint import Checkpoint, open_checkpoint
from creditbank.ledger.envelope import Envelope, commitment, decode_envelope
from creditbank.ledger.hashing import hash_leaf
from creditbank.ledger.note import NoteVerifier
from creditbank.ledger.proof_checks import root_from_inclusion_proof

EVIDENCE_TYPE = ["Evidence", "LedgerEvidence"]
EVIDENCE_NAME = "账本收录证明 Ledger inclusion proof"
DELEGATION_EVIDENCE_NAME = "委托登记证明 Delegation on the ledger"
SIGNING_KEY_EVIDENCE_NAME = "签名密钥登记证明 Batch-signing key on the ledger"


def build_evidence(
    entry_bytes: bytes,
    *,
    salt: bytes,
    payload_bytes: bytes,
    proof: Sequence[bytes],
    tree_size: int,
    checkpoint_note: str,
    name: str = EVIDENCE_NAME,
) -> dict[str, Any]:
    """The ``LedgerEvidence`` object of one entry, proven against one signed checkpoint."""
    envelope = decode_envelope(entry_bytes)
    entry = envelope.to_json()
    return {
        "type": list(EVIDENCE_TYPE),
        "name": name,
        "ledgerIndex": envelope.index,
        "ledgerEntry": entry,
        "ledgerPayload": json.loads(payload_bytes),
        "commitmentSalt": salt.hex(),
        "inclusionProof": {
            "size": tree_size,
            "hashes": [base64.b64encode(h).decode("ascii") for h in proof],
        },
        "checkpoint": checkpoint_note,
    }


@dataclass(frozen=True)
class ProvenEntry:
    """What a checked evidence object establishes."""

    index: int
    kind: str
    payload: Mapping[str, Any]
    checkpoint: Checkpoint
    checkpoint_note: str
    actor: str = ""
    time: str = ""


class CheckpointCache:
    """Opens each distinct signed checkpoint once (a transcript repeats one per record)."""

    def __init__(self, verifiers: Sequence[NoteVerifier], origin: str | None) -> None:
        self.verifiers = tuple(verifiers)
        self.origin = origin
        self._opened: dict[str, tuple[Checkpoint, tuple[NoteVerifier, ...]] | EvidenceInvalid] = {}

    def opened(self, note: str) -> tuple[Checkpoint, tuple[NoteVerifier, ...]]:
        """What ``open_checkpoint`` gives for ``note``; EvidenceInvalid if it does not verify."""
        found = self._opened.get(note)
        if found is None:
            try:
                found = open_checkpoint(note, self.verifiers, self.origin)
            except NoteError as exc:
                found = EvidenceInvalid("checkpoint signature", exc.detail)
            self._opened[note] = found
        if isinstance(found, EvidenceInvalid):
            raise found
        return found

    def open(self, note: str) -> Checkpoint:
        """The checkpoint of ``note`` if its signature verifies; EvidenceInvalid otherwise."""
        return self.opened(note)[0]


def _field(evidence: Mapping[str, Any], name: str, kind: type, check: str) -> Any:
    value = evidence.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise EvidenceInvalid(check, f"{name} is missing or not a {kind.__name__}")
    return value


_ENTRY_FIELDS = frozenset({"v", "index", "kind", "time", "actor", "prev", "commitment"})


def _envelope(evidence: Mapping[str, Any]) -> Envelope:
    entry = _field(evidence, "ledgerEntry", dict, "commitment opening")
    if set(entry) != _ENTRY_FIELDS:
        raise EvidenceInvalid("commitment opening", "ledgerEntry does not hold the envelope fields")
    try:
        envelope = Envelope(
            version=entry["v"],
            index=entry["index"],
            kind=entry["kind"],
            time=entry["time"],
            actor=entry["actor"],
            prev=bytes.fromhex(entry["prev"]),
            commitment=bytes.fromhex(entry["commitment"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise EvidenceInvalid("commitment opening", f"ledgerEntry is malformed: {exc}") from None
    if not all(isinstance(entry[k], str) for k in ("kind", "time", "actor", "prev", "commitment")):
        raise EvidenceInvalid("commitment opening", "ledgerEntry fields are not text")
    if type(entry["v"]) is not int or type(entry["index"]) is not int:
        raise EvidenceInvalid("commitment opening", "ledgerEntry v and index must be integers")
    return envelope


def check_evidence(
    evidence: Any, checkpoints: CheckpointCache, *, payload_bytes: bytes | None = None
) -> ProvenEntry:
    """Check one evidence object; EvidenceInvalid names the check that failed.

    1. commitment opening: the salt and payload give the entry's commitment, and the envelope
       fields the entry bytes; 2. inclusion proof: the leaf hash and proof give a root;
    3. checkpoint signature: the checkpoint verifies with the log's keys, and 4. its size and
    root are those the proof was made for. ``payload_bytes`` is the canonical form of the
    evidence's ``ledgerPayload`` when the caller has it.
    """
    if not isinstance(evidence, Mapping):
        raise EvidenceInvalid("commitment opening", "the evidence is not an object")
    # 1. The opening.
    try:
        salt = bytes.fromhex(_field(evidence, "commitmentSalt", str, "commitment opening"))
    except ValueError:
        raise EvidenceInvalid("commitment opening", "commitmentSalt is not hex") from None
    if len(salt) != 32:
        raise EvidenceInvalid("commitment opening", "commitmentSalt is not 32 bytes")
    payload = _field(evidence, "ledgerPayload", dict, "commitment opening")
    if payload_bytes is None:
        try:
            payload_bytes = canonical_json(payload)
        except (TypeError, ValueError) as exc:
            raise EvidenceInvalid(
                "commitment opening", f"payload is not canonical JSON: {exc}"
            ) from None
    envelope = _envelope(evidence)
    if commitment(salt, payload_bytes) != envelope.commitment:
        raise EvidenceInvalid(
            "commitment opening", "SHA-256(salt ‖ payload) is not the entry's commitment"
        )
    index = _field(evidence, "ledgerIndex", int, "commitment opening")
    if index != envelope.index:
        raise EvidenceInvalid("commitment opening", "ledgerIndex differs from the entry's index")
    leaf = hash_leaf(envelope.encode())
    # 2. The inclusion proof.
    proof = _field(evidence, "inclusionProof", dict, "inclusion proof")
    size = proof.get("size")
    hashes = proof.get("hashes")
    if type(size) is not int or not isinstance(hashes, list):
        raise EvidenceInvalid("inclusion proof", "inclusionProof needs an integer size and hashes")
    try:
        # base64.b64decode(h, validate=True) without its Python layer.
        path = [binascii.a2b_base64(h, strict_mode=True) for h in hashes]
        root = root_from_inclusion_proof(index, size, leaf, path)
    except (binascii.Error, TypeError, ValueError):
        raise EvidenceInvalid("inclusion proof", "a proof hash is not base64") from None
    except CreditbankError as exc:
        raise EvidenceInvalid("inclusion proof", exc.detail) from None
    # 3. The checkpoint's signature.
    note = _field(evidence, "checkpoint", str, "checkpoint signature")
    checkpoint = checkpoints.open(note)
    # 4. The proof must lead to the checkpoint's root at the checkpoint's size.
    if checkpoint.size != size:
        raise EvidenceInvalid(
            "inclusion proof", f"proof is for size {size}, the checkpoint has {checkpoint.size}"
        )
    if checkpoint.root_hash != root:
        raise EvidenceInvalid(
            "inclusion proof",
            f"the entry does not lead to the checkpoint's root (got {root.hex()[:16]}…, "
            f"committed entry or proof altered)",
        )
    return ProvenEntry(
        index, envelope.kind, payload, checkpoint, note, envelope.actor, envelope.time
    )
