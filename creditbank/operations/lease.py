"""The leader lease: one row in the database says which process runs the leader jobs.

A process takes the lease with one conditional UPDATE (``WHERE holder = me OR expires_at <
now``), which both SQLite and PostgreSQL apply atomically: of two processes racing for an
expired lease exactly one changes the row. The leader renews it well before it expires; a
leader that dies stops renewing and another process takes over once the lease runs out.

Times are the hosts' clocks, so hosts must keep them in sync (NTP): a skew of ``d`` seconds
shortens or lengthens the take-over by ``d``. A PostgreSQL advisory lock would avoid clocks but
ties leadership to one open session and does not exist on SQLite; the lease works on both and
its ``renewed_at`` is the heartbeat ``/healthz`` reports. Even with a wrong clock two leaders
cannot run the same job slot twice: ``job_run``'s unique (job, slot) refuses the second.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from creditbank.clock import utc_now
from creditbank.operations.tables import SchedulerLease
from creditbank.storage.database import read_connection, write_transaction

lease_t = SchedulerLease.__table__  # type: ignore[attr-defined]
LEADER = "scheduler"


@dataclass(frozen=True)
class Holder:
    """One scheduler process: a unique id, and where it runs."""

    id: str
    host: str
    pid: int

    @classmethod
    def this_process(cls) -> Holder:
        """A fresh holder id for a scheduler of this process."""
        return cls(
            f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
            socket.gethostname()[:255],
            os.getpid(),
        )


@dataclass(frozen=True)
class LeaseView:
    """The lease as stored."""

    holder: str
    host: str
    pid: int
    acquired_at: datetime
    renewed_at: datetime
    expires_at: datetime

    def valid(self, now: datetime) -> bool:
        """True while it has not run out."""
        return now < self.expires_at


def read_lease(connection: Connection, name: str = LEADER) -> LeaseView | None:
    """The current lease row (None before any scheduler ran)."""
    row = connection.execute(select(lease_t).where(lease_t.c.name == name)).first()
    if row is None:
        return None
    return LeaseView(row.holder, row.host, row.pid, row.acquired_at, row.renewed_at, row.expires_at)


def try_acquire(
    engine: Engine,
    holder: Holder,
    seconds: float,
    *,
    name: str = LEADER,
    now: datetime | None = None,
) -> tuple[bool, bool]:
    """Take or renew the lease for ``seconds``; return (leading now, newly acquired)."""
    now = now or utc_now()
    expires = now + timedelta(seconds=seconds)
    with write_transaction(engine) as connection:
        renewed = connection.execute(
            update(lease_t)
            .where(lease_t.c.name == name, lease_t.c.holder == holder.id)
            .values(renewed_at=now, expires_at=expires)
        ).rowcount
        if renewed == 1:
            return True, False
        taken = connection.execute(
            update(lease_t)
            .where(lease_t.c.name == name, lease_t.c.expires_at < now)
            .values(
                holder=holder.id,
                host=holder.host,
                pid=holder.pid,
                acquired_at=now,
                renewed_at=now,
                expires_at=expires,
            )
        ).rowcount
        if taken == 1:
            return True, True
        exists = connection.execute(select(lease_t.c.name).where(lease_t.c.name == name)).first()
    if exists is not None:
        return False, False
    # The very first scheduler: create the row. Two first schedulers race on the primary key.
    try:
        with write_transaction(engine) as connection:
            connection.execute(
                insert(lease_t).values(
                    name=name,
                    holder=holder.id,
                    host=holder.host,
                    pid=holder.pid,
                    acquired_at=now,
                    renewed_at=now,
                    expires_at=expires,
                )
            )
    except IntegrityError:
        return False, False
    return True, True


def release(engine: Engine, holder: Holder, *, name: str = LEADER) -> None:
    """Give the lease up at once (a clean shutdown), so another process need not wait."""
    past = utc_now() - timedelta(seconds=1)
    with write_transaction(engine) as connection:
        connection.execute(
            update(lease_t)
            .where(lease_t.c.name == name, lease_t.c.holder == holder.id)
            .values(expires_at=past)
        )


def current_lease(engine: Engine, name: str = LEADER) -> LeaseView | None:
    """Read the lease in its own connection."""
    with read_connection(engine) as connection:
        return read_lease(connection, name)
