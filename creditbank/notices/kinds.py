"""The kinds of notice and their words, in Chinese and English."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Literal

from creditbank.labels import label

Lang = Literal["zh", "en"]


class NoticeKind(StrEnum):
    """What happened."""

    TRANSCRIPT_REVOKED = "transcript_revoked"
    TRANSFERS_SUPERSEDED = "transfers_superseded"
    EVALUATION_DECIDED = "evaluation_decided"
    APPEAL_DECIDED = "appeal_decided"
    CONSENT_EXPIRING = "consent_expiring"
    KEY_ISSUED = "key_issued"
    CORRECTION_REQUESTED = "correction_requested"
    CORRECTION_ANSWERED = "correction_answered"
    TRANSFERS_UNDER_REVIEW = "transfers_under_review"
    TRANSFER_CONFIRMED = "transfer_confirmed"
    APPLICATION_CHANGED = "application_changed"
    OBJECTION_LODGED = "objection_lodged"


# Subject and body per kind and language; ``{name}`` fields come from the notice's params.
_TEXTS: dict[NoticeKind, dict[Lang, tuple[str, str]]] = {
    NoticeKind.TRANSCRIPT_REVOKED: {
        "zh": ("成绩单已撤销", "您的成绩单 {transcript} 已被撤销。原因：{reason}"),
        "en": (
            "A transcript was revoked",
            "Your transcript {transcript} was revoked. Reason: {reason}",
        ),
    },
    NoticeKind.TRANSFERS_SUPERSEDED: {
        "zh": (
            "学分转换已被新的评估取代",
            "按政策 {policy} 认定的课程 {courses} 已被评估 {evaluation} 取代；"
            "请在学习账户中查看新的结果。",
        ),
        "en": (
            "Recognised transfers were superseded",
            "The courses {courses} recognised under policy {policy} were superseded by "
            "evaluation {evaluation}; see the new result in your account.",
        ),
    },
    NoticeKind.EVALUATION_DECIDED: {
        "zh": (
            "学分转换评估已完成",
            "{institution} 按政策 {policy} 完成了评估 {evaluation}：认定 {recognised} 学分，"
            "尚缺 {remaining} 学分。",
        ),
        "en": (
            "A credit-transfer evaluation was decided",
            "{institution} decided evaluation {evaluation} under policy {policy}: "
            "{recognised} credits recognised, {remaining} still needed.",
        ),
    },
    NoticeKind.APPEAL_DECIDED: {
        "zh": (
            "申诉已有结果",
            "{institution} 对评估 {appeal_of} 的申诉作出决定（评估 {evaluation}）：认定 "
            "{recognised} 学分，尚缺 {remaining} 学分。",
        ),
        "en": (
            "An appeal was decided",
            "{institution} decided the appeal of evaluation {appeal_of} (evaluation "
            "{evaluation}): {recognised} credits recognised, {remaining} still needed.",
        ),
    },
    NoticeKind.CONSENT_EXPIRING: {
        "zh": (
            "授权即将到期",
            "您授予 {institution} 的授权（{scope}）将于 {valid_until} 到期；"
            "如需继续，请在学习账户中重新授权。",
        ),
        "en": (
            "A consent is about to expire",
            "Your consent for {institution} ({scope}) expires on {valid_until}; grant it "
            "again in your account to continue.",
        ),
    },
    NoticeKind.KEY_ISSUED: {
        "zh": (
            "已为本机构签发 API 密钥",
            "已签发密钥 {key_id}（角色 {role}，标签 {label}）。"
            "如非本机构申请，请立即联系学分银行。",
        ),
        "en": (
            "An API key was issued for your institution",
            "Key {key_id} was issued (role {role}, label {label}). If your institution did "
            "not ask for it, contact the credit bank at once.",
        ),
    },
    NoticeKind.CORRECTION_REQUESTED: {
        "zh": (
            "学习者申请更正记录",
            "学习者申请更正本机构登记的记录 {record}（申请 {request}）；"
            "请在机构工作台的“更正申请”中查看并答复。",
        ),
        "en": (
            "A learner asks for a correction",
            "A learner asks that record {record}, posted by your institution, be corrected "
            "(request {request}); see and answer it under Correction requests in your workspace.",
        ),
    },
    NoticeKind.CORRECTION_ANSWERED: {
        "zh": (
            "您的更正申请已有答复",
            "{institution} 已答复您对记录 {record} 的更正申请：{decision_zh}。说明：{reason}",
        ),
        "en": (
            "Your correction request was answered",
            "{institution} answered your request to correct record {record}: {decision_en}. "
            "Their words: {reason}",
        ),
    },
    NoticeKind.TRANSFERS_UNDER_REVIEW: {
        "zh": (
            "学分转换正在复查",
            "认定的课程 {courses} 正在复查：{why_zh}（{reason}）。复查完成前不能写入新的成绩单；"
            "已包含这些课程的成绩单已撤销。",
        ),
        "en": (
            "Recognised transfers are under review",
            "The recognised courses {courses} are under review: {why_en} ({reason}). Until "
            "the review is done they cannot go on a new transcript; transcripts holding them "
            "were revoked.",
        ),
    },
    NoticeKind.TRANSFER_CONFIRMED: {
        "zh": (
            "复查完成：学分转换继续有效",
            "{institution} 复查后确认课程 {course} 的认定继续有效。理由：{reason}",
        ),
        "en": (
            "Review done: the transfer stands",
            "{institution} reviewed the course {course} and confirmed its recognition. "
            "Reason: {reason}",
        ),
    },
    NoticeKind.APPLICATION_CHANGED: {
        "zh": (
            "学分认定申请状态更新",
            "您向 {institution} 提交的申请（政策 {policy}）现为：{state_zh}。{reason}",
        ),
        "en": (
            "Your recognition application changed",
            "Your application to {institution} (policy {policy}) is now: {state_en}. {reason}",
        ),
    },
    NoticeKind.OBJECTION_LODGED: {
        "zh": ("公示期收到异议", "申请 {application} 在公示期收到异议，请处理。"),
        "en": (
            "An objection was lodged",
            "An objection was lodged against application {application} during its public "
            "notice; please resolve it.",
        ),
    },
}


class _Missing(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "—"


# Params that hold a code, and the vocabulary whose words replace it in the text.
_CODED = {"role": "Role", "scope": "ConsentScope", "category": "RevocationCategory"}


def words(
    kind: NoticeKind,
    params: Mapping[str, object],
    lang: Lang,
    each: Callable[[object], str] = str,
) -> tuple[str, str]:
    """The subject and body of a notice in ``lang`` (codes among the params in words).

    ``each`` turns every param into its text: a page passes one that escapes it and marks its
    language, the words around it being the fixed texts above.
    """
    subject, body = _TEXTS[kind][lang]
    worded = {
        name: each(label(str(value), lang, _CODED[name]) if name in _CODED else value)
        for name, value in params.items()
    }
    return subject, body.format_map(_Missing(worded))
