"""Online trust: what verifying at the bank consults, read-only.

The bank's own keys, the latest stored checkpoint (and a consistency proof to it) and the
signed status lists as stored. Verification opens no write transaction: it never signs a
status list or publishes a checkpoint, so it never waits for the log's writers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

from creditbank.clock import as_utc
from creditbank.errors import FieldProblem, InvalidInput, NotFound
from creditbank.ledger.checkpoint import Checkpoint
from creditbank.ledger.erasure import erased_at
from creditbank.ledger.proof_checks import verify_consistency
from creditbank.ledger.proofs import consistency_proof
from creditbank.ledger.service import Ledger, NotReplicated
from creditbank.ledger.store import StoredCheckpoint, StoredNodes, latest_checkpoint
from creditbank.numerals import natural
from creditbank.storage.database import read_connection
from creditbank.transcripts import status
from creditbank.transcripts.cryptosuite import format_datetime
from creditbank.transcripts.issued import revocation_at
from creditbank.transcripts.issuer import IssuerIdentity
from creditbank.transcripts.status_lists import status_list_document
from creditbank.transcripts.verdict import VerdictClass, with_revocation
from creditbank.transcripts.verify import (
    ConsistencyCheck,
    ErasureLookup,
    Report,
    StatusFetcher,
    Trust,
    verify_transcript,
)


def _consistency(ledger: Ledger) -> ConsistencyCheck:
    def check(checkpoint: Checkpoint) -> str | None:
        def against_latest(
            connection: Connection, on_replica: bool
        ) -> tuple[StoredCheckpoint, list[bytes]] | str:
            latest = latest_checkpoint(connection)
            size = 0 if latest is None else latest.size
            if checkpoint.size > size:
                if on_replica:
                    raise NotReplicated  # the primary may hold it already
                return f"the checkpoint's size {checkpoint.size} exceeds the log's {size}"
            if checkpoint.size == 0 or latest is None:
                return "the checkpoint is of the empty tree"
            nodes = StoredNodes(connection)
            return latest, consistency_proof(nodes, checkpoint.size, latest.size)

        found = ledger.read(against_latest)
        if isinstance(found, str):
            return found
        latest, proof = found
        try:
            verify_consistency(
                checkpoint.size, latest.size, checkpoint.root_hash, latest.root_hash, proof
            )
        except Exception as exc:
            return f"the checkpoint is not a prefix of the bank's latest: {exc}"
        return None

    return check


def _erasures(ledger: Ledger) -> ErasureLookup:
    def lookup(indices: Sequence[int]) -> Mapping[int, str]:
        with read_connection(ledger.engine) as connection:
            found = erased_at(connection, indices)
        return {index: format_datetime(as_utc(moment)) for index, moment in found.items()}

    return lookup


def _own_list(public_url: str, url: str) -> int | None:
    """The id of one of this bank's status lists at ``url``, or None."""
    prefix = status.list_url(public_url, 0)[:-1]
    if not url.startswith(prefix):
        return None
    return natural(url[len(prefix) :], high=status.MAX_LIST_ID)


def _status_fetcher(reads: Engine, public_url: str) -> StatusFetcher:
    def fetch(url: str) -> Mapping[str, Any]:
        list_id = _own_list(public_url, url)
        if list_id is None:
            raise NotFound(f"{url} is not one of this bank's status lists")
        return status_list_document(reads, list_id)

    return fetch


def _with_revocation_facts(
    reads: Engine, identity: IssuerIdentity, credential: Any, report: Report
) -> Report:
    """Add when and why, from the bank's own records, to a revoked verdict."""
    if report.verdict.kind is not VerdictClass.REVOKED:
        return report
    try:
        url, index = status.entry_position(credential.get("credentialStatus"))
    except (InvalidInput, AttributeError):
        return report
    list_id = _own_list(identity.public_url, url)
    found = None if list_id is None else revocation_at(reads, list_id, index)
    if found is None:
        return report
    at, category = found
    verdict = with_revocation(report.verdict, format_datetime(as_utc(at)), category)
    return replace(report, verdict=verdict)


def online_trust(
    ledger: Ledger,
    identity: IssuerIdentity,
    *,
    witness_keys: Sequence[str],
    now: datetime,
    require_witnesses: int = 0,
    reads: Engine | None = None,
) -> Trust:
    """Everything the bank itself knows, for verifying online.

    ``reads`` answers the status lists (a replica in use, or by default the primary).
    """
    witnesses = tuple(witness_keys)
    if require_witnesses > len(witnesses):
        raise InvalidInput(
            f"cannot require {require_witnesses} witness cosignatures: "
            f"this bank has {len(witnesses)} witnesses",
            problems=[FieldProblem("require_witnesses", f"at most {len(witnesses)}")],
        )
    return Trust(
        keys=identity.trusted_keys(),
        log_verifiers=ledger.keyring.verifiers(),
        log_origin=ledger.origin,
        now=now,
        status_list=_status_fetcher(reads or ledger.engine, identity.public_url),
        consistency=_consistency(ledger),
        witness_keys=witnesses,
        require_witnesses=require_witnesses,
        erasures=_erasures(ledger),
    )


def verify_online(
    ledger: Ledger,
    identity: IssuerIdentity,
    credential: Any,
    *,
    witness_keys: Sequence[str],
    now: datetime,
    require_witnesses: int = 0,
    reads: Engine | None = None,
) -> Report:
    """Verify a transcript with the bank's own keys, latest checkpoint and status lists.

    ``require_witnesses`` of the bank's configured witnesses (``witness_keys``) must have
    cosigned its checkpoint. Verification tolerates lag: ``reads`` (a replica in use) answers
    the status lists and revocations, and the log's checkpoint comes from a replica that holds
    the transcript's size, else from the primary.
    """
    engine = reads or ledger.engine
    trust = online_trust(
        ledger,
        identity,
        witness_keys=witness_keys,
        now=now,
        require_witnesses=require_witnesses,
        reads=engine,
    )
    report = verify_transcript(credential, trust)
    return _with_revocation_facts(engine, identity, credential, report)
