"""The ``authorship`` check: who posted a record, from whom, and what let them.

A record's committed payload names its poster (``institution``, the member whose key posted
it) and its outcome names its source (a course's ``source_institution``; other kinds are
from their poster). When the two differ, the payload names the delegation it was posted
under, and the record carries that delegation's own ledger evidence. The check, offline:

1. the delegation's evidence opens and is included under a checkpoint the log's keys sign;
2. its entry is a ``delegation.granted`` by the source or the bank, before the record's;
3. it names the source as delegator, the poster as delegate and the record's kind;
4. the record's entry time lies within its effective period.

An ending of the delegation is a later entry the bank checked when the record was posted;
an auditor holding the log can check it too.

A record from a batch the institution signed over its items
(:mod:`creditbank.records.signed_items`) also carries its signing key's ``key_added`` entry;
the check then verifies the institution's own signature over the tree holding the record's
item, and that the item is what the record commits, so authorship does not rest on the
bank's word.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from creditbank.errors import CreditbankError, EvidenceInvalid
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.proof_checks import root_from_inclusion_proof
from creditbank.records.parsing import parse_outcome
from creditbank.records.signed_items import SCHEME, item_leaf, items_message
from creditbank.transcripts.evidence import CheckpointCache, ProvenEntry, check_evidence

_RECORDS = {EntryKind.RECORD_POSTED.value, EntryKind.RECORD_CORRECTED.value}


@dataclass(frozen=True)
class Author:
    """Who posted a record and whom it is from; ``delegation`` when they differ."""

    poster: str
    source: str
    delegation: int | None = None


def author_of(kind: str, payload: Mapping[str, Any]) -> Author | None:
    """The poster and source a record entry's payload states (None for other entries)."""
    if kind not in _RECORDS:
        return None
    poster = str(payload.get("institution"))
    outcome = payload.get("outcome")
    source = poster
    if isinstance(outcome, Mapping) and outcome.get("kind") == "course":
        source = str(outcome.get("source_institution"))
    delegation = payload.get("delegation")
    index = delegation.get("index") if isinstance(delegation, Mapping) else None
    return Author(poster, source, index if type(index) is int else None)


def _grant_problem(
    grant: ProvenEntry, record: ProvenEntry, author: Author, outcome_kind: str, delegation: Any
) -> str | None:
    """Why a proven entry is not a delegation covering the record (None when it is)."""
    payload = grant.payload
    if grant.kind != EntryKind.DELEGATION_GRANTED.value:
        return f"ledger entry {grant.index} is a {grant.kind}, not a delegation.granted"
    if grant.actor not in ("bank", f"institution:{author.source}"):
        return f"delegation {grant.index} was registered by {grant.actor}, not {author.source}"
    if payload.get("delegation") != delegation.get("id"):
        return f"delegation {grant.index} is not the one the record names"
    if payload.get("delegator") != author.source or payload.get("delegate") != author.poster:
        return (
            f"delegation {grant.index} is from {payload.get('delegator')} to "
            f"{payload.get('delegate')}, not from {author.source} to {author.poster}"
        )
    kinds = payload.get("kinds")
    if not isinstance(kinds, list) or outcome_kind not in kinds:
        return f"delegation {grant.index} does not cover {outcome_kind} outcomes"
    if grant.index >= record.index:
        return f"delegation {grant.index} was logged after the record ({record.index})"
    start, until = payload.get("effective_from"), payload.get("effective_until")
    # Log times are one fixed format (ms, UTC, Z), so they compare as text.
    if not isinstance(start, str) or record.time < start:
        return f"the record ({record.time}) predates delegation {grant.index} ({start})"
    if until is not None and (not isinstance(until, str) or record.time >= until):
        return f"the record ({record.time}) is after delegation {grant.index} ended ({until})"
    return None


def _proven(
    index: Any, evidence: Sequence[Any], checkpoints: CheckpointCache, what: str
) -> ProvenEntry | str:
    """The proven entry at ``index`` among the record's further evidence, or why not."""
    found = [
        item
        for item in evidence[1:]
        if isinstance(item, Mapping) and type(index) is int and item.get("ledgerIndex") == index
    ]
    if not found:
        return f"the evidence of {what} {index} is missing"
    try:
        return check_evidence(found[0], checkpoints)
    except EvidenceInvalid as exc:
        return f"{what} {index}: {exc.check}: {exc.reason}"


