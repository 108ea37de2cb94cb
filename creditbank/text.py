"""The one policy for text people type: names, labels, titles, reasons.

Text that reaches storage is shown again on pages, in transcripts, in CSV exports and in the
public log, so it must read the same everywhere and be encodable everywhere:

- it is normalised to Unicode NFC (a name typed with combining marks equals the precomposed
  one, so lookups and hashes agree);
- it holds no lone surrogates (they cannot be encoded as UTF-8: storing one makes the row
  unreadable), no control characters (NUL, line breaks: every field is one line), and
  no bidirectional overrides or isolates (U+202A-U+202E, U+2066-U+2069), which make a name
  or a reason display as something other than what it is;
- names also hold no zero-width characters (U+200B-U+200D, U+2060, U+FEFF), with which two
  names that look the same differ;
- it is not blank, and at most ``max_length`` characters once normalised.

Edges call :meth:`TextPolicy.clean` (normalise, then check); the core calls
:meth:`TextPolicy.problem` on values that should already be clean.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_SURROGATE = re.compile("[\ud800-\udfff]")
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
_ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff]")
# C0, DEL and C1 controls and the Unicode line and paragraph separators: every field is one
# line (the forms have no multi-line text, and a line break would forge a line in CSV exports).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class TextRefused(ValueError):
    """A text value breaks the policy; the message is the reason, in a phrase."""


@dataclass(frozen=True)
class TextPolicy:
    """What one kind of text may hold."""

    max_length: int
    name: bool = False  # a name: zero-width characters refused too

    def problem(self, value: object) -> str | None:
        """Why ``value`` breaks the policy, or None (normalisation is not checked)."""
        if not isinstance(value, str):
            return "must be text"
        if _SURROGATE.search(value):
            return "must not contain unpaired surrogates"
        if _CONTROL.search(value):
            return "must not contain control characters or line breaks"
        if _BIDI_CONTROL.search(value):
            return "must not contain bidirectional override or isolate characters"
        if self.name and _ZERO_WIDTH.search(value):
            return "must not contain zero-width characters"
        if not _visible(value):
            return "must not be empty or blank"
        if len(value) > self.max_length:
            return f"at most {self.max_length} characters"
        return None

    def clean(self, value: object) -> str:
        """``value`` in NFC, checked; TextRefused naming the reason otherwise."""
        if not isinstance(value, str):
            raise TextRefused("must be text")
        if _SURROGATE.search(value):  # before normalising: NFC keeps them, but say it first
            raise TextRefused("must not contain unpaired surrogates")
        normal = unicodedata.normalize("NFC", value)
        reason = self.problem(normal)
        if reason is not None:
            raise TextRefused(reason)
        return normal


def _visible(value: str) -> bool:
    # Blank means nothing but white space and invisible format characters (Cf).
    return any(not c.isspace() and unicodedata.category(c) != "Cf" for c in value)


# The policies in use. Lengths are the ones the schemas and tables already had.
PERSON_NAME = TextPolicy(100, name=True)
INSTITUTION_NAME = TextPolicy(200, name=True)
LABEL = TextPolicy(200)  # API key labels, regions: one line
REASON = TextPolicy(500)  # corrections, revocations, appeals, exceptions


def line_policy(max_length: int) -> TextPolicy:
    """A one-line text field of at most ``max_length`` characters (record titles, codes)."""
    return TextPolicy(max_length)
