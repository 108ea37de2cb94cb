"""The printable transcript: a bilingual A4 PDF rendered from a :class:`TranscriptView`."""

from __future__ import annotations

from creditbank.errors import FieldProblem, InvalidInput
from creditbank.transcripts.pdf.labels import LANGUAGES
from creditbank.transcripts.pdf.layout import TranscriptDocument
from creditbank.transcripts.view import TranscriptView

__all__ = ["render_transcript_pdf"]


def render_transcript_pdf(view: TranscriptView, *, language: str = "zh") -> bytes:
    """Render ``view`` as an A4 PDF, Chinese leading for ``"zh"``, English for ``"en"``."""
    if language == "zh":
        return TranscriptDocument(view, "zh").build()
    if language == "en":
        return TranscriptDocument(view, "en").build()
    reason = f"must be one of {', '.join(LANGUAGES)}"
    raise InvalidInput(
        f"language {language!r}: {reason}", problems=[FieldProblem("language", reason)]
    )
