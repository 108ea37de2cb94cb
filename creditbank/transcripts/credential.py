"""Assembling a transcript: a CLR 2.0 ``ClrCredential`` of signed OB 3.0 credentials.

The transcript holds one ``AchievementCredential`` per record or recognised transfer, each with
its ledger evidence.

The claims of a record (names, result, credits, 学时, term, dates) are a pure function of the
payload committed in the log and the names of the institutions involved
(:func:`entry_subject`, for a record's outcome or a course a committed evaluation
recognised), so a verifier rebuilds them from the disclosed payload and compares: a claim that
differs from the committed entry is caught even under a valid signature.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creditbank.ledger.envelope import EntryKind
from creditbank.records.vocabulary import (
    AwardRank,
    CertificateLevel,
    CertificateType,
    CompetitionLevel,
    Level,
)
from creditbank.transcripts.contexts import (
    CLR_CONTEXT,
    CREDITBANK_CONTEXT,
    OB_CONTEXT,
    VC_CONTEXT,
)
from creditbank.transcripts.cryptosuite import format_datetime, sign_document

Language = Literal["zh", "en"]
TRANSCRIPT_CONTEXTS = [VC_CONTEXT, CLR_CONTEXT, OB_CONTEXT, CREDITBANK_CONTEXT]
RECORD_CONTEXTS = [VC_CONTEXT, OB_CONTEXT, CREDITBANK_CONTEXT]
ISSUER_NAME_ZH = "成渝地区学分银行"
ISSUER_NAME_EN = "Chengdu-Chongqing Credit Bank"
TRANSCRIPT_NAME = ("学分银行成绩单", "Credit Bank Transcript")
# Achievement ids are stable per course or certificate (uuid5 in the project's namespace), so
# the same course on two transcripts is the same achievement.
ACHIEVEMENT_NAMESPACE = uuid.UUID("6f0d2f3e-8c1a-5b7e-9d42-1c3b5a7e9f01")
_NAMESPACE_BYTES = ACHIEVEMENT_NAMESPACE.bytes
# Dates of outcomes are Chinese calendar days: midnight in China Standard Time.
_DAY_START = "T00:00:00+08:00"

_CRITERIA: dict[str, tuple[str, str]] = {
    "course": ("修完课程并通过考核。", "Completed the course and passed its assessment."),
    "certificate": ("通过考核取得证书。", "Passed the assessment and was awarded the certificate."),
    "training": ("完成培训并通过考核。", "Completed the training and its assessment."),
    "award": ("在技能大赛中获奖。", "Won a prize in a skills competition."),
    "transfer": (
        "依据已发布的学分转换政策，经登记的评估认定。",
        "Recognised by a committed evaluation under a published credit-transfer policy.",
    ),
}
_KIND_LABEL: dict[str, tuple[str, str]] = {
    "course": ("课程", "Course"),
    "certificate": ("证书", "Certificate"),
    "training": ("培训", "Training"),
    "award": ("竞赛获奖", "Competition award"),
    "transfer": ("学分认定", "Recognised transfer"),
}
_ACHIEVEMENT_TYPE = {
    "course": "Course",
    "certificate": "Certificate",
    "training": "ext:Training",
    "award": "Award",
    "transfer": "Course",
}


def day_time(day: str) -> str:
    """An ISO calendar day as an ``xsd:dateTime`` (midnight, China Standard Time)."""
    return date.fromisoformat(day).isoformat() + _DAY_START


def credits_number(text: str) -> int | float:
    """Credits as a JSON number: an integer when whole ("4" → 4), else a float ("3.5")."""
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass(frozen=True)
class InstitutionName:
    """How a transcript names an institution."""

    code: str
    name_zh: str
    name_en: str | None


def institution_url(base_url: str, code: str) -> str:
    """The institution's public URL, its Profile id."""
    return f"{base_url.rstrip('/')}/api/v1/institutions/{code}"


def _pick(zh: str, en: str | None, language: Language) -> str:
    return en if language == "en" and en else zh


