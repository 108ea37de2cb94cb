"""What an offline verifier trusts: the bank's DID document and checkpoint, as files or fetched.

Files are read from the command line; ``--fetch`` gets them once from the bank's public URL.

The DID document carries the transcript keys and the log's note keys (``logVerifierKey``).
With the bank's latest checkpoint, the transcript's checkpoint is checked against it: equal
sizes must have equal roots; otherwise a consistency proof is needed, which only ``--fetch``
can get. Status lists come from files named on the command line or are fetched.
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from creditbank.errors import CreditbankError, InvalidInput, InvalidJson, NoteError, Unverifiable
from creditbank.ledger.checkpoint import Checkpoint, open_checkpoint
from creditbank.ledger.proof_checks import verify_consistency
from creditbank.strict_json import read_json
from creditbank.transcripts.did import keys_from_document, log_keys_from_document
from creditbank.transcripts.verify import Trust

FETCH_TIMEOUT = 10.0


def _latest_consistency(latest_note: str | None, trust_keys: Any, fetch_proof: Any) -> Any:
    def check(checkpoint: Checkpoint) -> str | None:
        if latest_note is None:
            raise Unverifiable("offline: no latest checkpoint was given (--checkpoint)")
        try:
            latest, _ = open_checkpoint(latest_note, trust_keys, checkpoint.origin)
        except NoteError as exc:
            return f"the latest checkpoint given does not verify: {exc.detail}"
        if checkpoint.size > latest.size:
            return (
                f"the transcript's checkpoint ({checkpoint.size}) is beyond "
                f"the latest ({latest.size})"
            )
        if checkpoint.size == latest.size:
            if checkpoint.root_hash != latest.root_hash:
                return "the transcript's checkpoint and the latest have equal sizes, other roots"
            return None
        if fetch_proof is None:
            raise Unverifiable(
                f"the latest checkpoint is larger ({latest.size} > {checkpoint.size}); "
                "a consistency proof needs --fetch"
            )
        proof = fetch_proof(checkpoint.size, latest.size)
        try:
            verify_consistency(
                checkpoint.size, latest.size, checkpoint.root_hash, latest.root_hash, proof
            )
        except CreditbankError as exc:
            return f"the checkpoint is not a prefix of the bank's latest: {exc.detail}"
        return None

    return check


def trust_from_files(
    did_document: Mapping[str, Any],
    *,
    now: datetime,
    latest_checkpoint: str | None = None,
    status_lists: Mapping[str, Mapping[str, Any]] | None = None,
) -> Trust:
    """Trust built from files only: nothing is fetched."""
    log_keys = log_keys_from_document(did_document)
    lists = dict(status_lists or {})

    def status(url: str) -> Mapping[str, Any]:
        if url not in lists:
            raise Unverifiable(f"offline: the status list {url} was not given (--status)")
        return lists[url]

    return Trust(
        keys=keys_from_document(did_document),
        log_verifiers=log_keys,
        now=now,
        status_list=status,
        consistency=_latest_consistency(latest_checkpoint, log_keys, None),
    )


def _get(url: str) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise InvalidInput(f"can only fetch http(s) URLs, not {url!r}")
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as answer:  # noqa: S310
            data: bytes = answer.read()
            return data
    except (urllib.error.URLError, OSError) as exc:
        raise InvalidInput(f"cannot fetch {url}: {exc}") from None


def _get_json(url: str) -> Any:
    try:
        return read_json(_get(url))
    except InvalidJson as exc:
        raise InvalidInput(f"{url} did not answer acceptable JSON: {exc.detail}") from None


def trust_from_url(base_url: str, *, now: datetime) -> Trust:
    """Fetch the DID document and latest checkpoint once; status lists and proofs on demand."""
    base = base_url.rstrip("/")
    document = _get_json(f"{base}/.well-known/did.json")
    checkpoint = _get(f"{base}/api/v1/log/checkpoint").decode("utf-8")
    log_keys = log_keys_from_document(document)

    def proof(first: int, second: int) -> list[bytes]:
        answer = _get_json(f"{base}/api/v1/log/proofs/consistency?first={first}&second={second}")
        return [base64.b64decode(h) for h in answer["hashes"]]

    def status(url: str) -> Mapping[str, Any]:
        found: Mapping[str, Any] = _get_json(url)
        return found

    return Trust(
        keys=keys_from_document(document),
        log_verifiers=log_keys,
        now=now,
        status_list=status,
        consistency=_latest_consistency(checkpoint, log_keys, proof),
    )
