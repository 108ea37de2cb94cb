"""The records table: cells wrapped once, rows kept whole, the header repeated on every page.

fpdf2's own table lays out each cell twice through its general line breaker, which took seconds
for 200 records; a transcript's cells are short plain text, so this module wraps them itself
(between Chinese characters, at spaces, never before closing punctuation) and draws each line
with one text operator.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from fpdf import FPDF

MM_PER_PT = 25.4 / 72

# A line must not start with closing punctuation (the simple form of Chinese line-breaking rules).
_NO_LINE_START = frozenset("，。、；：？！）》」』】〕…—,.;:?!)]}%·")
# Runs that break only where they contain a space: Latin words, numbers, codes.
_TOKEN = re.compile(r"\s+|[!-~\u00a0-\u02ff\u2010-\u2027]+|.", re.DOTALL)


def wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` (a word wider than that is split).

    Explicit line breaks are kept; an empty text gives one empty line.
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_wrap_paragraph(paragraph, width, measure))
    return lines


def _wrap_paragraph(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text):
        if token.isspace():
            if line:
                line += " "
            continue
        candidate = line + token
        if measure(candidate.rstrip()) <= width or (token in _NO_LINE_START and line):
            line = candidate
            continue
        if line.strip():
            lines.append(line.rstrip())
            line = ""
        # A token wider than the column on its own is split between characters.
        for char in token:
            if line and measure(line + char) > width and char not in _NO_LINE_START:
                lines.append(line)
                line = ""
            line += char
    lines.append(line.rstrip())
    return lines


@dataclass(frozen=True)
class Style:
    """How the table looks: sizes in mm and points, colours as RGB."""

    font: str
    size_pt: float
    line_height: float
    padding: float
    ink: tuple[int, int, int]
    rule: tuple[int, int, int]
    head_fill: tuple[int, int, int]
    stripe_fill: tuple[int, int, int]


class Table:
    """A table drawn row by row at the left margin; :meth:`row` starts a new page when needed."""

    def __init__(
        self,
        pdf: FPDF,
        widths: Sequence[float],
        heading: Sequence[str],
        style: Style,
        *,
        right_aligned: frozenset[int] = frozenset(),
    ) -> None:
        self.pdf = pdf
        self.widths = tuple(widths)
        self.heading = tuple(heading)
        self.style = style
        self.right_aligned = right_aligned
        self.rows_drawn = 0
        pdf.set_font(style.font, size=style.size_pt)
        # Widths of single characters, measured once: cells are wrapped char by char.
        self._measure = _measurer(pdf)
        self._head()

    def row(
        self,
        cells: Sequence[str],
        *,
        spans: Sequence[int] | None = None,
        right: frozenset[int] = frozenset(),
    ) -> None:
        """Draw one row; ``spans`` (default all 1) lets a cell cover several columns.

        Cells in right-aligned columns, and the cells whose positions are in ``right``, align
        right.
        """
        spans = tuple(spans) if spans is not None else (1,) * len(cells)
        widths = self._span_widths(spans)
        wrapped = self._wrap(cells, widths)
        height = self._height(wrapped)
        if self.pdf.get_y() + height > self.pdf.page_break_trigger:
            self.pdf.add_page()
            self._head()
        fill = self.style.stripe_fill if self.rows_drawn % 2 else None
        self._draw(wrapped, widths, spans, height, fill=fill, right=right)
        self.rows_drawn += 1

    # -- drawing ----------------------------------------------------------------------------

    def _head(self) -> None:
        widths = self.widths
        wrapped = self._wrap(self.heading, widths)
        height = self._height(wrapped)
        self._draw(wrapped, widths, (1,) * len(widths), height, fill=self.style.head_fill)

    def _draw(
        self,
        wrapped: Sequence[list[str]],
        widths: Sequence[float],
        spans: Sequence[int],
        height: float,
        *,
        fill: tuple[int, int, int] | None,
        right: frozenset[int] = frozenset(),
    ) -> None:
        pdf, style = self.pdf, self.style
        x0, y0 = pdf.l_margin, pdf.get_y()
        total = sum(self.widths)
        pdf.set_font(style.font, size=style.size_pt)
        pdf.set_text_color(*style.ink)
        if fill is not None:
            with pdf.local_context(fill_color=fill):
                pdf.rect(x0, y0, total, height, style="F")
        # Centre the em box in the line box; Noto Sans SC's ascender is 0.88 em.
        em = style.size_pt * MM_PER_PT
        baseline = (style.line_height - em) / 2 + 0.88 * em
        x = x0
        column = 0
        for position, (lines, width, span) in enumerate(zip(wrapped, widths, spans, strict=True)):
            block = len(lines) * style.line_height
            top = y0 + (height - block) / 2  # vertically centred
            align_right = position in right or (span == 1 and column in self.right_aligned)
            for number, line in enumerate(lines):
                if not line:
                    continue
                left = x + style.padding
                if align_right:
                    left = x + width - style.padding - self._measure(line)
                pdf.text(left, top + number * style.line_height + baseline, line)
            x += width
            column += span
        with pdf.local_context(draw_color=style.rule, line_width=0.15):
            pdf.line(x0, y0 + height, x0 + total, y0 + height)
        pdf.set_xy(x0, y0 + height)

    # -- measuring --------------------------------------------------------------------------

    def _span_widths(self, spans: Sequence[int]) -> tuple[float, ...]:
        out = []
        column = 0
        for span in spans:
            out.append(sum(self.widths[column : column + span]))
            column += span
        if column != len(self.widths):
            raise ValueError(f"row spans {column} columns, the table has {len(self.widths)}")
        return tuple(out)

    def _wrap(self, cells: Sequence[str], widths: Sequence[float]) -> list[list[str]]:
        inner = [width - 2 * self.style.padding for width in widths]
        return [wrap(cell, room, self._measure) for cell, room in zip(cells, inner, strict=True)]

    def _height(self, wrapped: Sequence[list[str]]) -> float:
        lines = max(len(cell) for cell in wrapped)
        return lines * self.style.line_height + 2 * self.style.padding


def _measurer(pdf: FPDF) -> Callable[[str], float]:
    """Width in mm of a string in the current font, summed from cached per-character widths."""

    @cache
    def char_width(char: str) -> float:
        return pdf.get_string_width(char)

    def measure(text: str) -> float:
        return sum(char_width(char) for char in text)

    return measure
