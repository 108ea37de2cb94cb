"""The checkpoint job: sign a fresh checkpoint whenever the log has grown."""

from __future__ import annotations

from creditbank.ledger.service import Ledger
from creditbank.ledger.store import latest_checkpoint, read_head
from creditbank.storage.database import read_connection


def publish_if_grown(ledger: Ledger) -> str | None:
    """Publish a checkpoint of the committed tree if the latest one is smaller."""
    with read_connection(ledger.engine) as connection:
        size = read_head(connection).size
        latest = latest_checkpoint(connection)
    # A read is cheap; only take the sequencer lock when there is something to sign.
    if latest is not None and latest.size >= size:
        return None
    published = ledger.publish_checkpoint()
    return f"checkpoint #{published.id} at size {published.size}"
