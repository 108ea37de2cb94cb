"""One verdict per verification, defined once and shown alike by the API, pages and CLI.

A report lists every check; a reader needs first the one thing it adds up to. The classes are
ordered by what a reader must know first: an untrusted issuer makes every other claim
meaningless, an altered credential says nothing true, a revoked one was withdrawn, an expired
one ran out; a transcript whose status could not be had, or was not looked at, is never called
plainly valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class VerdictClass(StrEnum):
    """What a verification comes to, one class per outcome."""

    VALID = "valid"
    REVOCATION_NOT_CHECKED = "revocation_not_checked"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    ALTERED = "altered"
    ISSUER_NOT_TRUSTED = "issuer_not_trusted"
    STATUS_UNAVAILABLE = "status_unavailable"
    ERASED = "erased"


class RevocationCategory(StrEnum):
    """Why a transcript was revoked, as a category a verifier may be told (never free text)."""

    WITHDRAWN = "withdrawn_by_learner"
    RECORD_CHANGED = "record_changed"
    TRANSFER_SUPERSEDED = "transfer_superseded"
    LEARNER_ERASED = "learner_data_erased"


# Checks whose failure means the credential is not what its issuer signed or the log holds.
# The most telling first: the one that names a record and what differs.
INTEGRITY_CHECKS = (
    "credential shape",
    "record content",
    "nested signatures",
    "commitment opening",
    "inclusion proof",
    "checkpoint signature",
    "checkpoint consistency",
    "outer signature",
)
# Checks whose failure means the verifier cannot trust who signed it.
TRUST_CHECKS = ("issuer key", "witness cosignatures")

# Exit status of ``creditbank verify`` per class (2 is kept for usage and input errors).
EXIT_STATUS: dict[VerdictClass, int] = {
    VerdictClass.VALID: 0,
    VerdictClass.ALTERED: 1,
    VerdictClass.REVOCATION_NOT_CHECKED: 3,
    VerdictClass.REVOKED: 4,
    VerdictClass.EXPIRED: 5,
    VerdictClass.NOT_YET_VALID: 5,
    VerdictClass.ISSUER_NOT_TRUSTED: 6,
    VerdictClass.STATUS_UNAVAILABLE: 7,
    VerdictClass.ERASED: 8,
}

_HEADLINES: dict[VerdictClass, tuple[str, str]] = {
    VerdictClass.VALID: (
        "验证通过：成绩单真实有效",
        "Valid: the transcript is genuine and in force",
    ),
    VerdictClass.REVOCATION_NOT_CHECKED: (
        "签名与账本证据有效，但未检查是否已撤销",
        "Signature and evidence valid, revocation not checked",
    ),
    VerdictClass.REVOKED: ("验证未通过：已撤销", "Not valid: revoked"),
    VerdictClass.EXPIRED: ("验证未通过：已过期", "Not valid: expired"),
    VerdictClass.NOT_YET_VALID: ("验证未通过：尚未生效", "Not valid: not yet in force"),
    VerdictClass.ALTERED: (
        "验证未通过：内容已被篡改",
        "Not valid: altered (not what the issuer signed or the ledger holds)",
    ),
    VerdictClass.ISSUER_NOT_TRUSTED: (
        "验证未通过：签发机构不可信",
        "Not valid: issuer not trusted",
    ),
    VerdictClass.STATUS_UNAVAILABLE: (
        "无法确认：取不到撤销状态",
        "Status unavailable: whether it was revoked cannot be told",
    ),
    VerdictClass.ERASED: (
        "验证未通过：学习者的数据已被删除",
        "Not valid: the learner's data was erased",
    ),
}
# With its date: what the bank's verifier says of a transcript whose learner was erased.
_ERASED_ON = ("验证未通过：学习者的数据已于 {date} 删除", "the learner's data was erased on {date}")

_CATEGORIES: dict[RevocationCategory, tuple[str, str]] = {
    RevocationCategory.WITHDRAWN: ("学习者本人撤回", "withdrawn by the learner"),
    RevocationCategory.RECORD_CHANGED: (
        "其中一条记录已被更正或撤销",
        "a record on it was corrected or revoked",
    ),
    RevocationCategory.TRANSFER_SUPERSEDED: (
        "其中一项学分认定已被新的评估取代",
        "a recognised transfer on it was superseded",
    ),
    RevocationCategory.LEARNER_ERASED: (
        "学习者的个人数据已被删除",
        "the learner's personal data was erased",
    ),
}


@dataclass(frozen=True)
class Verdict:
    """The class of a verification and the facts that go with it.

    ``at``: when it was revoked (or the latest time the status list vouches for) or expired;
    ``category``: why it was revoked, when known; ``check`` and ``record``: which check failed
    and on which record, for altered, untrusted and unavailable; ``detail``: that check's
    reason.
    """

    kind: VerdictClass
    at: str | None = None
    category: RevocationCategory | None = None
    check: str | None = None
    record: str | None = None
    detail: str = ""

    @property
    def trusted_claims(self) -> bool:
        """Whether the claims may be shown as verified (only when plainly valid)."""
        return self.kind is VerdictClass.VALID

    @property
    def exit_status(self) -> int:
        """The CLI's exit status for this verdict."""
        return EXIT_STATUS[self.kind]

    def headline(self, language: str) -> str:
        """The verdict in a few words, in ``language`` (zh or en)."""
        if self.kind is VerdictClass.ERASED and self.at is not None:
            zh, en = (text.format(date=self.at[:10]) for text in _ERASED_ON)
            return en if language == "en" else zh
        zh, en = _HEADLINES[self.kind]
        return en if language == "en" else zh

    def category_text(self, language: str) -> str | None:
        """The revocation category in words, or None."""
        if self.category is None:
            return None
        zh, en = _CATEGORIES[self.category]
        return en if language == "en" else zh

    def to_json(self) -> dict[str, Any]:
        """The JSON form: the class, then only the facts that apply."""
        body: dict[str, Any] = {"class": self.kind.value}
        for name, value in (
            ("at", self.at),
            ("category", None if self.category is None else self.category.value),
            ("check", self.check),
            ("record", self.record),
        ):
            if value is not None:
                body[name] = value
        body["summary"] = self.headline("en")
        if self.detail:
            body["detail"] = self.detail
        return body


