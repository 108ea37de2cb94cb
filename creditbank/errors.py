"""The one error tree of creditbank.

Every error raised on purpose derives from :class:`CreditbankError`. Each class carries the
HTTP status and the stable problem ``type`` slug that ``creditbank.api.problems`` maps, once,
to an RFC 9457 problem document; the CLI prints the same message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class FieldProblem:
    """One bad field: where it is (``index`` for batch items), which field, and why."""

    field: str
    reason: str
    index: int | None = None
    line: int | None = None  # the line of an uploaded file the problem is at, when known

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form used in problem documents."""
        out: dict[str, Any] = {"field": self.field, "reason": self.reason}
        if self.index is not None:
            out["index"] = self.index
        if self.line is not None:
            out["line"] = self.line
        return out


class CreditbankError(Exception):
    """Root of the error tree."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, *, extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra: dict[str, Any] = dict(extra or {})


# --- input and request errors -------------------------------------------------------------


class InvalidInput(CreditbankError):
    """The request or command input is malformed; nothing was changed."""

    status = 400
    slug = "invalid-input"
    title = "Invalid input"

    def __init__(
        self,
        detail: str,
        *,
        problems: Sequence[FieldProblem] = (),
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail, extra=extra)
        self.problems = tuple(problems)


class InvalidParameter(InvalidInput):
    """A query parameter is missing, not an integer, or out of range."""

    slug = "invalid-parameter"
    title = "Invalid parameter"

    def __init__(self, parameter: str, reason: str) -> None:
        super().__init__(
            f"parameter {parameter!r}: {reason}",
            problems=[FieldProblem(field=parameter, reason=reason)],
        )
        self.parameter = parameter


class InvalidJson(InvalidInput):
    """A JSON document was refused; ``path`` (a JSONPath, ``$`` for the whole) says where.

    The problem names the ``body`` as the field (the document as a whole was refused, before
    any field was read) and carries the path as its own member.
    """

    slug = "invalid-json"
    title = "Invalid JSON"

    def __init__(self, reason: str, *, path: str) -> None:
        super().__init__(
            reason, problems=[FieldProblem(field="body", reason=reason)], extra={"path": path}
        )
        self.path = path


class NotFound(CreditbankError):
    """The thing asked for does not exist."""

    status = 404
    slug = "not-found"
    title = "Not found"


class DataErased(CreditbankError):
    """The learner's personal data was erased (their data key destroyed): it opens no more."""

    status = 410
    slug = "data-erased"
    title = "The learner's data was erased"


class AccountClosed(CreditbankError):
    """The learner's account is closed: nothing new may be recorded about them."""

    status = 409
    slug = "account-closed"
    title = "The account is closed"


class Unauthenticated(CreditbankError):
    """No valid credentials came with a request that needs them."""

    status = 401
    slug = "unauthenticated"
    title = "Authentication required"


class ClaimSetAside(Unauthenticated):
    """A self-registered claim on a document was set aside when an institution verified it.

    Said only to whoever gives that claim's password, so it reveals nothing to anyone else.
    """

    slug = "claim-set-aside"
    title = "Self-registered claim set aside"


class Forbidden(CreditbankError):
    """The caller is known but may not do this; nothing was changed."""

    status = 403
    slug = "forbidden"
    title = "Forbidden"


class UnknownInstitution(InvalidInput):
    """A body names as an outcome's source an institution that is not a member of the bank."""

    status = 422
    slug = "unknown-institution"
    title = "Not a member institution"


class DelegationMissing(Forbidden):
    """An institution posted as another without a delegation the log records; nothing was posted."""

    slug = "delegation-missing"
    title = "No delegation on record"


class InstitutionLeft(Forbidden):
    """The institution has left the bank: it can post nothing new."""

    slug = "institution-left"
    title = "Institution has left the bank"


class PayloadTooLarge(InvalidInput):
    """A body or batch is larger than the service accepts."""

    status = 413
    slug = "payload-too-large"
    title = "Payload too large"


class RateLimited(CreditbankError):
    """The caller sent more requests than its rate limit allows; retry after a while."""

    status = 429
    slug = "rate-limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, extra={"retry_after": retry_after})
        self.retry_after = retry_after


class Conflict(CreditbankError):
    """The request conflicts with the current state."""

    status = 409
    slug = "conflict"
    title = "Conflict"


class NameMismatch(Conflict):
    """An account exists for the document, under a name other than the one given."""

    slug = "name-mismatch"
    title = "Name does not match the account"


# --- ledger errors ------------------------------------------------------------------------


class LedgerError(CreditbankError):
    """Something about the log itself is wrong."""

    slug = "ledger-error"
    title = "Ledger error"


class ProofError(LedgerError):
    """An inclusion or consistency proof does not verify."""

    status = 422
    slug = "proof-invalid"
    title = "Proof does not verify"


