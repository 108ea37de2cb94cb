"""Each learner's own data key: the key store, and sealing a learner's data under it.

Every learner gets a random AES-256-GCM data key when the first thing about them is written.
Their personal data is sealed under it: the name, document number and e-mail address, each
record's content, each transcript kept, and the openings of the log entries about them
(:mod:`creditbank.ledger.sealed_openings`). The key itself is kept in ``learner_key``, wrapped
under the instance's key-encryption key (``instance/keys/kek``), and that table is left out of
every backup (``info={"backup": False}``): destroying a learner's key on erasure makes their
data unreadable in the live database and in every backup taken before.

A value sealed under a data key reads ``k1.<nonce>.<ciphertext and tag>`` (base64url) with its
place as associated data, like the KEK-sealed ``v1.…`` values, which still open (data from
before migration 0019 until ``creditbank learners seal-data`` reseals it).
"""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from creditbank.clock import utc_now
from creditbank.errors import DataErased
from creditbank.identity.sealing import (
    KEY_SEAL_PREFIX,
    FieldSealer,
    SealError,
    open_with_key,
    seal_with_key,
)
from creditbank.learners.tables import LearnerKey
from creditbank.ledger.sealed_openings import installed_source
from creditbank.storage.database import among

key_t = LearnerKey.__table__  # type: ignore[attr-defined]
KEY_SIZE = 32
PREFIX = KEY_SEAL_PREFIX
_KEK_PREFIX = "v1."
_CACHE_LIMIT = 10_000


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _wrap_context(learner: str) -> str:
    return f"learner-key:{learner}"


class DataKeys:
    """The key store: create, find and destroy learners' data keys (installed on the engine)."""

    def __init__(self, sealer: FieldSealer) -> None:
        self.sealer = sealer
        self._unwrapped: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()

    def _unwrap(self, learner: str, wrapped: str) -> bytes:
        # The row is read every time; only the unwrapping of what it holds is remembered.
        with self._lock:
            found = self._unwrapped.get((learner, wrapped))
        if found is None:
            found = _unb64(self.sealer.open(wrapped, context=_wrap_context(learner)))
            with self._lock:
                if len(self._unwrapped) >= _CACHE_LIMIT:
                    self._unwrapped.clear()
                self._unwrapped[(learner, wrapped)] = found
        return found

    def keys_for(
        self, connection: Connection, learners: Collection[str], *, create: bool
    ) -> Mapping[str, bytes]:
        """Each learner's key; ``create`` makes one for a learner who never had one."""
        wanted = sorted(set(learners))
        keys: dict[str, bytes] = {}
        known: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = connection.execute(
                select(key_t.c.learner, key_t.c.wrapped).where(
                    among(connection, key_t.c.learner, chunk)
                )
            )
            for learner, wrapped in rows:
                known.add(learner)
                if wrapped is not None:
                    keys[learner] = self._unwrap(learner, wrapped)
        if create:
            fresh = [learner for learner in wanted if learner not in known]
            if fresh:
                self._create(connection, fresh)
                # Another writer may have made one first: whichever row stands is the key.
                keys.update(self.keys_for(connection, fresh, create=False))
        return keys

    def _create(self, connection: Connection, learners: list[str]) -> None:
        now = utc_now()
        rows = [
            {
                "learner": learner,
                "wrapped": self.sealer.seal(
                    _b64(os.urandom(KEY_SIZE)), context=_wrap_context(learner)
                ),
                "created_at": now,
                "destroyed_at": None,
            }
            for learner in learners
        ]
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        connection.execute(dialect.insert(key_t).on_conflict_do_nothing(), rows)

    def destroy(self, connection: Connection, learner: str, *, now: datetime) -> bool:
        """Destroy ``learner``'s key (a tombstone row stays); return whether there was one."""
        done = connection.execute(
            update(key_t)
            .where(key_t.c.learner == learner, key_t.c.wrapped.is_not(None))
            .values(wrapped=None, destroyed_at=now)
        ).rowcount
        if not done:
            # Never had one (nothing sealed yet): the tombstone still refuses a new key.
            exists = connection.execute(
                select(key_t.c.learner).where(key_t.c.learner == learner)
            ).first()
            if exists is None:
                connection.execute(
                    insert(key_t).values(
                        learner=learner, wrapped=None, created_at=now, destroyed_at=now
                    )
                )
        with self._lock:
            for cached in [k for k in self._unwrapped if k[0] == learner]:
                del self._unwrapped[cached]
        return bool(done)

    def destroyed_at(self, connection: Connection, learner: str) -> datetime | None:
        """When ``learner``'s key was destroyed, or None."""
        return connection.execute(
            select(key_t.c.destroyed_at).where(key_t.c.learner == learner)
        ).scalar_one_or_none()


class Vault:
    """Seals and opens one transaction's learner data, remembering each learner's key."""

    def __init__(self, keys: DataKeys, connection: Connection) -> None:
        self.keys = keys
        self.connection = connection
        self._memo: dict[str, bytes | None] = {}

    def key(self, learner: str, *, create: bool = False) -> bytes | None:
        """The learner's key (made when ``create`` and missing), None once destroyed."""
        if learner not in self._memo or (create and self._memo[learner] is None):
            found = self.keys.keys_for(self.connection, [learner], create=create)
            self._memo[learner] = found.get(learner)
        return self._memo[learner]

    def prefetch(self, learners: Collection[str], *, create: bool = False) -> None:
        """Read many learners' keys in one query (a cohort, the dashboard).

        ``create`` makes the missing ones too, all at once (accounts opened in a batch).
        """
        missing = [
            learner
            for learner in set(learners)
            if learner not in self._memo or (create and self._memo[learner] is None)
        ]
        if missing:
            found = self.keys.keys_for(self.connection, missing, create=create)
            self._memo.update({learner: found.get(learner) for learner in missing})

    def known_keys(self) -> dict[str, bytes]:
        """The keys read (or made) so far in this transaction, by learner."""
        return {learner: key for learner, key in self._memo.items() if key is not None}

    def seal(self, learner: str, plaintext: str, *, context: str) -> str:
        """Seal ``plaintext`` under ``learner``'s key, bound to ``context``."""
        key = self.key(learner, create=True)
        if key is None:
            raise DataErased("this learner's data was erased: nothing more can be kept")
        return seal_with_key(key, plaintext, context=context)

    def open(self, learner: str, token: str, *, context: str) -> str:
        """Open a value sealed under the learner's key (or, from before, under the KEK).

        A value stored in clear before migration 0019 (a record's JSON) comes back as it is.
        DataErased when the learner's key was destroyed.
        """
        if token.startswith(_KEK_PREFIX):
            return self.keys.sealer.open(token, context=context)
        if not token.startswith(PREFIX):
            return token
        key = self.key(learner)
        if key is None:
            raise DataErased("this learner's data was erased")
        return open_with_key(key, token, context=context)

    def readable(self, learner: str) -> bool:
        """Whether the learner's data can still be opened."""
        return self.key(learner) is not None


def vault(connection: Connection) -> Vault:
    """A vault over the key store installed on this connection's engine."""
    source = installed_source(connection)
    if not isinstance(source, DataKeys):
        raise SealError("no learner key store is installed on this database engine")
    return Vault(source, connection)