@dataclass(frozen=True)
class Outcomes:
    """What the checks found, as the verdict needs it.

    ``failed`` and ``skipped`` map a check's name to its reason; ``records`` maps a check to
    the first record it failed on; ``revoked`` is set when the status list has the bit set,
    with ``revoked_as_of`` the status list's own time; ``status_given`` is false when the
    verifier had no status list to look at.
    """

    failed: Mapping[str, str]
    skipped: Mapping[str, str]
    records: Mapping[str, str]
    revoked: bool = False
    revoked_as_of: str | None = None
    expired_at: str | None = None
    not_before: str | None = None
    status_given: bool = True


def classify(outcomes: Outcomes) -> Verdict:
    """The one verdict the checks come to (see the module's order)."""
    failed = outcomes.failed

    def on(check: str, kind: VerdictClass) -> Verdict:
        return Verdict(
            kind, check=check, record=outcomes.records.get(check), detail=failed.get(check, "")
        )

    if "issuer key" in failed:
        return on("issuer key", VerdictClass.ISSUER_NOT_TRUSTED)
    for check in INTEGRITY_CHECKS:
        if check in failed:
            return on(check, VerdictClass.ALTERED)
    if "witness cosignatures" in failed:
        return on("witness cosignatures", VerdictClass.ISSUER_NOT_TRUSTED)
    if outcomes.revoked:
        return Verdict(VerdictClass.REVOKED, at=outcomes.revoked_as_of, check="status")
    if "status" in failed:
        return on("status", VerdictClass.STATUS_UNAVAILABLE)
    if "validity dates" in failed:
        if outcomes.not_before is not None:
            return Verdict(VerdictClass.NOT_YET_VALID, at=outcomes.not_before)
        return Verdict(
            VerdictClass.EXPIRED, at=outcomes.expired_at, detail=failed["validity dates"]
        )
    if "status" in outcomes.skipped:
        kind = (
            VerdictClass.REVOCATION_NOT_CHECKED
            if not outcomes.status_given
            else VerdictClass.STATUS_UNAVAILABLE
        )
        return Verdict(kind, check="status", detail=outcomes.skipped["status"])
    return Verdict(VerdictClass.VALID)


def with_revocation(
    verdict: Verdict, at: str | None, category: RevocationCategory | None
) -> Verdict:
    """The verdict with the revocation facts the issuer's own records give.

    A transcript revoked because its learner's data was erased is said to be erased.
    """
    if verdict.kind is not VerdictClass.REVOKED:
        return verdict
    if category is RevocationCategory.LEARNER_ERASED:
        return erased(verdict, at or verdict.at)
    return Verdict(
        verdict.kind,
        at=at or verdict.at,
        category=category,
        check=verdict.check,
        detail=verdict.detail,
    )


def erased(verdict: Verdict, at: str | None) -> Verdict:
    """The verdict on a transcript whose learner's data was erased on ``at``.

    Whatever the signatures say, its content can no longer be opened against the bank; only
    an untrusted issuer or an altered credential is said first.
    """
    if verdict.kind in (VerdictClass.ISSUER_NOT_TRUSTED, VerdictClass.ALTERED):
        return verdict
    return Verdict(
        VerdictClass.ERASED,
        at=at,
        category=RevocationCategory.LEARNER_ERASED,
        check="status",
        detail="the learner's data was erased: the records can no longer be opened at the bank",
    )