def _profile(
    base_url: str, code: str, names: Mapping[str, InstitutionName], lang: Language
) -> dict[str, Any]:
    found = names.get(code)
    profile: dict[str, Any] = {"id": institution_url(base_url, code), "type": ["Profile"]}
    if found is None:
        profile["name"] = code
    else:
        profile["name"] = _pick(found.name_zh, found.name_en, lang)
        profile["nameZh"] = found.name_zh
        if found.name_en:
            profile["nameEn"] = found.name_en
    profile["institutionCode"] = code
    return profile


def _names(achievement: dict[str, Any], zh: str, en: str | None, lang: Language) -> None:
    achievement["name"] = _pick(zh, en, lang)
    achievement["nameZh"] = zh
    if en:
        achievement["nameEn"] = en


def _achievement_id(*parts: str) -> str:
    # uuid.uuid5(ACHIEVEMENT_NAMESPACE, name), written out: its UUID object costs more than the
    # hash (a verifier rebuilds one id per record). A test checks it against uuid5.
    digest = bytearray(
        hashlib.sha1(
            _NAMESPACE_BYTES + ":".join(parts).encode("utf-8"), usedforsecurity=False
        ).digest()[:16]
    )
    digest[6] = digest[6] & 0x0F | 0x50  # version 5
    digest[8] = digest[8] & 0x3F | 0x80  # the RFC 4122 variant
    h = digest.hex()
    return f"urn:uuid:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _grade_result(grade: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"type": ["Result"], "value": str(grade["value"]), "gradeScale": str(grade["scale"])}]


def _label(vocabulary: Any, value: str | None, lang: Language) -> str | None:
    return None if value is None else str(vocabulary(value).label(lang))


@dataclass(frozen=True)
class _Form:
    """What the per-kind fillers read."""

    outcome: Mapping[str, Any]
    lang: Language
    kind_label: str
    base_url: str
    names: Mapping[str, InstitutionName]


def _course(form: _Form, achievement: dict[str, Any], subject: dict[str, Any]) -> str:
    outcome, lang = form.outcome, form.lang
    achievement["id"] = _achievement_id(
        "course", outcome["source_institution"], outcome["course_code"]
    )
    _names(achievement, outcome["title_zh"], outcome["title_en"], lang)
    level = _label(Level, outcome["level"], lang)
    achievement["description"] = f"{form.kind_label} · {level} · {outcome['programme']}"
    achievement["humanCode"] = outcome["course_code"]
    achievement["fieldOfStudy"] = outcome["programme"]
    achievement["educationLevel"] = outcome["level"]
    credits = credits_number(outcome["credits"])
    achievement["creditsAvailable"] = credits
    subject["creditsEarned"] = credits
    subject["hours"] = outcome["hours"]
    subject["term"] = outcome["term"]
    subject["result"] = _grade_result(outcome["grade"])
    subject["source"] = _profile(form.base_url, outcome["source_institution"], form.names, lang)
    return str(outcome["completed_on"])


def _certificate(form: _Form, achievement: dict[str, Any], subject: dict[str, Any]) -> str:
    outcome, lang = form.outcome, form.lang
    achievement["id"] = _achievement_id(
        "certificate", outcome["awarding_organisation"], outcome["title"], outcome["level"] or ""
    )
    _names(achievement, outcome["title"], None, lang)
    ctype = _label(CertificateType, outcome["certificate_type"], lang)
    body = outcome["awarding_organisation"]
    achievement["description"] = f"{form.kind_label} · {ctype} · {body}"
    achievement["awardingBody"] = body
    subject["licenseNumber"] = outcome["certificate_number"]
    if outcome["level"] is not None:
        achievement["certificateLevel"] = outcome["level"]
        subject["result"] = [
            {"type": ["Result"], "value": _label(CertificateLevel, outcome["level"], lang)}
        ]
    if outcome["expires_on"] is not None:
        subject["expiresOn"] = day_time(outcome["expires_on"])
    return str(outcome["issued_on"])


def _training(form: _Form, achievement: dict[str, Any], subject: dict[str, Any]) -> str:
    outcome = form.outcome
    achievement["id"] = _achievement_id("training", outcome["provider"], outcome["title"])
    _names(achievement, outcome["title"], None, form.lang)
    achievement["description"] = f"{form.kind_label} · {outcome['provider']}"
    achievement["awardingBody"] = outcome["provider"]
    subject["hours"] = outcome["hours"]
    subject["result"] = _grade_result(outcome["result"])
    subject["startedOn"] = day_time(outcome["started_on"])
    return str(outcome["completed_on"])


