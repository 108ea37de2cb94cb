"""Openings of entries about a learner, sealed under that learner's own data key.

An entry whose payload names a ``learner`` keeps its opening (salt and payload) in
``ledger_sealed_opening``, encrypted with AES-256-GCM under the learner's data key and bound to
its index and learner, instead of in clear in ``ledger_opening``. The keys are not the log's:
the service installs a :class:`DataKeySource` on its engine (the execution option
:data:`OPTION`), and the log asks it for keys by learner. Destroying a learner's key is the
erasure of every such opening, in the live database and in every backup alike; the entries,
tree and checkpoints never change. Without a source installed (the log's own tools and tests)
openings stay in clear, as before.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection

from creditbank.errors import LedgerError

OPTION = "creditbank_data_keys"
NONCE_SIZE = 12
_CONTEXT = b"creditbank/ledger-opening/v1"


class DataKeySource(Protocol):
    """Where the log finds each learner's data key (the learners' key store)."""

    def keys_for(
        self, connection: Connection, learners: Collection[str], *, create: bool
    ) -> Mapping[str, bytes]:
        """Return the key of each learner that has one; ``create`` makes missing ones.

        A learner whose key was destroyed (erased) has none, and ``create`` refuses them.
        """
        ...


def installed_source(connection: Connection) -> DataKeySource | None:
    """The key source the service installed on this connection's engine, if any."""
    source: Any = connection.get_execution_options().get(OPTION)
    return source  # type: ignore[no-any-return]


def subject_of(payload: Mapping[str, Any]) -> str | None:
    """The learner an entry's payload is about (its ``learner`` field), if any."""
    learner = payload.get("learner")
    return learner if isinstance(learner, str) and learner else None


class SealedOpeningAltered(LedgerError):
    """A sealed opening does not open under its learner's key: altered, or moved."""

    def __init__(self, index: int) -> None:
        super().__init__(f"the sealed opening of entry {index} does not open: altered or moved")
        self.index = index


def _associated(index: int, learner: str) -> bytes:
    return b"%s\n%d\n%s" % (_CONTEXT, index, learner.encode("ascii", "replace"))


def seal_opening(key: bytes, index: int, learner: str, salt: bytes, payload: bytes) -> bytes:
    """Encrypt ``salt ‖ payload`` for entry ``index`` about ``learner``: nonce ‖ ciphertext."""
    nonce = os.urandom(NONCE_SIZE)
    return nonce + AESGCM(key).encrypt(nonce, salt + payload, _associated(index, learner))


def open_sealed(
    key: bytes, index: int, learner: str, sealed: bytes, salt_size: int
) -> tuple[bytes, bytes]:
    """Return ``(salt, payload)`` of a sealed opening; LedgerError if it was altered or moved."""
    try:
        plain = AESGCM(key).decrypt(
            sealed[:NONCE_SIZE], sealed[NONCE_SIZE:], _associated(index, learner)
        )
    except InvalidTag:
        raise SealedOpeningAltered(index) from None
    return plain[:salt_size], plain[salt_size:]
