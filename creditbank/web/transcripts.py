"""The web interface's window onto the transcripts service and its (optional) PDF renderer.

Pages show a clear "not available" state for what this build lacks (the PDF renderer comes
with its own module); they never make up a transcript, a file or a verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from creditbank.clock import utc_now
from creditbank.errors import FieldProblem, InvalidInput, InvalidJson
from creditbank.strict_json import read_json
from creditbank.transcripts.check_texts import Outcome, check_name, compared
from creditbank.transcripts.issued import TranscriptSummary, find_by_code
from creditbank.transcripts.online import verify_online
from creditbank.transcripts.printing import pdf_renderer
from creditbank.transcripts.verdict import Verdict, VerdictClass
from creditbank.transcripts.verify import Report
from creditbank.transcripts.view import TranscriptView, view_from_credential
from creditbank.web.i18n import current_language, tr
from creditbank.wiring import read_engine, services


def check_label(name: str) -> str:
    """A check's name as people read it, in the page's language."""
    return check_name(name, current_language())


def check_reason(name: str, outcome: Outcome) -> str:
    """What a check compared and how it came out, in the page's language."""
    return compared(name, outcome, current_language())


@dataclass(frozen=True)
class Verification:
    """A verification report and what the transcript claims (read only after the checks).

    ``by_code``: looked up by its online code, so a revoked one shows no grades.
    """

    report: Report
    view: TranscriptView | None
    credits: Decimal | None
    by_code: bool = False

    @property
    def verdict(self) -> Verdict:
        """What the checks come to."""
        return self.report.verdict

    @property
    def show_claims(self) -> bool:
        """Whether the page shows the claims (verified, or marked claimed and not verified)."""
        if self.view is None:
            return False
        return not (self.by_code and self.verdict.kind is VerdictClass.REVOKED)


def verify(credential: Any, *, by_code: bool = False) -> Verification:
    """Verify a credential online with the bank's keys, checkpoints and status lists."""
    opened = services()
    report = verify_online(
        opened.ledger,
        opened.issuer_identity(),
        credential,
        witness_keys=opened.settings.witness_keys,
        now=utc_now(),
        reads=read_engine(read_only_request=True),
    )
    try:
        view = view_from_credential(credential)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        view = None  # too broken to read (or a single record); the report says why
    return Verification(report, view, None if view is None else view.total_credits, by_code)


def parse(data: bytes | str) -> Any:
    """A transcript file's JSON, read strictly; 400 naming the problem when it is refused."""
    try:
        return read_json(data)
    except InvalidJson as exc:
        raise InvalidInput(
            tr(
                f"不是有效的成绩单文件（JSON 错误：{exc.detail}）",
                f"not a transcript file (JSON: {exc.detail})",
            ),
            problems=[FieldProblem("transcript", exc.detail)],
        ) from None


def by_code(code: str) -> tuple[TranscriptSummary, dict[str, Any]]:
    """The transcript an online verification code names (404 when none)."""
    opened = services()
    return find_by_code(opened.engine, opened.sealer, code)


def pdf() -> Callable[[TranscriptView], bytes] | None:
    """The PDF renderer, or None when this build has none."""
    renderer: Callable[[TranscriptView], bytes] | None = pdf_renderer()
    return renderer