def _award(form: _Form, achievement: dict[str, Any], subject: dict[str, Any]) -> str:
    outcome, lang = form.outcome, form.lang
    title = outcome["competition"] + (f"（{outcome['track']}）" if outcome["track"] else "")
    achievement["id"] = _achievement_id("award", outcome["competition"], outcome["track"] or "")
    _names(achievement, title, None, lang)
    level = _label(CompetitionLevel, outcome["level"], lang)
    achievement["description"] = f"{form.kind_label} · {level}"
    achievement["competitionLevel"] = outcome["level"]
    subject["result"] = [{"type": ["Result"], "value": _label(AwardRank, outcome["rank"], lang)}]
    return str(outcome["awarded_on"])


def _transfer(form: _Form, achievement: dict[str, Any], subject: dict[str, Any]) -> str:
    payload, lang = form.outcome, form.lang
    course, programme, policy = payload["course"], payload["programme"], payload["policy"]
    achievement["id"] = _achievement_id("course", payload["institution"], course["code"])
    _names(achievement, course["title_zh"], course["title_en"], lang)
    title = _pick(programme["title_zh"], programme["title_en"], lang)
    achievement["description"] = f"{form.kind_label} · {payload['pathway']} · {title}"
    achievement["humanCode"] = course["code"]
    achievement["fieldOfStudy"] = programme["title_zh"]
    achievement["educationLevel"] = programme["level"]
    achievement["creditsAvailable"] = credits_number(course["credits"])
    subject["creditsEarned"] = credits_number(payload["recognised_credits"])
    subject["transferRecognition"] = {
        "evaluation": f"urn:uuid:{payload['evaluation']}",
        "evaluatedOn": day_time(payload["on"]),
        "programme": programme["code"],
        "pathway": payload["pathway"],
        "policy": policy["id"],
        "policyVersion": policy["version"],
        "policyHash": policy["hash"],
        "basis": payload["basis"],
        "rules": list(payload["rules"]),
        "sourceOutcomes": payload["sources"],
    }
    return str(payload["on"])


_FILLERS = {
    "course": _course,
    "certificate": _certificate,
    "training": _training,
    "award": _award,
    "transfer": _transfer,
}


def entry_subject(
    entry_kind: str,
    payload: Mapping[str, Any],
    *,
    learner: str,
    learner_name: str | None,
    base_url: str,
    names: Mapping[str, InstitutionName],
    language: Language,
) -> tuple[dict[str, Any], str]:
    """The subject a committed entry's payload makes: a record's outcome, or a transfer.

    A recognised transfer's achievement is the course of the receiving programme, created by
    the recognising institution; ``transferRecognition`` says under which policy version, by
    which evaluation, on what basis and from how many outcomes (never which).
    """
    if entry_kind == EntryKind.TRANSFER_RECOGNISED:
        kind, content = "transfer", payload
    else:
        kind, content = str(payload["outcome"]["kind"]), payload["outcome"]
    return _subject(
        kind,
        content,
        poster=str(payload["institution"]),
        learner=learner,
        learner_name=learner_name,
        base_url=base_url,
        names=names,
        language=language,
    )


def _subject(
    kind: str,
    content: Mapping[str, Any],
    *,
    poster: str,
    learner: str,
    learner_name: str | None,
    base_url: str,
    names: Mapping[str, InstitutionName],
    language: Language,
) -> tuple[dict[str, Any], str]:
    lang = language
    achievement: dict[str, Any] = {
        "type": ["Achievement"],
        "achievementType": _ACHIEVEMENT_TYPE[kind],
    }
    subject: dict[str, Any] = {"id": learner, "type": ["AchievementSubject"]}
    if learner_name is not None:
        subject["identifier"] = [
            {
                "type": "IdentityObject",
                "identityType": "name",
                "hashed": False,
                "identityHash": learner_name,
            }
        ]
    fill = _FILLERS.get(kind)
    if fill is None:
        raise ValueError(f"no transcript form for a {kind!r} record")
    form = _Form(content, lang, _KIND_LABEL[kind][0 if lang == "zh" else 1], base_url, names)
    awarded = fill(form, achievement, subject)
    achievement["inLanguage"] = lang
    achievement["criteria"] = {"narrative": _CRITERIA[kind][0 if lang == "zh" else 1]}
    achievement["creator"] = _profile(base_url, poster, names, lang)
    subject["recordKind"] = kind
    subject["achievement"] = achievement
    return subject, day_time(awarded)


