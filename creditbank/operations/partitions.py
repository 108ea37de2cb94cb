"""The partitions job: keep the log's PostgreSQL partitions ahead of the appends."""

from __future__ import annotations

from sqlalchemy import Engine

from creditbank.errors import LedgerError
from creditbank.ledger.partitions import ensure_ahead, room
from creditbank.storage.database import write_transaction


def make_ahead(engine: Engine) -> str | None:
    """Create the partitions missing up to two beyond the one being filled.

    Fails (so the run is an error on the operations page) when less than one whole
    partition of room is left afterwards: appends stop at the last partition's end.
    """
    with write_transaction(engine) as connection:
        made = ensure_ahead(connection)
        left = room(connection)
    if left is not None and left[0] < left[1]:
        indices, leaves = left
        raise LedgerError(
            f"the log's partitions hold only {indices} more entries (less than one partition "
            f"of {leaves}): appends will be refused past that"
        )
    if not made:
        return None
    return f"created {len(made)} partitions: {', '.join(made)}"
