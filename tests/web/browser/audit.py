"""What every page is checked for: axe-core's accessibility rules and internal codes in its text.

axe-core is the npm package pinned in tests/web/browser/package.json (``scripts/test``
installs it); it is injected into the page under test and run there. The internal codes are
read from the code itself (every closed vocabulary, the verification checks' names, the
problem types, the policies' rule ids), so a new status or kind is checked the day it exists.
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import creditbank
from creditbank import errors, labels
from creditbank.transcripts.check_texts import CHECK_NAMES

ROOT = Path(__file__).resolve().parents[3]
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def require_axe() -> None:
    """Skip, saying why, where axe-core is not installed."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed: scripts/test runs npm ci in tests/web/browser")


def run_axe(page: Any) -> list[dict[str, Any]]:
    """The violations axe-core finds on the page as it stands, of every impact."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
        }"""
    )
    return list(result)


# The text a reader meets: visible text nodes and the attributes read aloud or shown, less
# fragments marked as written in another language than the page's (a Chinese title on an
# English page carries lang="zh-CN", and is not the page's text), what was typed into a form
# (a textarea's content), and what is marked up as code on purpose (<code>, <kbd>, <samp>: a
# file's column names and values on the upload page, key ids), which a reader is to copy as is.
_VISIBLE_TEXT = """() => {
    const pageLang = (document.documentElement.lang || '').slice(0, 2);
    const foreign = (el) => {
        const marked = el.closest('[lang]');
        return marked && marked.lang.slice(0, 2) !== pageLang;
    };
    const shown = (el) => el.tagName === 'OPTION' || el.tagName === 'OPTGROUP'
        ? (el.closest('select') || el).checkVisibility()
        : el.checkVisibility();
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const el = node.parentElement;
        if (!el || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEXTAREA'].includes(el.tagName)) continue;
        if (el.closest('code, kbd, samp')) continue;
        if (!node.textContent.trim() || foreign(el) || !shown(el)) continue;
        out.push(node.textContent.trim());
    }
    const named = '[aria-label], [title], [alt], [placeholder], optgroup[label]';
    for (const el of document.body.querySelectorAll(named)) {
        if (foreign(el)) continue;
        for (const name of ['aria-label', 'title', 'alt', 'placeholder', 'label']) {
            const value = el.getAttribute(name);
            if (value && !(name === 'label' && el.tagName !== 'OPTGROUP')) out.push(value);
        }
    }
    out.push(document.title);
    return out.join('\\n');
}"""


@dataclass(frozen=True)
class Code:
    """An internal code, and where it came from (for the failure message)."""

    text: str
    source: str


def _modules() -> None:
    """Import every creditbank module, so every vocabulary is defined."""
    for found in pkgutil.walk_packages(creditbank.__path__, "creditbank."):
        if ".migrations" in found.name or found.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(found.name)
        except ImportError:  # pragma: no cover - an optional extra's module
            continue


def _subclasses(root: type) -> list[type]:
    found: list[type] = []
    for sub in root.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def enums() -> list[type[enum.StrEnum]]:
    """Every closed vocabulary (StrEnum) the code defines."""
    _modules()
    return [
        e
        for e in _subclasses(enum.StrEnum)
        if e.__module__.startswith("creditbank.") and len(e) > 0
    ]


@cache
def internal_codes() -> tuple[Code, ...]:
    """The codes no reader should meet untranslated, taken from the code itself."""
    codes: dict[str, Code] = {}

    def add(text: str, source: str) -> None:
        # Codes written in Chinese (a policy's course categories) are words already.
        if text and text.isascii():
            codes.setdefault(text, Code(text, source))

    for vocabulary in enums():
        for member in vocabulary:
            add(str(member), f"{vocabulary.__module__}.{vocabulary.__name__}")
    for vocabulary_name, entries in labels.CATALOGUE.items():
        for code in entries:
            add(code, f"creditbank.labels.CATALOGUE[{vocabulary_name!r}]")
    for name in CHECK_NAMES:
        add(name, "creditbank.transcripts.check_texts.CHECK_NAMES")
    for problem in [errors.CreditbankError, *_subclasses(errors.CreditbankError)]:
        add(getattr(problem, "slug", ""), f"creditbank.errors.{problem.__name__}")
    for policy in sorted((ROOT / "policies").glob("*.toml")):
        if policy.name.endswith(".cases.toml"):
            continue
        for rule in tomllib.loads(policy.read_text(encoding="utf-8")).get("rules", []):
            add(str(rule.get("id", "")), f"policies/{policy.name}")
    return tuple(codes.values())


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


