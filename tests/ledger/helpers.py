"""Small builders shared by the ledger tests."""

from __future__ import annotations

from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.sequencer import NewEntry


def entries(count: int, *, start: int = 0, actor: str = "institution:CQ001") -> list[NewEntry]:
    """``count`` entries with distinct payloads.

    Of a kind no table mirrors: the audit compares record entries with their rows, and these
    exercise the log alone.
    """
    return [
        NewEntry(
            kind=EntryKind.INSTITUTION_UPDATED,
            actor=actor,
            payload={"record": f"r-{start + i}", "credits": (start + i) % 7, "title": "机械制图"},
        )
        for i in range(count)
    ]
