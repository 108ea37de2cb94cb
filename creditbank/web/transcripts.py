"""The web interface's window onto the transcripts service and its (optional) PDF renderer.

Pages show a clear "not available" state for what this build lacks (the PDF renderer comes
with its own module); they never make up a transcript, a file or a verdict.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from creditbank.clock import utc_now
from creditbank.errors import FieldProblem, InvalidInput
from creditbank.transcripts.issued import TranscriptSummary, find_by_code
from creditbank.transcripts.online import verify_online
from creditbank.transcripts.printing import pdf_renderer
from creditbank.transcripts.verify import Report
from creditbank.transcripts.view import TranscriptView, view_from_credential
from creditbank.web.i18n import tr
from creditbank.wiring import services

# Each check's name in plain words, Chinese and English.
CHECK_NAMES: dict[str, tuple[str, str]] = {
    "credential shape": ("成绩单格式", "the transcript's format"),
    "issuer key": ("签发机构密钥", "the issuer's key"),
    "outer signature": ("成绩单签名", "the transcript's signature"),
    "nested signatures": ("各条记录的签名", "each record's signature"),
    "record content": ("记录内容", "the records' content"),
    "authorship": ("登记机构与来源", "who posted each record, and from whom"),
    "commitment opening": ("记录与账本承诺一致", "the records match the ledger's commitments"),
    "inclusion proof": (
        "记录在账本中（包含证明）",
        "the records are in the ledger (inclusion proof)",
    ),
    "checkpoint signature": ("账本检查点签名", "the ledger checkpoint's signature"),
    "checkpoint consistency": ("检查点与账本一致", "the checkpoint is consistent with the ledger"),
    "validity dates": ("有效期", "validity dates"),
    "status": ("未被撤销", "not revoked"),
}


def check_label(name: str) -> str:
    """A check's name as people read it."""
    zh, en = CHECK_NAMES.get(name, (name, name))
    return tr(zh, en)


@dataclass(frozen=True)
class Verdict:
    """A verification report and what the transcript says (read only after the checks)."""

    report: Report
    view: TranscriptView | None
    credits: Decimal | None


def verify(credential: Any) -> Verdict:
    """Verify a credential online with the bank's keys, checkpoints and status lists."""
    opened = services()
    report = verify_online(
        opened.ledger,
        opened.issuer_identity(),
        credential,
        witness_keys=opened.settings.witness_keys,
        now=utc_now(),
    )
    try:
        view = view_from_credential(credential)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        view = None  # too broken to read; the report says why
    return Verdict(report, view, None if view is None else view.total_credits)


def parse(text: str) -> Any:
    """A transcript file's JSON; 400 naming the problem when it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            tr(f"不是有效的成绩单文件（JSON 错误：{exc}）", f"not a transcript file (JSON: {exc})"),
            problems=[FieldProblem("transcript", "must be the transcript's JSON file")],
        ) from None


def by_code(code: str) -> tuple[TranscriptSummary, dict[str, Any]]:
    """The transcript an online verification code names (404 when none)."""
    opened = services()
    return find_by_code(opened.engine, opened.sealer, code)


def pdf() -> Callable[[TranscriptView], bytes] | None:
    """The PDF renderer, or None when this build has none."""
    renderer: Callable[[TranscriptView], bytes] | None = pdf_renderer()
    return renderer
