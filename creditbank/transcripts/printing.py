"""The printable PDF renderer, where this build has one (``creditbank.transcripts.pdf``)."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

PDF_MODULE = "creditbank.transcripts.pdf"


def pdf_renderer() -> Any:
    """The PDF renderer (``creditbank.transcripts.pdf``), or None where it is not installed."""
    if importlib.util.find_spec(PDF_MODULE) is None:
        return None
    return getattr(importlib.import_module(PDF_MODULE), "render_transcript_pdf", None)