@dataclass(frozen=True)
class Issuer:
    """The bank as issuer: its DID, the key that signs and its verification method."""

    did: str
    method_id: str
    private_key: Ed25519PrivateKey
    public_url: str

    def profile(self, language: Language) -> dict[str, Any]:
        """The issuer ``Profile``."""
        return {
            "id": self.did,
            "type": ["Profile"],
            "name": ISSUER_NAME_EN if language == "en" else ISSUER_NAME_ZH,
            "nameZh": ISSUER_NAME_ZH,
            "nameEn": ISSUER_NAME_EN,
            "url": self.public_url,
        }


@dataclass(frozen=True)
class RecordInput:
    """One selected record (or recognised transfer) with its committed payload and evidence."""

    payload: Mapping[str, Any]
    evidence: Mapping[str, Any]
    entry_kind: str = "record.posted"  # the ledger entry's kind: which claims the payload makes
    # Evidence of what let the poster post it from another member: its delegation's entry.
    authorship_evidence: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class TranscriptInput:
    """Everything a transcript says, gathered by the service."""

    transcript_id: str
    learner_id: str
    learner_name: str | None
    language: Language
    issued_at: datetime
    valid_until: datetime
    verification_code: str
    verification_url: str
    status_entry: Mapping[str, Any]
    partial: bool
    records: Sequence[RecordInput]
    names: Mapping[str, InstitutionName]


def learner_urn(learner_id: str) -> str:
    """How a transcript names the learner: the account's id, never a document number."""
    return f"urn:uuid:{learner_id}"


def record_credential(
    request: TranscriptInput, record: RecordInput, issuer: Issuer
) -> dict[str, Any]:
    """One record's signed ``AchievementCredential``."""
    subject, awarded = entry_subject(
        record.entry_kind,
        record.payload,
        learner=learner_urn(request.learner_id),
        learner_name=request.learner_name,
        base_url=issuer.public_url,
        names=request.names,
        language=request.language,
    )
    document: dict[str, Any] = {
        "@context": list(RECORD_CONTEXTS),
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "AchievementCredential"],
        "issuer": issuer.profile(request.language),
        "name": subject["achievement"]["name"],
        "validFrom": format_datetime(request.issued_at),
        "validUntil": format_datetime(request.valid_until),
        "awardedDate": awarded,
        "credentialSubject": subject,
        "credentialStatus": dict(request.status_entry),
        "evidence": [dict(record.evidence), *(dict(e) for e in record.authorship_evidence)],
    }
    return sign_document(
        document,
        issuer.private_key,
        verification_method=issuer.method_id,
        created=request.issued_at,
    )


def transcript_credential(request: TranscriptInput, issuer: Issuer) -> dict[str, Any]:
    """The signed ``ClrCredential`` with every record's signed credential inside."""
    nested = [record_credential(request, record, issuer) for record in request.records]
    zh, en = TRANSCRIPT_NAME
    subject: dict[str, Any] = {
        "id": learner_urn(request.learner_id),
        "type": ["ClrSubject"],
        "verifiableCredential": nested,
    }
    if request.learner_name is not None:
        subject["identifier"] = [
            {
                "type": "IdentityObject",
                "identityType": "name",
                "hashed": False,
                "identityHash": request.learner_name,
            }
        ]
    document: dict[str, Any] = {
        "@context": list(TRANSCRIPT_CONTEXTS),
        "id": f"urn:uuid:{request.transcript_id}",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": issuer.profile(request.language),
        "name": en if request.language == "en" else zh,
        "nameZh": zh,
        "nameEn": en,
        "partial": request.partial,
        "validFrom": format_datetime(request.issued_at),
        "validUntil": format_datetime(request.valid_until),
        "verificationCode": request.verification_code,
        "verificationPage": request.verification_url,
        "credentialSubject": subject,
        "credentialStatus": dict(request.status_entry),
    }
    return sign_document(
        document,
        issuer.private_key,
        verification_method=issuer.method_id,
        created=request.issued_at,
    )