@dataclass(frozen=True)
class Mismatch:
    """Two values that should be equal and are not (kept for the error message)."""

    expected: bytes
    actual: bytes

    def describe(self) -> str:
        """Return both values in hex."""
        return f"expected {self.expected.hex()}, got {self.actual.hex()}"


class RootMismatch(ProofError):
    """A proof led to a root other than the one given."""

    slug = "root-mismatch"
    title = "Root hash mismatch"

    def __init__(self, what: str, mismatch: Mismatch) -> None:
        super().__init__(f"{what}: {mismatch.describe()}")
        self.mismatch = mismatch


class NoteError(LedgerError):
    """A signed note or checkpoint is malformed or its signatures do not verify."""

    status = 422
    slug = "note-invalid"
    title = "Signed note invalid"


class SigningKeyError(LedgerError):
    """The log's signing keys are missing, unreadable or locked."""

    slug = "signing-key-error"
    title = "Signing key error"


@dataclass(frozen=True)
class AuditFinding:
    """The first thing the audit found wrong: at which index (if any) and what."""

    check: str
    detail: str
    index: int | None = None

    def __str__(self) -> str:
        where = f"index {self.index}: " if self.index is not None else ""
        return f"{where}{self.check}: {self.detail}"


class AuditFailed(LedgerError):
    """The audit found the stored log inconsistent."""

    slug = "audit-failed"
    title = "Ledger audit failed"

    def __init__(self, finding: AuditFinding) -> None:
        super().__init__(str(finding))
        self.finding = finding


# --- witnesses and cosignatures -----------------------------------------------------------


class WitnessError(LedgerError):
    """Something about witnessing the log (cosigning it, or checking cosignatures) is wrong."""

    slug = "witness-error"
    title = "Witness error"


class CosignatureInvalid(WitnessError):
    """A cosignature line is malformed or does not verify under its witness's key."""

    status = 422
    slug = "cosignature-invalid"
    title = "Cosignature invalid"


class UnknownWitness(WitnessError):
    """A cosignature comes from a key the bank is not configured to accept."""

    status = 403
    slug = "unknown-witness"
    title = "Unknown witness"


class ForkDetected(WitnessError):
    """A checkpoint is inconsistent with one the witness cosigned before: it is never cosigned.

    ``reason`` is one of ``smaller-tree``, ``same-size-different-root`` and
    ``not-an-extension``; the message names both sizes and both roots.
    """

    status = 409
    slug = "fork-detected"
    title = "Checkpoint inconsistent with what the witness cosigned"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail, extra={"reason": reason})
        self.reason = reason


class WitnessQuorumNotMet(WitnessError):
    """Fewer witnesses than required cosigned a checkpoint."""

    status = 422
    slug = "witness-quorum-not-met"
    title = "Not enough witness cosignatures"

    def __init__(self, required: int, verified: Sequence[str]) -> None:
        names = ", ".join(verified) if verified else "none"
        super().__init__(
            f"witness cosignatures: {required} required, {len(verified)} verified ({names})",
            extra={"check": "witness cosignatures", "required": required},
        )
        self.required = required
        self.verified = tuple(verified)


class BankError(WitnessError):
    """The witness could not reach the bank, or the bank refused or garbled an answer."""

    status = 502
    slug = "bank-error"
    title = "Bank error"


# --- transcript verification ------------------------------------------------------------


class TranscriptCheckError(CreditbankError):
    """A check of a transcript cannot pass; verification reports it under the check's name."""

    status = 422
    slug = "transcript-check-failed"
    title = "Transcript check failed"


class ProofInvalid(TranscriptCheckError):
    """A credential's Data Integrity proof does not verify (the message says why)."""

    slug = "credential-proof-invalid"
    title = "Credential proof invalid"


class EvidenceInvalid(TranscriptCheckError):
    """One ledger-evidence check of a record failed: which check, and why."""

    slug = "evidence-invalid"
    title = "Ledger evidence invalid"

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(f"{check}: {reason}", extra={"check": check})
        self.check = check
        self.reason = reason


class Unverifiable(TranscriptCheckError):
    """A check cannot be made with what the verifier was given (reported as skipped)."""

    slug = "unverifiable"
    title = "Cannot be verified"


class StatusNotGiven(Unverifiable):
    """The verifier was given no status list to look at: revocation is not checked."""

    slug = "status-not-given"
    title = "Revocation not checked"


class UntrustedIssuer(TranscriptCheckError):
    """The issuer, its key or its DID document is not anchored in what the verifier trusts."""

    slug = "issuer-not-trusted"
    title = "Issuer not trusted"


# --- operations errors ----------------------------------------------------------------------


class BackupError(CreditbankError):
    """A backup cannot be written or restored (a damaged file, a non-empty target, …)."""

    status = 409
    slug = "backup-error"
    title = "Backup error"
