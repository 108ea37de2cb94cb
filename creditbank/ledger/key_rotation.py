"""Key rotation statements: the log's old key vouches for its new one, in a signed note.

When the log rotates its key it signs a statement naming the old and the new verifier key,
with both: the old key's signature says the log itself chose the new key, the new key's says
whoever holds it agreed (so nobody can be made to vouch for a key they do not hold). A
witness or mirror that trusts the old key can then trust the new one without being told by
hand, before the old key is retired; one that trusts neither learns nothing from it.

The statement's text, each line ending in a newline::

    creditbank key rotation v1
    <origin>
    old <verifier key>
    new <verifier key>
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from creditbank.errors import NoteError
from creditbank.ledger.note import (
    NoteSigner,
    NoteVerifier,
    open_note,
    parse_note,
    parse_verifier_key,
    sign_note,
)

HEADER = "creditbank key rotation v1"


@dataclass(frozen=True)
class KeyRotation:
    """The log of ``origin`` replaced (or added to) its key ``old`` with ``new``."""

    origin: str
    old: NoteVerifier
    new: NoteVerifier

    def to_text(self) -> str:
        """The statement's text (the part that is signed)."""
        lines = [
            HEADER,
            self.origin,
            f"old {self.old.verifier_key()}",
            f"new {self.new.verifier_key()}",
        ]
        return "".join(line + "\n" for line in lines)


def rotation_statement(origin: str, old: NoteSigner, new: NoteSigner) -> str:
    """The signed statement that ``new`` follows ``old`` as the key of ``origin``."""
    rotation = KeyRotation(origin, old.verifier, new.verifier)
    return sign_note(rotation.to_text(), [old, new])


def parse_rotation(text: str) -> KeyRotation:
    """Read a statement's text strictly; NoteError says which line is wrong."""
    if not text.endswith("\n"):
        raise NoteError("a key rotation statement ends with a newline")
    lines = text[:-1].split("\n")
    if len(lines) != 4 or lines[0] != HEADER:
        raise NoteError(f"not a key rotation statement (its first line is not {HEADER!r})")
    origin, old_line, new_line = lines[1:]
    keys = []
    for line, label in ((old_line, "old"), (new_line, "new")):
        prefix = f"{label} "
        if not line.startswith(prefix):
            raise NoteError(f"key rotation line {label!r} is missing")
        key = parse_verifier_key(line[len(prefix) :])
        if key.name != origin:
            raise NoteError(f"the {label} key {key.label} is not named after {origin!r}")
        keys.append(key)
    return KeyRotation(origin, keys[0], keys[1])


def follow_rotation(statement: str, trusted: Sequence[NoteVerifier], origin: str) -> NoteVerifier:
    """The new key a statement introduces, if a ``trusted`` key of ``origin`` made it.

    The statement must name ``origin``, its old key must be one of ``trusted`` (the very same
    public key), and both the old and the new key must have signed it; NoteError otherwise.
    """
    rotation = parse_rotation(parse_note(statement).text)
    if rotation.origin != origin:
        raise NoteError(f"the statement is about {rotation.origin!r}, not {origin!r}")
    if rotation.old.key_id == rotation.new.key_id:
        raise NoteError("the statement's old and new keys are the same key")
    if rotation.old.verifier_key() not in {key.verifier_key() for key in trusted}:
        raise NoteError(f"the statement's old key {rotation.old.label} is not a trusted key")
    _, verified = open_note(statement, [rotation.old, rotation.new])
    signed_by = {verifier.key_id for verifier in verified}
    for key, role in ((rotation.old, "old"), (rotation.new, "new")):
        if key.key_id not in signed_by:
            raise NoteError(f"the statement is not signed by its {role} key {key.label}")
    return rotation.new
