"""What an offline verifier trusts: its trust list, and what it may fetch or was handed.

Trust is anchored in the trust list (:mod:`creditbank.transcripts.trust_list`), never in what
comes with a transcript:

- signing keys are the trust list's pinned ones; a ``did:web`` issuer's DID document adds keys
  only when resolved from the DID's own address (``--fetch`` of that origin), and only when it
  lists no log key the trust list lacks; a copy from anywhere else (a file given with
  ``--keys``, or another address pinned for the issuer with ``--issuer``) adds no key, only a
  later ``retiredAt`` of a pinned one;
- checkpoints are checked with the trust list's log keys only;
- status lists are taken only from the issuer's origin (checked by the verifier), fetched there
  or at the pinned address; given as files, they must still be signed by a trusted key.

With the bank's latest checkpoint, the transcript's checkpoint is checked against it: equal
sizes must have equal roots; otherwise a consistency proof is needed, which only ``--fetch``
can get.
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from creditbank.errors import (
    CreditbankError,
    InvalidInput,
    InvalidJson,
    NoteError,
    StatusNotGiven,
    UntrustedIssuer,
    Unverifiable,
)
from creditbank.ledger.checkpoint import Checkpoint, open_checkpoint
from creditbank.ledger.proof_checks import verify_consistency
from creditbank.strict_json import read_json
from creditbank.transcripts.did import (
    DID_WEB,
    KnownKey,
    did_web_origin,
    did_web_url,
    keys_from_document,
    resolved_keys,
)
from creditbank.transcripts.trust_list import TrustList
from creditbank.transcripts.verify import ErasureLookup, Trust

FETCH_TIMEOUT = 10.0
Fetch = Callable[[str], bytes]
# Indices asked about per request to the bank's erasure endpoint.
MAX_ERASURE_QUERY = 200


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


def _with_retirements(
    keys: dict[str, KnownKey], document: Mapping[str, Any], trust_list: TrustList
) -> dict[str, str]:
    """Apply a DID document copy to pinned keys; return the methods it lists that are refused.

    A copy can only make a pinned key stricter (an earlier ``retiredAt``); a key it adds is
    refused, as is every key of an issuer the trust list does not hold.
    """
    did = document.get("id")
    try:
        trust_list.issuer(str(did))
        listed = keys_from_document(document)
    except UntrustedIssuer as exc:
        return {str(m.get("id")): exc.detail for m in _methods(document)}
    refused: dict[str, str] = {}
    for method, found in listed.items():
        pinned = keys.get(method)
        if pinned is None or pinned.key.public_key != found.key.public_key:
            refused[method] = (
                "it is only in the DID document given (--keys), which the trust list does not pin"
            )
            continue
        retired = [t for t in (pinned.key.retired_at, found.key.retired_at) if t is not None]
        if retired:
            keys[method] = KnownKey(
                method, pinned.controller, replace(pinned.key, retired_at=min(retired))
            )
    return refused


def _methods(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    methods = document.get("verificationMethod")
    return [m for m in methods if isinstance(m, Mapping)] if isinstance(methods, list) else []


def trust_from_files(
    trust_list: TrustList,
    *,
    now: datetime,
    did_documents: Sequence[Mapping[str, Any]] = (),
    latest_checkpoint: str | None = None,
    status_lists: Mapping[str, Mapping[str, Any]] | None = None,
) -> Trust:
    """Trust built from the trust list and files only: nothing is fetched."""
    keys = trust_list.pinned_keys()
    refused: dict[str, str] = {}
    for document in did_documents:
        refused.update(_with_retirements(keys, document, trust_list))
    log_keys = trust_list.log_verifiers()
    lists = dict(status_lists or {})

    def status(url: str) -> Mapping[str, Any]:
        if url not in lists:
            raise StatusNotGiven(f"offline: the status list {url} was not given (--status)")
        return lists[url]

    return Trust(
        keys=keys,
        log_verifiers=log_keys,
        now=now,
        status_list=status,
        consistency=_latest_consistency(latest_checkpoint, log_keys, None),
        trusted_issuers=frozenset(trust_list.issuers),
        refused_keys=refused,
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


def _json(fetch: Fetch, url: str) -> Any:
    try:
        return read_json(fetch(url))
    except InvalidJson as exc:
        raise InvalidInput(f"{url} did not answer acceptable JSON: {exc.detail}") from None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _resolve(
    did: str, address: str, fetch: Fetch, keys: dict[str, KnownKey], trust_list: TrustList
) -> dict[str, str]:
    """Add the keys of ``did``'s document at ``address``; return the methods refused, and why."""
    try:
        document = _json(fetch, address)
        found = resolved_keys(did, document)
    except CreditbankError as exc:
        return {f"{did}#*": f"its DID document at {address} is refused: {exc.detail}"}
    strange = [
        text
        for text in document.get("logVerifierKey", [])
        if not (isinstance(text, str) and trust_list.trusted_log_key(text))
    ]
    if strange:
        reason = f"its DID document at {address} lists log keys the trust list lacks: {strange}"
        return dict.fromkeys(found, reason)
    refused: dict[str, str] = {}
    for method, key in found.items():
        pinned = keys.get(method)
        if pinned is not None and pinned.key.public_key != key.key.public_key:
            refused[method] = f"its DID document at {address} gives another key than the pinned"
            continue
        if pinned is None or key.key.retired_at is not None:
            keys[method] = key
    return refused


