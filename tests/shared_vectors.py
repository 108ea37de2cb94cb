"""Where the standard test vectors live: ``../shared``, next to the repository root.

They are read in place, never copied into the repository. When the directory is absent the
tests that need it skip with :data:`SHARED_ABSENT`; they never pass without looking.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_ABSENT = "../shared is absent: standard vectors not available"


def shared_dir() -> Path:
    """Return ``../shared`` relative to the repository root (this file is ``<root>/tests/…``)."""
    return Path(__file__).resolve().parents[1].parent / "shared"


requires_shared = pytest.mark.skipif(not shared_dir().is_dir(), reason=SHARED_ABSENT)


def vector_params(base: str, sub: str) -> list[object]:
    """Return one param per JSON file under ``shared/<base>/<sub>``, its id relative to ``base``.

    Without ``../shared`` this is a single skipped param carrying the reason, so collection
    works and the report says why nothing ran.
    """
    root = shared_dir() / base
    if not shared_dir().is_dir():
        return [
            pytest.param(None, id=f"{sub}-absent", marks=pytest.mark.skip(reason=SHARED_ABSENT))
        ]
    return [
        pytest.param(path, id=path.relative_to(root).as_posix())
        for path in sorted((root / sub).rglob("*.json"))
    ]
