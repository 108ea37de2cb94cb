"""The QR code pointing at the online verification page, drawn as vector squares."""

from __future__ import annotations

import segno
from fpdf import FPDF

# Quiet zone required around a QR code (ISO/IEC 18004), in modules.
QUIET_ZONE = 4


def modules(data: str) -> tuple[tuple[bool, ...], ...]:
    """The QR code's module grid for ``data`` (True is dark), without the quiet zone.

    Error correction M at least, raised by segno when the symbol has room, so a creased or
    stained printout still scans.
    """
    code = segno.make_qr(data, error="m", boost_error=True)
    return tuple(tuple(bool(module) for module in row) for row in code.matrix)


def draw(pdf: FPDF, data: str, *, x: float, y: float, size: float) -> None:
    """Draw the QR code for ``data`` as a ``size`` square (quiet zone included) at (x, y)."""
    grid = modules(data)
    count = len(grid) + 2 * QUIET_ZONE
    step = size / count
    with pdf.local_context(fill_color=(255, 255, 255)):
        pdf.rect(x, y, size, size, style="F")
    with pdf.local_context(fill_color=(0, 0, 0)):
        for row_number, row in enumerate(grid):
            top = y + (row_number + QUIET_ZONE) * step
            column = 0
            # One rectangle per run of dark modules keeps the page's content stream short.
            while column < len(row):
                if not row[column]:
                    column += 1
                    continue
                start = column
                while column < len(row) and row[column]:
                    column += 1
                left = x + (start + QUIET_ZONE) * step
                pdf.rect(left, top, (column - start) * step, step, style="F")
