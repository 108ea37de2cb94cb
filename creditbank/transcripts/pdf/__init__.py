"""The printable transcript: a bilingual A4 PDF rendered from a :class:`TranscriptView`."""

from __future__ import annotations

import re

from creditbank.errors import FieldProblem, InvalidInput
from creditbank.identity.documents import check_digit, normalise
from creditbank.transcripts.pdf.labels import LANGUAGES, Language
from creditbank.transcripts.pdf.layout import TranscriptDocument
from creditbank.transcripts.view import TranscriptView

__all__ = ["render_transcript_pdf"]

# Eighteen characters shaped like a resident identity number (GB 11643), not inside a longer number.
_ID_SHAPED = re.compile(r"(?<!\d)(\d{17})([\dX])(?!\d)")


def render_transcript_pdf(view: TranscriptView, *, language: str = "zh") -> bytes:
    """Render ``view`` as an A4 PDF, Chinese leading for ``"zh"``, English for ``"en"``.

    Refuses (``InvalidInput``) an unknown language, and a learner name or reference holding a
    valid resident identity number: a transcript names its learner by pseudonym only.
    """
    chosen = _language(language)
    for field, value in (
        ("learner_reference", view.learner_reference),
        ("learner_name", view.learner_name),
    ):
        if _holds_identity_number(value):
            reason = "holds a resident identity number; print the pseudonymous reference instead"
            raise InvalidInput(f"{field} {reason}", problems=[FieldProblem(field, reason)])
    return TranscriptDocument(view, chosen).build()


def _language(language: str) -> Language:
    if language == "zh":
        return "zh"
    if language == "en":
        return "en"
    reason = f"must be one of {', '.join(LANGUAGES)}"
    raise InvalidInput(
        f"language {language!r}: {reason}", problems=[FieldProblem("language", reason)]
    )


def _holds_identity_number(text: str) -> bool:
    return any(
        check_digit(first17) == last for first17, last in _ID_SHAPED.findall(normalise(text))
    )
