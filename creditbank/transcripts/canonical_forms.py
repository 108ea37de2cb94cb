"""Canonical forms of a transcript and its records, composed from pieces encoded once.

A proof over the transcript covers every record's credential, and each record's own proof
covers it again: encoding each record once, in three pieces (the members before its ``proof``,
the proof, the members after), and composing the transcript from those pieces with the
encoder's composition helpers halves the canonicalisation a verification needs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from creditbank.canonical import (
    Chunk,
    ascii_keys,
    canonical_json,
    canonical_json_each,
    compose_array,
    compose_object,
    member,
    members_of,
    split_members,
)
from creditbank.transcripts.cryptosuite import unsecured


def digest(chunks: Sequence[Chunk] | None) -> bytes | None:
    """SHA-256 of the concatenated chunks (None for None)."""
    if chunks is None:
        return None
    hashed = hashlib.sha256()
    for chunk in chunks:
        hashed.update(chunk)
    return hashed.digest()


def _same_items(found: Any, nested: Sequence[Any]) -> bool:
    return (
        isinstance(found, list)
        and len(found) == len(nested)
        and all(a is b for a, b in zip(found, nested, strict=True))
    )


def _payload(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``ledgerPayload`` of a record's own (first) evidence object, if it has one."""
    evidence = record.get("evidence")
    if isinstance(evidence, list) and evidence and isinstance(evidence[0], Mapping):
        payload = evidence[0].get("ledgerPayload")
        if type(payload) is dict:
            return payload
    return None


def _transcript_form(
    subject_before: Chunk,
    subject_after: Chunk,
    before: Chunk,
    after: Chunk,
    records: Sequence[Sequence[Chunk]],
) -> tuple[Chunk, ...]:
    """The transcript's form, from the records' forms and the runs of members around them.

    The runs are the subject's members before and after its records, and the transcript's
    before and after its subject.
    """
    records_member = member("verifiableCredential", compose_array(records))
    subject = compose_object([[subject_before], records_member, [subject_after]])
    return tuple(compose_object([[before], member("credentialSubject", subject), [after]]))


@dataclass(frozen=True)
class CanonicalForms:
    """Canonical forms of a transcript and its records, each part encoded once.

    Each form is a sequence of chunks whose concatenation equals ``canonical_json`` of the
    document without its proof (tests check it), or None where the shortcut does not apply.
    ``payloads`` holds the canonical form of each record's ledger payload, which its evidence
    check needs: encoded here, while the record is at hand, it costs a third of what it costs
    there.
    """

    outer: tuple[Chunk, ...] | None
    nested: tuple[tuple[Chunk, ...] | None, ...]
    payloads: tuple[bytes | None, ...] = ()

    @classmethod
    def of(cls, credential: Mapping[str, Any], nested: Sequence[Any]) -> CanonicalForms:
        """Compose the forms, or give None where the shortcut does not apply."""
        # Every piece is encoded in one pass (each distinct key checked once); ``starts`` says
        # where each record's three pieces and its payload are, None for a record the shortcut
        # cannot take.
        values: list[Any] = []
        starts: list[int | None] = []
        for item in nested:
            if not isinstance(item, Mapping) or not ascii_keys(item):
                starts.append(None)
                continue
            starts.append(len(values))
            values.extend(split_members(item, "proof"))
            values.append(item.get("proof"))
            values.append(_payload(item))
        # The transcript is composed from its records when they are all its subject's own.
        found = credential.get("credentialSubject")
        subject = (
            found
            if None not in starts
            and isinstance(found, Mapping)
            and _same_items(found.get("verifiableCredential"), nested)
            and ascii_keys(credential)
            and ascii_keys(found)
            else None
        )
        if subject is not None:
            values.extend(split_members(subject, "verifiableCredential"))
            without_proof = {key: value for key, value in credential.items() if key != "proof"}
            values.extend(split_members(without_proof, "credentialSubject"))
        encoded = canonical_json_each(values)
        unsecured_nested: list[tuple[Chunk, ...] | None] = []
        full_nested: list[list[Chunk]] = []
        payloads: list[bytes | None] = []
        for item, start in zip(nested, starts, strict=True):
            if start is None:
                unsecured_nested.append(None)
                payloads.append(None)
                continue
            payloads.append(encoded[start + 3] if _payload(item) is not None else None)
            before, after = members_of(encoded[start]), members_of(encoded[start + 1])
            unsecured_nested.append(tuple(compose_object([[before], [after]])))
            proof = member("proof", [encoded[start + 2]]) if "proof" in item else []
            full_nested.append(compose_object([[before], proof, [after]]))
        outer = None
        if subject is not None:
            subject_before, subject_after, before, after = map(members_of, encoded[-4:])
            outer = _transcript_form(subject_before, subject_after, before, after, full_nested)
        return cls(outer, tuple(unsecured_nested), tuple(payloads))


def canonical_without_proof(document: Mapping[str, Any]) -> bytes:
    """The canonical bytes a proof over ``document`` signs."""
    return canonical_json(unsecured(document))
