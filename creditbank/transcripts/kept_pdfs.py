"""A transcript's PDF is rendered once and kept, sealed, in an owner-only folder.

Rendering embeds a CJK font subset and a QR code and takes a large share of a second; doing
it on every download let one signed-in learner keep a worker busy at will. The transcript
never changes once issued, so its PDF (per language) is kept after the first rendering:
sealed with the personal-data keys (it names the learner) and bound to the transcript and
language, so a file moved or altered is refused and rendered afresh.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path

from creditbank.identity.sealing import FieldSealer, SealError
from creditbank.storage.private_files import make_private_directory, write_new_private

_SAFE = re.compile(r"^[A-Za-z0-9-]{1,64}$")


class KeptPdfs:
    """The folder of rendered transcripts: ``<id>.<language>.sealed``."""

    def __init__(self, folder: Path, sealer: FieldSealer) -> None:
        self.folder = folder
        self.sealer = sealer

    def _path(self, transcript_id: str, language: str) -> Path:
        if not (_SAFE.match(transcript_id) and _SAFE.match(language)):
            raise ValueError("a transcript id and a language are plain names")
        return self.folder / f"{transcript_id}.{language}.sealed"

    @staticmethod
    def _context(transcript_id: str, language: str) -> str:
        return f"transcript-pdf:{transcript_id}:{language}"

    def get(self, transcript_id: str, language: str) -> bytes | None:
        """The kept PDF, or None when there is none (or it does not open)."""
        path = self._path(transcript_id, language)
        try:
            token = path.read_text(encoding="ascii")
            opened = self.sealer.open(token, context=self._context(transcript_id, language))
        except (OSError, UnicodeDecodeError, SealError):
            return None
        return base64.b64decode(opened)

    def keep(self, transcript_id: str, language: str, pdf: bytes) -> None:
        """Seal ``pdf`` and store it (atomically: a reader sees the old file or the new)."""
        path = self._path(transcript_id, language)
        make_private_directory(self.folder)
        token = self.sealer.seal(
            base64.b64encode(pdf).decode("ascii"), context=self._context(transcript_id, language)
        )
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        write_new_private(temporary, token.encode("ascii"))
        try:
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()

    def forget(self, transcript_ids: list[str]) -> None:
        """Delete the kept PDFs of ``transcript_ids`` (every language): their learner was erased."""
        if not self.folder.is_dir():
            return
        wanted = {transcript_id for transcript_id in transcript_ids if _SAFE.match(transcript_id)}
        for path in self.folder.iterdir():
            if path.name.split(".", 1)[0] in wanted and path.name.endswith(".sealed"):
                path.unlink(missing_ok=True)

    def render_once(self, transcript_id: str, language: str, render: Callable[[], bytes]) -> bytes:
        """The kept PDF, rendering and keeping it the first time."""
        kept = self.get(transcript_id, language)
        if kept is not None:
            return kept
        pdf = render()
        self.keep(transcript_id, language, pdf)
        return pdf
