"""What a scheduled job is: a name, what it does, when it runs, and who runs it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A job bound to what it works on when it is scheduled (see ``creditbank.wiring``).
JobCallable = Callable[[], "str | None"]


@dataclass(frozen=True)
class Every:
    """Run every ``seconds``, at the same instants in every process (aligned on the epoch)."""

    seconds: float

    def slot(self, now: datetime) -> str:
        """The time slot ``now`` falls in, named by its start."""
        step = timedelta(seconds=self.seconds)
        start = EPOCH + step * ((now - EPOCH) // step)
        return start.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def describe(self) -> str:
        """For listings: ``every 5s``."""
        return f"every {self.seconds:g}s"


@dataclass(frozen=True)
class Daily:
    """Run once a day at ``hour`` o'clock UTC."""

    hour: int

    def slot(self, now: datetime) -> str:
        """The day ``now`` falls in (a late run still counts for that day)."""
        return now.astimezone(UTC).date().isoformat()

    def describe(self) -> str:
        """For listings: ``daily at 19:00 UTC``."""
        return f"daily at {self.hour:02d}:00 UTC"


Trigger = Every | Daily


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job.

    ``run`` returns a short description of what it did (kept in ``job_run.detail``) or None
    when there was nothing to do; it raises to fail the run. Leader jobs run in one process
    across all hosts, each time slot at most once; the others run in every scheduler process
    and are recorded only when they did something.
    """

    name: str
    description: str
    run: JobCallable
    trigger: Trigger
    leader_only: bool = True
