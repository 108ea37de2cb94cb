"""What must follow a change to a record or a transfer, inside the change's own transaction.

Records and evaluations sit below transcripts: they do not know what was derived from them.
Their callers pass in what revokes it (transcripts pass their ``DependentTranscripts``), so the
change and its consequences commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from creditbank.ledger.service import LedgerTransaction


class RevokeDependents(Protocol):
    """What a change passes its transaction to, for what was derived from the changed item."""

    def __call__(
        self, tx: LedgerTransaction, item_id: str, /, *, reason: str, actor: str, now: datetime
    ) -> Sequence[str]:
        """Revoke, in ``tx``, whatever discloses ``item_id``; return the ids revoked."""
        ...
