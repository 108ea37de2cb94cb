"""Checking a transcript: the same checks online and offline, each reported by name.

Checks, in the order they are reported:

1. ``credential shape``: a ``ClrCredential`` naming the required contexts, with records inside;
2. ``issuer key``: every proof's verification method is one of the bank's keys, controlled by
   the credential's issuer, and valid when the proof was made;
3. ``outer signature`` and 4. ``nested signatures`` (eddsa-jcs-2022);
5. ``record content``: each record's claims are what its committed payload says, about this
   learner, from a record entry; ``authorship``: a record whose source is not its poster
   carries the logged delegation that allowed it (:mod:`creditbank.transcripts.authorship`);
6. ``commitment opening``, 7. ``inclusion proof``, 8. ``checkpoint signature`` (the log's keys);
9. ``checkpoint consistency``: the checkpoint is a prefix of the bank's latest (online, or
   offline with the latest checkpoint of the same size);
10. ``validity dates`` and 11. ``status`` (the signed Bitstring Status List);
12. ``witness cosignatures``: at least k of the witnesses the verifier trusts cosigned the
    checkpoint (passes with k = 0, naming any that did).

A check that cannot be made with what the verifier was given is ``skipped`` with the reason.
The report comes to one :class:`~creditbank.transcripts.verdict.Verdict`.

A single ``AchievementCredential`` (one record, as an employer may receive it) is verified on
its own: its proof is the outer signature, its evidence against the log, its dates and status.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from creditbank.errors import (
    CreditbankError,
    EvidenceInvalid,
    InvalidInput,
    ProofInvalid,
    StatusNotGiven,
    Unverifiable,
)
from creditbank.ledger.checkpoint import Checkpoint
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.note import NoteVerifier
from creditbank.transcripts.authorship import check_authorship
from creditbank.transcripts.canonical_forms import CanonicalForms, digest
from creditbank.transcripts.contexts import CLR_CONTEXT, OB_CONTEXT, VC_CONTEXT
from creditbank.transcripts.credential import (
    InstitutionName,
    entry_subject,
    learner_urn,
)
from creditbank.transcripts.cryptosuite import (
    SIGNATURE_MISMATCH,
    parse_datetime,
    signed_input,
    single_proof,
)
from creditbank.transcripts.did import KnownKey, did_web_origin
from creditbank.transcripts.evidence import CheckpointCache, check_evidence
from creditbank.transcripts.status import bit_is_set, decode_bits, entry_position
from creditbank.transcripts.verdict import Outcomes, Verdict, classify, erased
from creditbank.witness.verifier import verify_cosigned_checkpoint

CHECKS = (
    "credential shape",
    "issuer key",
    "outer signature",
    "nested signatures",
    "record content",
    "authorship",
    "commitment opening",
    "inclusion proof",
    "checkpoint signature",
    "checkpoint consistency",
    "validity dates",
    "status",
    "witness cosignatures",
)
Outcome = Literal["passed", "failed", "skipped"]
_RECORD_KINDS = {
    EntryKind.RECORD_POSTED.value,
    EntryKind.RECORD_CORRECTED.value,
    EntryKind.TRANSFER_RECOGNISED.value,
}


@dataclass(frozen=True)
class Check:
    """One named check and how it came out."""

    name: str
    outcome: Outcome
    reason: str

    def to_json(self) -> dict[str, str]:
        """The JSON form used in reports."""
        return {"name": self.name, "outcome": self.outcome, "reason": self.reason}


@dataclass(frozen=True)
class Report:
    """Every check of one transcript (or single record credential), and the verdict."""

    credential_id: str | None
    records: int
    checks: tuple[Check, ...]
    verdict: Verdict
    single_record: bool = False

    @property
    def valid(self) -> bool:
        """True only for the ``valid`` verdict: no check failed and revocation was checked.

        Other skipped checks (a consistency proof offline) are listed, not failures.
        """
        return self.verdict.trusted_claims

    def check(self, name: str) -> Check:
        """The check called ``name``."""
        return next(check for check in self.checks if check.name == name)

    @property
    def failed(self) -> tuple[str, ...]:
        """Names of the failed checks."""
        return tuple(check.name for check in self.checks if check.outcome == "failed")

    def to_json(self) -> dict[str, Any]:
        """The JSON form answered by the API and printed by the CLI.

        ``valid`` is true only for the ``valid`` verdict: a transcript whose revocation was
        not checked is not plainly valid.
        """
        return {
            "valid": self.valid,
            "verdict": self.verdict.to_json(),
            "credential": self.credential_id,
            "credentialType": "AchievementCredential" if self.single_record else "ClrCredential",
            "records": self.records,
            "checks": [check.to_json() for check in self.checks],
        }


StatusFetcher = Callable[[str], Mapping[str, Any]]
# Given the log indices a transcript's evidence names: when the bank erased each one's opening
# (the learner's data), as an ISO 8601 time, for those it erased.
ErasureLookup = Callable[[Sequence[int]], Mapping[int, str]]
# Given a checkpoint from the transcript: None when consistent with the latest, else why not.
ConsistencyCheck = Callable[[Checkpoint], str | None]


@dataclass(frozen=True)
class Trust:
    """What the verifier trusts and can reach.

    ``trusted_issuers``: the DIDs it accepts (None: those of ``keys``); ``refused_keys``: keys
    it was shown but does not trust, with why (``<did>#*`` for all of a DID's).
    """

    keys: Mapping[str, KnownKey]
    log_verifiers: Sequence[NoteVerifier]
    now: datetime
    log_origin: str | None = None
    status_list: StatusFetcher | None = None
    consistency: ConsistencyCheck | None = None
    offline_note: str = field(default="offline: the verifier was given no way to check this")
    witness_keys: Sequence[str] = ()
    require_witnesses: int = 0
    trusted_issuers: frozenset[str] | None = None
    refused_keys: Mapping[str, str] = field(default_factory=dict)
    erasures: ErasureLookup | None = None

    def untrusted(self, issuer: Any, method: Any) -> str:
        """Why a proof's verification method is not trusted."""
        if self.trusted_issuers is not None and issuer not in self.trusted_issuers:
            return f"the issuer {issuer!r} is not on the trust list"
        did = method.split("#", 1)[0] if isinstance(method, str) else None
        why = self.refused_keys.get(str(method)) or self.refused_keys.get(f"{did}#*")
        if why is not None:
            return f"verification method {method} is not trusted: {why}"
        if self.trusted_issuers is None:
            return f"verification method {method!r} is not one of the bank's keys"
        return f"verification method {method!r} is not one of the trusted keys of {issuer!r}"


class _Failures:
    """What the checks found, for the report and its verdict.

    The first reason each check failed for (and on which record), what was skipped, and the
    facts the verdict needs.
    """

    def __init__(self) -> None:
        self.failed: dict[str, str] = {}
        self.skipped: dict[str, str] = {}
        self.records: dict[str, str] = {}
        self.revoked = False
        self.revoked_as_of: str | None = None
        self.expired_at: str | None = None
        self.not_before: str | None = None
        self.status_given = True
        self.single_record = False

    def fail(self, name: str, reason: str, record: str | None = None) -> None:
        if name not in self.failed and record is not None:
            self.records[name] = record
        self.failed.setdefault(name, reason)

    def skip(self, name: str, reason: str) -> None:
        self.skipped.setdefault(name, reason)

    def report(
        self, credential_id: str | None, records: int, passed: Mapping[str, str] | None = None
    ) -> Report:
        checks = []
        for name in CHECKS:
            if name in self.failed:
                checks.append(Check(name, "failed", self.failed[name]))
            elif name in self.skipped:
                checks.append(Check(name, "skipped", self.skipped[name]))
            else:
                checks.append(Check(name, "passed", (passed or {}).get(name, "ok")))
        verdict = classify(
            Outcomes(
                failed=self.failed,
                skipped=self.skipped,
                records=self.records,
                revoked=self.revoked,
                revoked_as_of=self.revoked_as_of,
                expired_at=self.expired_at,
                not_before=self.not_before,
                status_given=self.status_given,
            )
        )
        return Report(credential_id, records, tuple(checks), verdict, self.single_record)


def _issuer_id(document: Mapping[str, Any]) -> Any:
    issuer = document.get("issuer")
    return issuer.get("id") if isinstance(issuer, Mapping) else issuer


@dataclass
class _ProofCheck:
    """One document's proof: the problems found, else the signature still to check."""

    key_problem: str | None = None
    signature_problem: str | None = None
    public_key: Ed25519PublicKey | None = None
    signature: bytes = b""
    message: bytes = b""


def _check_proof(
    document: Mapping[str, Any],
    trust: Trust,
    *,
    canonical_document: bytes | None = None,
    document_hash: bytes | None = None,
) -> _ProofCheck:
    """Every check of a document's proof but the Ed25519 verification itself.

    ``canonical_document``, or its SHA-256 ``document_hash``, is the document's canonical form
    without its proof when the caller has it.
    """
    try:
        proof = single_proof(document)
    except ProofInvalid as exc:
        return _ProofCheck(signature_problem=str(exc))
    method = proof.get("verificationMethod")
    known = trust.keys.get(method) if isinstance(method, str) else None
    if known is None:
        return _ProofCheck(trust.untrusted(_issuer_id(document), method))
    if _issuer_id(document) != known.controller:
        return _ProofCheck(f"issuer {_issuer_id(document)!r} does not control key {method}")
    try:
        created = parse_datetime(proof.get("created"))
    except InvalidInput as exc:
        return _ProofCheck(signature_problem=f"proof created: {exc.detail}")
    problem = known.key.valid_at(created)
    if problem is not None:
        return _ProofCheck(f"key {method}: {problem}")
    try:
        signature, message = signed_input(
            document,
            proof,
            canonical_document=canonical_document,
            document_hash=document_hash,
            created_checked=True,
        )
    except ProofInvalid as exc:
        return _ProofCheck(signature_problem=str(exc))
    return _ProofCheck(public_key=known.verifier, signature=signature, message=message)


def _verify_signatures(checks: Iterable[_ProofCheck]) -> None:
    """Make the Ed25519 verifications the checks still need, one straight after another.

    Run together rather than each between the other checks of its record, they find the
    processor's caches warm: a transcript's verification is mostly these.
    """
    for check in checks:
        if check.public_key is not None:
            try:
                check.public_key.verify(check.signature, check.message)
            except InvalidSignature:
                check.signature_problem = SIGNATURE_MISMATCH


def check_signature(
    document: Mapping[str, Any], trust: Trust, *, canonical_document: bytes | None = None
) -> tuple[str | None, str | None]:
    """Check a document's proof; return (issuer-key problem, signature problem)."""
    check = _check_proof(document, trust, canonical_document=canonical_document)
    _verify_signatures([check])
    return check.key_problem, check.signature_problem


def _single_record(credential: Mapping[str, Any]) -> bool:
    types = credential.get("type")
    return (
        isinstance(types, list)
        and "AchievementCredential" in types
        and "ClrCredential" not in types
    )


def _shape(credential: Any, failures: _Failures) -> list[Mapping[str, Any]]:
    """Check the outer shape; return the nested credentials (possibly empty).

    A single ``AchievementCredential`` is its own one record.
    """
    if not isinstance(credential, Mapping):
        failures.fail("credential shape", "the transcript is not a JSON object")
        return []
    context = credential.get("@context")
    if _single_record(credential):
        failures.single_record = True
        if (
            not isinstance(context, list)
            or context[:1] != [VC_CONTEXT]
            or OB_CONTEXT not in context
        ):
            failures.fail("credential shape", "the @context is not VC 2.0 with Open Badges 3.0")
            return []
        return [credential]
    if not isinstance(context, list) or context[:1] != [VC_CONTEXT] or CLR_CONTEXT not in context:
        failures.fail("credential shape", "the @context is not VC 2.0 followed by CLR 2.0")
    types = credential.get("type")
    if not isinstance(types, list) or "ClrCredential" not in types:
        failures.fail("credential shape", "the type does not include ClrCredential")
    subject = credential.get("credentialSubject")
    nested = subject.get("verifiableCredential") if isinstance(subject, Mapping) else None
    if not isinstance(nested, list) or not nested:
        failures.fail("credential shape", "the credential holds no record credentials")
        return []
    good = []
    for position, item in enumerate(nested, 1):
        ok = isinstance(item, Mapping) and isinstance(item.get("@context"), list)
        if ok and OB_CONTEXT not in item["@context"]:
            ok = False
        if not ok:
            failures.fail("credential shape", f"record {position} is not an AchievementCredential")
            continue
        good.append(item)
    return good


def _names_in(subject: Mapping[str, Any]) -> dict[str, InstitutionName]:
    names: dict[str, InstitutionName] = {}
    achievement = subject.get("achievement")
    profiles = [subject.get("source")]
    if isinstance(achievement, Mapping):
        profiles.append(achievement.get("creator"))
    for profile in profiles:
        if isinstance(profile, Mapping) and isinstance(profile.get("nameZh"), str):
            code = str(profile.get("institutionCode"))
            en = profile.get("nameEn")
            names[code] = InstitutionName(
                code, profile["nameZh"], en if isinstance(en, str) else None
            )
    return names


def _first_difference(expected: Any, actual: Any, path: str) -> str:
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        for key in sorted(set(expected) | set(actual)):
            if expected.get(key) != actual.get(key):
                return _first_difference(expected.get(key), actual.get(key), f"{path}.{key}")
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for index, (a, b) in enumerate(zip(expected, actual, strict=True)):
            if a != b:
                return _first_difference(a, b, f"{path}[{index}]")
    return path


def _learner_name(subject: Mapping[str, Any]) -> str | None:
    for identifier in subject.get("identifier") or []:
        if isinstance(identifier, Mapping) and identifier.get("identityType") == "name":
            name = identifier.get("identityHash")
            return name if isinstance(name, str) else None
    return None


def _record_content(
    nested: Mapping[str, Any],
    payload: Mapping[str, Any],
    kind: str,
    outer: Mapping[str, Any],
    learner: str,
) -> str | None:
    """Why a record's claims are not its committed payload's, or None."""
    if kind not in _RECORD_KINDS:
        return f"ledger entry kind {kind!r} is not a posted or corrected record or a transfer"
    if learner_urn(str(payload.get("learner"))) != learner:
        return "the committed record belongs to another learner"
    subject = nested.get("credentialSubject")
    if not isinstance(subject, Mapping):
        return "the credential has no subject"
    achievement = subject.get("achievement")
    language = achievement.get("inLanguage") if isinstance(achievement, Mapping) else None
    issuer = outer.get("issuer")
    base_url = issuer.get("url") if isinstance(issuer, Mapping) else None
    if language not in ("zh", "en") or not isinstance(base_url, str):
        return "the credential does not say its language or the bank's URL"
    try:
        expected, awarded = entry_subject(
            kind,
            payload,
            learner=learner,
            learner_name=_learner_name(subject),
            base_url=base_url,
            names=_names_in(subject),
            language=language,
        )
    except (KeyError, TypeError, ValueError) as exc:
        return f"the committed payload is not a record outcome or a transfer: {exc}"
    if expected != subject:
        where = _first_difference(expected, subject, "credentialSubject")
        return f"{where} differs from the committed record"
    if nested.get("awardedDate") != awarded:
        return "awardedDate differs from the committed record"
    if nested.get("name") != expected["achievement"]["name"]:
        return "name differs from the committed record"
    for key in ("validFrom", "validUntil", "credentialStatus"):
        if nested.get(key) != outer.get(key):
            return f"{key} differs from the transcript's"
    return None


def _check_status(credential: Mapping[str, Any], trust: Trust, failures: _Failures) -> None:
    if trust.status_list is None:
        failures.status_given = False
        failures.skip("status", trust.offline_note)
        return
    try:
        url, index = entry_position(credential.get("credentialStatus"))
    except InvalidInput as exc:
        failures.fail("status", exc.detail)
        return
    issuer = _issuer_id(credential)
    origin = did_web_origin(issuer) if isinstance(issuer, str) else None
    if origin is not None and not url.startswith(origin + "/"):
        failures.fail("status", f"the status list {url} is not at the issuer's origin {origin}")
        return
    try:
        status_list = trust.status_list(url)
    except StatusNotGiven as exc:
        failures.status_given = False
        failures.skip("status", str(exc))
        return
    except Unverifiable as exc:
        failures.skip("status", str(exc))
        return
    except CreditbankError as exc:
        failures.fail("status", f"the status list {url} cannot be had: {exc.detail}")
        return
    key_problem, signature_problem = check_signature(status_list, trust)
    if key_problem or signature_problem:
        failures.fail(
            "status", f"the status list is not validly signed: {key_problem or signature_problem}"
        )
        return
    if status_list.get("id") != url:
        failures.fail("status", "the status list credential is not the one the transcript names")
        return
    if _issuer_id(status_list) != issuer:
        failures.fail("status", "the status list was issued by another issuer")
        return
    subject = status_list.get("credentialSubject")
    try:
        bits = decode_bits(subject.get("encodedList") if isinstance(subject, Mapping) else None)
        revoked = bit_is_set(bits, index)
    except InvalidInput as exc:
        failures.fail("status", exc.detail)
        return
    if revoked:
        as_of = status_list.get("validFrom")
        failures.revoked = True
        failures.revoked_as_of = as_of if isinstance(as_of, str) else None
        failures.fail(
            "status",
            f"the transcript has been revoked: bit {index} of {url} is set "
            f"(list signed {failures.revoked_as_of})",
        )


def _check_dates(credential: Mapping[str, Any], now: datetime, failures: _Failures) -> None:
    try:
        valid_from = parse_datetime(credential.get("validFrom"))
        valid_until = parse_datetime(credential.get("validUntil"))
    except InvalidInput as exc:
        failures.fail("validity dates", exc.detail)
        return
    if now < valid_from:
        failures.not_before = credential["validFrom"]
        failures.fail(
            "validity dates", f"not valid before {credential['validFrom']} (now {now.isoformat()})"
        )
    elif now >= valid_until:
        failures.expired_at = credential["validUntil"]
        failures.fail(
            "validity dates", f"expired at {credential['validUntil']} (now {now.isoformat()})"
        )


def _check_witnesses(
    proven: Mapping[str, Checkpoint],
    trust: Trust,
    failures: _Failures,
    checkpoints: CheckpointCache | None = None,
) -> str:
    """Check the cosignatures on every proven checkpoint; return the reason when it passes.

    ``checkpoints`` has the log's signatures on them already verified (with the same keys).
    """
    required = trust.require_witnesses
    if not proven:
        if required:
            failures.fail("witness cosignatures", "no checkpoint was proven to check")
        return "no checkpoint to check"
    reasons = []
    for note in proven:
        try:
            checked = verify_cosigned_checkpoint(
                note,
                trust.log_verifiers,
                list(trust.witness_keys),
                require=required,
                origin=trust.log_origin,
                opened=None if checkpoints is None else checkpoints.opened(note),
            )
        except CreditbankError as exc:
            failures.fail("witness cosignatures", exc.detail)
            continue
        names = ", ".join(c.label for c in checked.cosigners) or "none"
        reasons.append(f"{required} required, {len(checked.cosigners)} verified ({names})")
    return "; ".join(dict.fromkeys(reasons))


def _check_signatures(
    credential: Mapping[str, Any],
    nested: Sequence[Mapping[str, Any]],
    forms: CanonicalForms,
    trust: Trust,
    failures: _Failures,
    *,
    labels: Sequence[str],
    ids: Sequence[str | None],
) -> None:
    """2-4. The outer proof and the nested ones, their signatures verified together."""
    if failures.single_record and "proof" not in credential:
        failures.fail("issuer key", "the credential carries no proof, so no issuer vouches for it")
        failures.skip("outer signature", "not checked: the credential is not signed")
        failures.skip("nested signatures", "not checked: a single record credential")
        return
    outer = _check_proof(credential, trust, document_hash=digest(forms.outer))
    records = [
        _check_proof(item, trust, document_hash=digest(form))
        for item, form in zip(nested, forms.nested, strict=True)
    ]
    if failures.single_record:
        records = []
        failures.skip("nested signatures", "a single record credential: its proof is the outer one")
    _verify_signatures([outer, *records])
    if outer.key_problem:
        failures.fail("issuer key", outer.key_problem)
        failures.fail("outer signature", "not checked: the key is not trusted")
    elif outer.signature_problem:
        failures.fail("outer signature", outer.signature_problem)
    for label, record_id, item, record in zip(labels, ids, nested, records, strict=False):
        if record.key_problem:
            failures.fail("issuer key", f"{label}: {record.key_problem}", record_id)
        elif record.signature_problem:
            failures.fail("nested signatures", f"{label}: {record.signature_problem}", record_id)
        if _issuer_id(item) != _issuer_id(credential):
            failures.fail("issuer key", f"{label}: issued by another issuer", record_id)


def verify_transcript(credential: Any, trust: Trust) -> Report:  # noqa: PLR0915
    """Run every check on a transcript and report each by name."""
    failures = _Failures()
    nested = _shape(credential, failures)
    if not isinstance(credential, Mapping):
        return failures.report(None, 0)
    credential_id = credential.get("id") if isinstance(credential.get("id"), str) else None
    labels = [f"record {position} ({item.get('id')})" for position, item in enumerate(nested, 1)]
    ids = [item.get("id") if isinstance(item.get("id"), str) else None for item in nested]
    try:
        forms = CanonicalForms.of(credential, nested)
    except (TypeError, ValueError) as exc:
        # NaN, Infinity and the like: nothing signed can hold them, so nothing else is checked.
        failures.fail("credential shape", f"a value has no canonical JSON form: {exc}")
        for name in CHECKS[1:]:
            failures.skip(name, "not checked: the credential cannot be canonicalised")
        return failures.report(credential_id, len(nested))
    _check_signatures(credential, nested, forms, trust, failures, labels=labels, ids=ids)
    subject = credential.get("credentialSubject")
    learner = subject.get("id") if isinstance(subject, Mapping) else None
    checkpoints = CheckpointCache(trust.log_verifiers, trust.log_origin)
    proven: dict[str, Checkpoint] = {}
    authors: list[str] = []
    indices: list[int] = []
    for label, record_id, item, payload_bytes in zip(
        labels, ids, nested, forms.payloads, strict=True
    ):
        # 6-8. The ledger evidence.
        evidence = item.get("evidence")
        if not isinstance(evidence, list) or not evidence:
            failures.fail("commitment opening", f"{label}: carries no ledger evidence", record_id)
            continue
        try:
            entry = check_evidence(evidence[0], checkpoints, payload_bytes=payload_bytes)
        except EvidenceInvalid as exc:
            failures.fail(exc.check, f"{label}: {exc.reason}", record_id)
            continue
        proven[entry.checkpoint_note] = entry.checkpoint
        indices.append(entry.index)
        # 5. The claims against the committed payload.
        problem = _record_content(item, entry.payload, entry.kind, credential, str(learner))
        if problem is not None:
            failures.fail("record content", f"{label}: {problem}", record_id)
        # 5b. Who posted it, from whom, and the delegation between them.
        problem, established = check_authorship(entry, evidence, checkpoints)
        if problem is not None:
            failures.fail("authorship", f"{label}: {problem}", record_id)
        elif established:
            authors.append(established)
    # 9. Consistency with the bank's latest checkpoint.
    if trust.consistency is None:
        failures.skip("checkpoint consistency", trust.offline_note)
    else:
        for checkpoint in proven.values():
            try:
                problem = trust.consistency(checkpoint)
            except Unverifiable as exc:
                failures.skip("checkpoint consistency", str(exc))
                continue
            if problem is not None:
                failures.fail("checkpoint consistency", problem)
    # 10-11. Dates and status.
    _check_dates(credential, trust.now, failures)
    _check_status(credential, trust, failures)
    reason = _check_witnesses(proven, trust, failures, checkpoints)
    passed = {"witness cosignatures": reason, "authorship": _authors(authors)}
    report = failures.report(credential_id, len(nested), passed)
    return _with_erasure(report, indices, trust)


def _with_erasure(report: Report, indices: Sequence[int], trust: Trust) -> Report:
    """The erased verdict when the bank erased the learner's data behind any record.

    The evidence the transcript carries may still open its commitments, but the bank holds
    the learner's data no more: the content can no longer be confirmed against the bank.
    """
    if trust.erasures is None or not indices:
        return report
    try:
        found = trust.erasures(sorted(set(indices)))
    except Unverifiable:
        return report
    if not found:
        return report
    return replace(report, verdict=erased(report.verdict, min(found.values())))


def _authors(established: Sequence[str]) -> str:
    """The passed authorship check's reason: each poster, and each delegation relied on."""
    counted = {text: established.count(text) for text in established}
    if not counted:
        return "no record posted by a member"
    return "; ".join(f"{text} ({n})" if n > 1 else text for text, n in counted.items())
