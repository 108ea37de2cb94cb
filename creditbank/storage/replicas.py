"""Reads that tolerate lag, spread over PostgreSQL streaming replicas; the primary otherwise.

A replica is *in use* while it answers and its lag is within the bound. Its lag is measured
against the primary, not against its own clock: every check reads the primary's WAL position
and each replica's replayed position, and a replica's lag is the time since the oldest
primary position it has not yet replayed was first seen. So a replica whose replay is paused,
or whose WAL receiver lost the primary, falls out of use once the bound passes, even while its
last replayed transaction looks recent; a replica that is merely idle with an idle primary is
never counted as lagging.

The positions also carry read-your-write: after a request that wrote, the caller keeps the
primary's position (:meth:`ReadPool.primary_position`) and asks for a replica that has
replayed past it (``after=``); when none has, the primary answers.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from creditbank.storage.database import create_db_engine, is_sqlite

# How long connecting to a replica may take before it counts as failed (seconds).
CONNECT_TIMEOUT = 2


def parse_lsn(value: str) -> int:
    """A PostgreSQL WAL position (``16/B374D848``) as one integer; ValueError if malformed."""
    high, sep, low = value.partition("/")
    if not sep or not high or not low or len(high) > 8 or len(low) > 8:
        raise ValueError(f"not a WAL position: {value!r}")
    return (int(high, 16) << 32) | int(low, 16)


def format_lsn(position: int) -> str:
    """The text form of a WAL position, as PostgreSQL writes it."""
    return f"{position >> 32:X}/{position & 0xFFFFFFFF:X}"


@dataclass(frozen=True)
class ReplicaStatus:
    """What the last check found about one replica."""

    name: str  # host:port/database, without credentials
    in_use: bool
    lag_seconds: float | None  # None when it could not be reached
    replayed: int | None  # its replayed WAL position
    problem: str | None  # why it is left out, if it is


@dataclass
class _Replica:
    engine: Engine
    name: str
    replayed: int | None = None
    lag: float | None = None
    problem: str | None = "not checked yet"

    @property
    def in_use(self) -> bool:
        return self.problem is None


class ReadPool:
    """The primary and its replicas, with which of them may answer a lag-tolerant read."""

    def __init__(
        self,
        primary: Engine,
        replicas: Sequence[Engine],
        *,
        max_lag_seconds: float = 5.0,
        check_every_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary = primary
        self.max_lag_seconds = max_lag_seconds
        self.check_every_seconds = check_every_seconds
        self._clock = clock
        self._replicas = [_Replica(engine, _name(engine)) for engine in replicas]
        # (first seen, primary position) of positions some replica has not replayed yet.
        self._seen: deque[tuple[float, int]] = deque()
        self._checked_at: float | None = None
        self._turn = 0
        self._lock = threading.Lock()
        self._checking = threading.Lock()
        # How many lag-tolerant reads each side answered (for tests and the benchmark).
        self.served = {"primary": 0, "replica": 0}

    @classmethod
    def from_urls(
        cls,
        primary: Engine,
        urls: Sequence[str],
        *,
        max_lag_seconds: float,
        check_every_seconds: float,
    ) -> ReadPool:
        """A pool over engines opened for ``urls`` (each connection read-only)."""
        engines = [
            create_db_engine(
                url,
                connect_args={"connect_timeout": CONNECT_TIMEOUT},
                execution_options={"postgresql_readonly": True},
            )
            for url in urls
        ]
        return cls(
            primary,
            engines,
            max_lag_seconds=max_lag_seconds,
            check_every_seconds=check_every_seconds,
        )

    @property
    def replica_engines(self) -> list[Engine]:
        """The replicas' engines (in use or not)."""
        return [replica.engine for replica in self._replicas]

    @property
    def has_replicas(self) -> bool:
        """Whether any replica is configured (in use or not)."""
        return bool(self._replicas)

    def dispose(self) -> None:
        """Close the replicas' connections (the primary's belong to its owner)."""
        for replica in self._replicas:
            replica.engine.dispose()

    # --- choosing -------------------------------------------------------------------------

    def choose(self, *, after: int | None = None) -> Engine:
        """A replica in use that has replayed ``after`` (round robin), else the primary."""
        if not self._replicas:
            return self.primary
        self._check_if_due()
        with self._lock:
            usable = [
                replica
                for replica in self._replicas
                if replica.in_use
                and (after is None or (replica.replayed is not None and replica.replayed >= after))
            ]
            if not usable:
                self.served["primary"] += 1
                return self.primary
            self._turn = (self._turn + 1) % len(usable)
            self.served["replica"] += 1
            return usable[self._turn].engine

    def handed_back(self) -> None:
        """Count a read a replica could not answer (not replicated yet) as the primary's."""
        with self._lock:
            self.served["replica"] -= 1
            self.served["primary"] += 1

    def failed(self, engine: Engine, problem: str) -> None:
        """Leave a replica out until a later check finds it answering again."""
        with self._lock:
            for replica in self._replicas:
                if replica.engine is engine:
                    replica.problem = problem
                    replica.lag = None

    def is_replica(self, engine: Engine) -> bool:
        """Whether ``engine`` is one of the replicas (not the primary)."""
        return any(replica.engine is engine for replica in self._replicas)

    # --- positions and checks ---------------------------------------------------------------

    def primary_position(self) -> int | None:
        """The primary's current WAL position (None on SQLite or without replicas)."""
        if not self._replicas or is_sqlite(self.primary):
            return None
        with self.primary.connect() as connection:
            value = connection.execute(text("SELECT pg_current_wal_lsn()::text")).scalar_one()
        return parse_lsn(str(value))

    def status(self) -> list[ReplicaStatus]:
        """Every replica as the latest check left it (checking first if one is due)."""
        self._check_if_due()
        with self._lock:
            return [
                ReplicaStatus(r.name, r.in_use, r.lag, r.replayed, r.problem)
                for r in self._replicas
            ]

    def _check_if_due(self) -> None:
        now = self._clock()
        due = self._checked_at is None or now - self._checked_at >= self.check_every_seconds
        # One thread checks; the others use the last result rather than wait for it.
        if due and self._checking.acquire(blocking=False):
            try:
                self.check()
            finally:
                self._checking.release()

    def check(self) -> None:
        """Read the primary's and every replica's position now and update who is in use."""
        now = self._clock()
        try:
            primary_at = self.primary_position()
        except SQLAlchemyError:
            primary_at = None  # the primary's own trouble is reported by its own reads
        replayed = {id(r): _replayed(r.engine) for r in self._replicas}
        with self._lock:
            self._checked_at = now
            if primary_at is not None and (not self._seen or self._seen[-1][1] < primary_at):
                self._seen.append((now, primary_at))
            for replica in self._replicas:
                position, problem = replayed[id(replica)]
                if position is None:  # keep its last known position for the pruning below
                    replica.lag, replica.problem = None, problem
                    continue
                replica.replayed = position
                behind = [seen for seen, at in self._seen if at > position]
                replica.lag = now - behind[0] if behind else 0.0
                replica.problem = (
                    f"lags {replica.lag:.1f}s, over the bound of {self.max_lag_seconds:g}s"
                    if replica.lag > self.max_lag_seconds
                    else None
                )
            reached = [r.replayed for r in self._replicas if r.replayed is not None]
            # Forget positions every replica has replayed; they can no longer be behind.
            while self._seen and reached and self._seen[0][1] <= min(reached):
                self._seen.popleft()


def _replayed(engine: Engine) -> tuple[int | None, str | None]:
    """A replica's replayed WAL position, or why it could not be read."""
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text")
            ).one()
    except (DBAPIError, SQLAlchemyError) as exc:
        return None, f"unreachable: {exc.__class__.__name__}"
    if not row[0] or row[1] is None:
        return None, "not a standby in recovery"
    return parse_lsn(str(row[1])), None


def _name(engine: Engine) -> str:
    url = make_url(str(engine.url))
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"
