"""Chinese first, English available: the chosen language and bilingual texts.

Texts are written in pairs where they are used (``tr("验证", "Verify")``), so a page reads
the same in both languages and no catalogue can drift. Labels of the records' vocabularies
and the rules engine's reasons come from their own modules, which carry both languages.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Literal

from flask import request, session

from creditbank.records.vocabulary import Vocabulary

Lang = Literal["zh", "en"]
LANGUAGES: tuple[Lang, ...] = ("zh", "en")
COOKIE = "cb_lang"
# Chinese users read times in China Standard Time.
CHINA = timezone(timedelta(hours=8), "UTC+8")


def current_language() -> Lang:
    """The language of this request: the switch's choice, else Chinese."""
    chosen = request.cookies.get(COOKIE) or session.get("lang")
    return "en" if chosen == "en" else "zh"


def tr(zh: str, en: str) -> str:
    """The text in the language of this request."""
    return en if current_language() == "en" else zh


def label(value: Vocabulary | None) -> str:
    """A vocabulary value's label in the language of this request."""
    if value is None:
        return "—"
    return value.label(current_language())


def when(moment: datetime | date | None) -> str:
    """A date, or a time in UTC+8, as people read it."""
    if moment is None:
        return "—"
    if isinstance(moment, datetime):
        return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") + " (UTC+8)"
    return moment.isoformat()


def when_text(text: str | None) -> str:
    """An ISO 8601 time given as text (as credentials write it), shown like :func:`when`."""
    if not text:
        return "—"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return when(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
