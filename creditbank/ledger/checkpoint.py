"""C2SP transparency-log checkpoints (https://c2sp.org/tlog-checkpoint) as signed notes.

The body is the origin line, the decimal tree size, the base64 root hash and optional
extension lines, each ending in a newline. The log signs it with a key named after the origin.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass

from creditbank.errors import NoteError
from creditbank.ledger.note import NoteSigner, NoteVerifier, check_text, open_note, sign_note
from creditbank.numerals import natural

HASH_SIZE = 32
MAX_SIZE = 2**64 - 1


def _line_problem(line: str, problem: str) -> str | None:
    """Return why ``line`` cannot be a checkpoint line, or None."""
    if "\n" in line:
        return f"{problem} contains a newline"
    if line == "":
        return f"{problem} is empty"
    return None


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: origin, tree size, RFC 9162 root hash and extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problem = _line_problem(self.origin, "origin")
        if problem is not None:
            raise NoteError(problem)
        if not 0 <= self.size <= MAX_SIZE:
            raise NoteError(f"tree size {self.size} is out of range")
        if len(self.root_hash) != HASH_SIZE:
            raise NoteError(f"root hash must be {HASH_SIZE} bytes, got {len(self.root_hash)}")
        for number, extension in enumerate(self.extensions, 1):
            problem = _line_problem(extension, f"extension line {number}")
            if problem is not None:
                raise NoteError(problem)

    def to_text(self) -> str:
        """Return the checkpoint body (the note text), each line ending in a newline."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode("ascii")]
        lines.extend(self.extensions)
        return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint body strictly; NoteError names the line that is wrong."""
    check_text(text)
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError(
            f"checkpoint has {len(lines)} lines; it needs origin, tree size and root hash"
        )
    origin, size_line, root_line, *extensions = lines
    if origin == "":
        raise NoteError("checkpoint line 1 (origin) is empty")
    size = natural(size_line, high=MAX_SIZE)
    if size is None:
        raise NoteError(
            f"checkpoint line 2 (tree size) {size_line[:40]!r} is not a decimal number of "
            "64 bits without sign, spaces or leading zeros"
        )
    root_hash = _parse_root(root_line)
    for number, extension in enumerate(extensions, 4):
        if extension == "":
            raise NoteError(f"checkpoint line {number} (extension) is empty")
    return Checkpoint(origin, size, root_hash, tuple(extensions))


def _parse_root(line: str) -> bytes:
    where = "checkpoint line 3 (root hash)"
    try:
        raw = base64.b64decode(line.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise NoteError(f"{where} is not valid base64") from None
    if base64.b64encode(raw).decode("ascii") != line:
        raise NoteError(f"{where} is not canonical base64")
    if len(raw) != HASH_SIZE:
        raise NoteError(f"{where} decodes to {len(raw)} bytes, not {HASH_SIZE}")
    return raw


def sign_checkpoint(checkpoint: Checkpoint, signers: Sequence[NoteSigner]) -> str:
    """Return the checkpoint as a signed note; one signer must be named after the origin."""
    if not any(signer.name == checkpoint.origin for signer in signers):
        raise NoteError(f"no signing key is named after the origin {checkpoint.origin!r}")
    return sign_note(checkpoint.to_text(), signers)


def open_checkpoint(
    signed: str, verifiers: Sequence[NoteVerifier], origin: str | None = None
) -> tuple[Checkpoint, tuple[NoteVerifier, ...]]:
    """Verify a signed checkpoint; return it and the verifiers whose signatures verified.

    It must carry a verified signature by a key named after its origin, and that origin must
    be ``origin`` when one is given.
    """
    note, verified = open_note(signed, verifiers)
    checkpoint = parse_checkpoint(note.text)
    if origin is not None and checkpoint.origin != origin:
        raise NoteError(f"checkpoint origin {checkpoint.origin!r} is not {origin!r}")
    if not any(verifier.name == checkpoint.origin for verifier in verified):
        raise NoteError(
            f"no verified signature by a key named after the origin {checkpoint.origin!r}"
        )
    return checkpoint, verified
