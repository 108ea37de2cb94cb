"""Small builders shared by the ledger tests."""

from __future__ import annotations

from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.sequencer import NewEntry


def entries(count: int, *, start: int = 0, actor: str = "institution:CQ001") -> list[NewEntry]:
    """``count`` record entries with distinct payloads."""
    return [
        NewEntry(
            kind=EntryKind.RECORD_POSTED,
            actor=actor,
            payload={"record": f"r-{start + i}", "credits": (start + i) % 7, "title": "机械制图"},
        )
        for i in range(count)
    ]