WEB = ROOT / "creditbank" / "web"
_TR = re.compile(r"""\btr\(\s*(["'])(?:(?!\1).)*\1\s*,\s*(["'])((?:(?!\2).)*)\2""", re.S)


@cache
def _english_words() -> frozenset[str]:
    """The words the English pages are written with: a code spelled like one reads as English.

    They are the words of every English label and every English text of the web pages (the
    second half of each ``tr(zh, en)``, and the templates' English-only passages), none of
    which is pinyin: so ``active`` on an English page is a word, ``gaozhi`` a code shown raw.
    """
    words: set[str] = set()
    for _, en in labels.all_labels():
        words |= _words(en)
    for _, en in CHECK_NAMES.values():
        words |= _words(en)
    for source in [*WEB.rglob("*.py"), *WEB.rglob("*.html")]:
        text = source.read_text(encoding="utf-8")
        for match in _TR.finditer(text):
            words |= _words(match.group(3))
        for passage in re.findall(r"\{% if lang == .en. %\}(.*?)\{% else %\}", text, re.S):
            words |= _words(re.sub(r"\{\{.*?\}\}|<[^>]*>", " ", passage))
    return frozenset(words)


def looks_internal(code: str, lang: str) -> bool:
    """Whether ``code`` on a page in ``lang`` can only be a code shown raw.

    A code with ``_``, ``.``, ``-`` or a digit never reads as a word. A plain word (``active``,
    ``gaozhi``) is out of place on a Chinese page; on an English page only when it is no word
    of any English label (pinyin such as ``zhongji``).
    """
    if re.search(r"[_.\-0-9]", code):
        return True
    if lang == "zh":
        return True
    return not (_words(code) <= _english_words())


def codes_in(text: str, lang: str) -> list[str]:
    """The internal codes that stand as whole tokens in ``text``, each with where it stands."""
    found = []
    for code in internal_codes():
        if not looks_internal(code.text, lang):
            continue
        pattern = rf"(?<![A-Za-z0-9_.\-]){re.escape(code.text)}(?![A-Za-z0-9_\-]|\.[A-Za-z0-9])"
        if code.source.startswith("policies/"):
            # A rule id is a policy's own numbering: shown named as a rule, not bare.
            pattern = "(?<!规则 )(?<!rule )" + pattern
        match = re.search(pattern, text, flags=re.IGNORECASE if " " in code.text else 0)
        if match:
            around = text[max(0, match.start() - 30) : match.end() + 30].replace("\n", " ⏎ ")
            found.append(f"{code.text} ({code.source}) in «{around}»")
    return found


def unmarked_chinese(page: Any) -> list[str]:
    """On an English page, the Chinese text that carries no ``lang`` saying it is Chinese."""
    return list(
        page.evaluate(
            """() => {
            if (!document.documentElement.lang.startsWith('en')) return [];
            const out = [];
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const el = node.parentElement;
                if (!el || !/[\u3400-\u9fff]/.test(node.textContent)) continue;
                if (['SCRIPT', 'STYLE', 'TEXTAREA'].includes(el.tagName)) continue;
                const marked = el.closest('[lang]');
                if (marked && marked.lang.startsWith('zh')) continue;
                if (el.tagName !== 'OPTION' && !el.checkVisibility()) continue;
                out.push(node.textContent.trim().slice(0, 40));
            }
            return out;
        }"""
        )
    )


def visible_text(page: Any) -> str:
    """The page's own-language text, as a reader meets it."""
    return str(page.evaluate(_VISIBLE_TEXT))
