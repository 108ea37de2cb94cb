"""The Chinese typeface embedded in every transcript, and the characters it can draw.

Noto Sans SC (SIL Open Font License 1.1, covering GB 18030's Chinese, Latin and the punctuation
both need) comes from the ``pylopdf-fonts-zh-cn`` package, installed with creditbank: nothing is
read from the system or fetched at run time, and fpdf2 embeds only the glyphs a document uses
(a subset), so a PDF stays small. One face only: each face costs about a second to load and
subset per document, and size and colour set the headings apart well enough.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import pylopdf_fonts_zh_cn
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import TTFFont

SANS = "NotoSansSC"

# U+3013 GETA MARK: the mark Chinese and Japanese typesetting has long put where the type lacks a
# character. A rare character (e.g. CJK Extension B's 𠀀) prints as 〓 instead of an empty box.
MISSING = "\u3013"


def register(pdf: FPDF) -> None:
    """Make the face available to ``pdf`` under the name :data:`SANS`."""
    pdf.add_font(SANS, fname=str(pylopdf_fonts_zh_cn.sans_path()))
    # fpdf2 saves the subset with fontTools, which by default redraws every kept glyph to
    # recompute bounding boxes (about a tenth of a document's time). The whole face's boxes
    # still bound the subset's, and fpdf2 builds the PDF's font descriptor from them anyway;
    # pages render pixel for pixel the same.
    face = pdf.fonts[SANS.lower()]
    if isinstance(face, TTFFont):
        face.ttfont.recalcBBoxes = False


@cache
def coverage() -> frozenset[int]:
    """Code points the face draws (read once per process from its cmap table)."""
    with TTFont(pylopdf_fonts_zh_cn.sans_path(), lazy=True) as font:
        return frozenset(font.getBestCmap())


def printable(text: str) -> str:
    """Return ``text`` with line breaks and controls as spaces and undrawable characters as 〓."""
    drawn = coverage()
    out = []
    for char in text:
        if unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"}:
            out.append(" ")
        elif char == " " or ord(char) in drawn:
            out.append(char)
        else:
            out.append(MISSING)
    return "".join(out)


def printable_lines(text: str) -> str:
    """Like :func:`printable`, keeping the line breaks of text laid out on several lines."""
    return "\n".join(printable(line) for line in text.split("\n"))