def trust_from_url(
    base_url: str,
    trust_list: TrustList,
    *,
    now: datetime,
    issuer: str | None = None,
    fetch: Fetch = _get,
) -> Trust:
    """Fetch from the bank at ``base_url``: DID documents, the latest checkpoint, proofs, lists.

    ``issuer``: the trusted issuer ``base_url`` is pinned to when it is not that issuer's own
    did:web origin (a mirror, a test server): its status lists are then fetched there, and
    its DID document there counts only as a copy (it adds no key).
    """
    base = base_url.rstrip("/")
    origin = _origin(base)
    if issuer is not None:
        trust_list.issuer(issuer)  # UntrustedIssuer when the pin is not on the list
    keys = trust_list.pinned_keys()
    refused: dict[str, str] = {}
    pinned_origin = None if issuer is None else did_web_origin(issuer)
    for did in trust_list.issuers:
        if not did.startswith(f"{DID_WEB}:"):
            continue
        own = did_web_url(did)
        if _origin(own) == origin:
            refused.update(_resolve(did, own, fetch, keys, trust_list))
        elif did == issuer:
            # Another address speaks for the issuer: its copy of the DID document is no
            # more than a file handed over, so it adds no key.
            copy = _json(fetch, origin + own[len(_origin(own)) :])
            refused.update(_with_retirements(keys, copy, trust_list))
    log_keys = trust_list.log_verifiers()
    checkpoint = fetch(f"{base}/api/v1/log/checkpoint").decode("utf-8", errors="replace")

    def proof(first: int, second: int) -> list[bytes]:
        answer = _json(fetch, f"{base}/api/v1/log/proofs/consistency?first={first}&second={second}")
        return [base64.b64decode(h) for h in answer["hashes"]]

    def status(url: str) -> Mapping[str, Any]:
        if pinned_origin is not None and _origin(url) == pinned_origin:
            url = origin + url[len(pinned_origin) :]
        found: Mapping[str, Any] = _json(fetch, url)
        return found

    return Trust(
        keys=keys,
        log_verifiers=log_keys,
        now=now,
        status_list=status,
        consistency=_latest_consistency(checkpoint, log_keys, proof),
        trusted_issuers=frozenset(trust_list.issuers),
        refused_keys=refused,
        erasures=_fetched_erasures(base, fetch),
    )


def _fetched_erasures(base: str, fetch: Fetch) -> ErasureLookup:
    """Ask the bank which of a transcript's entries it erased (the learner's data), and when."""

    def lookup(indices: Sequence[int]) -> Mapping[int, str]:
        found: dict[int, str] = {}
        for start in range(0, len(indices), MAX_ERASURE_QUERY):
            chunk = ",".join(str(i) for i in indices[start : start + MAX_ERASURE_QUERY])
            try:
                answer = _json(fetch, f"{base}/api/v1/log/erasures?indices={chunk}")
                for item in answer.get("erasures", []):
                    found[int(item["index"])] = str(item["erased_at"])
            except (CreditbankError, KeyError, TypeError, ValueError, AttributeError):
                return {}  # a bank that does not say: the status list still tells revocation
        return found

    return lookup
