"""The web interface's window onto the transcripts service, which may not be installed yet.

Pages ask :func:`available` and show a clear "not available" state when the service is
missing; they never make up a transcript or a verdict.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

_SERVICE = Path(__file__).resolve().parents[1] / "transcripts" / "service.py"


def service_module() -> ModuleType | None:
    """The transcripts service module, or None when this build has none."""
    if not _SERVICE.is_file():
        return None
    return importlib.import_module("creditbank.transcripts.service")


def available() -> bool:
    """True when transcripts can be issued, listed, revoked and verified here."""
    return service_module() is not None
