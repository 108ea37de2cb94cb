"""Chinese first, English available: the chosen language and bilingual texts.

Texts are written in pairs where they are used (``tr("验证", "Verify")``), so a page reads
the same in both languages and no catalogue can drift. The words for internal codes (the
vocabularies' values: statuses, roles, kinds, levels …) come from one catalogue,
:mod:`creditbank.labels`, which the PDF and the command line read too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any, Literal

from flask import g, request, session
from markupsafe import Markup

from creditbank import labels
from creditbank.rules.reasons import worded

Lang = Literal["zh", "en"]
LANGUAGES: tuple[Lang, ...] = ("zh", "en")
COOKIE = "cb_lang"
# Chinese users read times in China Standard Time.
CHINA = timezone(timedelta(hours=8), "UTC+8")


def current_language() -> Lang:
    """The language of this request: the switch's choice, else Chinese.

    Read once per request (a page asks for every word it prints; the switch takes effect on
    the next request).
    """
    found: Lang | None = g.get("language")
    if found is None:
        chosen = request.cookies.get(COOKIE) or session.get("lang")
        found = "en" if chosen == "en" else "zh"
        g.language = found
    return found


def tr(zh: str, en: str) -> str:
    """The text in the language of this request."""
    return en if current_language() == "en" else zh


def label(value: StrEnum | str | None, vocabulary: str | None = None) -> str:
    """A code's words in the language of this request (see :mod:`creditbank.labels`).

    ``value`` is a vocabulary member, or a plain code with the name of its ``vocabulary``.
    """
    return labels.label(value, current_language(), vocabulary)


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# A run of Chinese: CJK characters, with the punctuation and middle dots written between them.
_CJK_RUN = re.compile(
    r"[\u3400-\u9fff\uf900-\ufaff](?:[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef·・]*"
    r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef])?"
)


def written(text: object) -> Markup:
    """Text people supplied (a name, a title, a place), marked Chinese on an English page.

    A learner's name or a course title recorded only in Chinese stays as it was written; on an
    English page each run of Chinese in it carries ``lang="zh-CN"`` so that it is read out and
    hyphenated as Chinese (a whole name, or a title quoted in an English sentence).
    """
    shown = "—" if text is None else str(text)
    if current_language() != "en" or not _CJK.search(shown):
        return Markup.escape(shown)
    parts: list[Markup] = []
    end = 0
    for run in _CJK_RUN.finditer(shown):
        parts.append(Markup.escape(shown[end : run.start()]))
        parts.append(Markup('<span lang="zh-CN">{}</span>').format(run.group()))
        end = run.end()
    parts.append(Markup.escape(shown[end:]))
    return Markup("").join(parts)


def reason_words(reason: Mapping[str, Any]) -> Markup:
    """An engine reason (as a stored result holds it) in the page's words, Chinese marked."""
    return written(worded(reason, current_language()))


def cap_words(name: str) -> Markup:
    """A cap's name (``per_category.专业核心``, ``total_credits`` …) in the page's words."""
    group, _, which = name.partition(".")
    if group == "per_kind":
        return Markup.escape(tr("按成果类型：", "per outcome kind: ") + label(which, "OutcomeKind"))
    if group == "per_category":
        return Markup.escape(tr("按课程类别：", "per course category: ")) + written(which)
    return Markup.escape(label(name, "CapName"))


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