def _delegation(
    record: ProvenEntry, author: Author, evidence: Sequence[Any], checkpoints: CheckpointCache
) -> tuple[str | None, str]:
    outcome = record.payload.get("outcome")
    outcome_kind = str(outcome.get("kind")) if isinstance(outcome, Mapping) else ""
    delegation = record.payload.get("delegation")
    if author.delegation is None or not isinstance(delegation, Mapping):
        return f"posted by {author.poster} as from {author.source}, with no delegation named", ""
    grant = _proven(author.delegation, evidence, checkpoints, "delegation")
    if isinstance(grant, str):
        return grant, ""
    problem = _grant_problem(grant, record, author, outcome_kind, delegation)
    if problem is not None:
        return problem, ""
    return None, f"posted by {author.poster} from {author.source} under delegation {grant.index}"


def _item_problem(item: Any, payload: Mapping[str, Any]) -> str | None:
    """Why the signed item is not what the record commits (None when it is)."""
    if not isinstance(item, Mapping):
        return "the signed item is not an object"
    fields = {k: v for k, v in item.items() if k not in ("learner_id", "external_id")}
    if item.get("learner_id") != payload.get("learner"):
        return "the signed item is about another learner"
    if item.get("external_id") != payload.get("external_id"):
        return "the signed item has another external_id"
    try:
        signed = parse_outcome(fields, today=date.max).to_payload()
    except CreditbankError as exc:
        return f"the signed item is not an outcome: {exc.detail}"
    if signed != payload.get("outcome"):
        return "the signed item's outcome differs from the committed record"
    return None


def _signature(
    record: ProvenEntry, poster: str, evidence: Sequence[Any], checkpoints: CheckpointCache
) -> tuple[str | None, str]:
    """Check the poster's own signature over the record, when its batch was signed by item."""
    signed = record.payload.get("signed_batch")
    if not isinstance(signed, Mapping):
        return None, ""
    if signed.get("scheme") != SCHEME:
        return None, "batch signed over its whole body (checkable only with the batch)"
    key = _proven(signed.get("key_index"), evidence, checkpoints, "signing key")
    if isinstance(key, str):
        return key, ""
    payload = key.payload
    if key.kind != EntryKind.INSTITUTION_KEY_ADDED.value:
        return f"ledger entry {key.index} is a {key.kind}, not a key_added", ""
    if payload.get("institution") != poster or payload.get("key_id") != signed.get("key_id"):
        return f"ledger entry {key.index} is not {poster}'s key {signed.get('key_id')}", ""
    if key.actor not in ("bank", f"institution:{poster}") or key.index >= record.index:
        return f"key {signed.get('key_id')} was not registered for {poster} before the record", ""
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(payload["public_key"]))
        proof = [base64.b64decode(h, validate=True) for h in signed["proof"]]
        root = root_from_inclusion_proof(
            signed["position"], signed["size"], item_leaf(signed["item"]), proof
        )
        signature = base64.b64decode(signed["signature"], validate=True)
        public.verify(signature, items_message(poster, signed["size"], root))
    except InvalidSignature:
        return f"{poster}'s signature over the batch's items does not verify", ""
    except (CreditbankError, KeyError, TypeError, ValueError, binascii.Error) as exc:
        return f"the batch signature cannot be checked: {exc}", ""
    problem = _item_problem(signed["item"], record.payload)
    if problem is not None:
        return problem, ""
    return None, f"signed by {poster} (key {key.payload['key_id']})"


def check_authorship(
    record: ProvenEntry, evidence: Sequence[Any], checkpoints: CheckpointCache
) -> tuple[str | None, str]:
    """(Why the record's authorship does not hold or None, what it establishes)."""
    author = author_of(record.kind, record.payload)
    if author is None:
        return None, ""
    if author.source == author.poster:
        problem, established = None, f"posted by {author.poster}"
    else:
        problem, established = _delegation(record, author, evidence, checkpoints)
    if problem is not None:
        return problem, ""
    problem, signed = _signature(record, author.poster, evidence, checkpoints)
    if problem is not None:
        return problem, ""
    return None, f"{established}, {signed}" if signed else established
