"""Processor time a run spent, by who spent it: the load's clients, the service, PostgreSQL.

On a machine where all three share the same cores, records per second mixes the server's
cost with the clients' own; the service's and PostgreSQL's processor time per record is
the server's cost alone. Read from ``/proc`` (Linux); elsewhere every figure is absent.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state first), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (in parentheses) may hold spaces: the fields follow its closing ')'.
    return stat.rsplit(")", 1)[1].split()


def _seconds(fields: list[str]) -> float:
    # utime and stime are fields 14 and 15 of stat(5); index 0 here is field 3 (state).
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _postgres_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@dataclass(frozen=True)
class CpuSample:
    """Processor seconds used so far, by process id, in each group."""

    clients: float
    service: dict[int, float]
    postgres: dict[int, float]


def sample(service_pids: list[int]) -> CpuSample | None:
    """The processor time of this process, the service's processes and PostgreSQL's."""
    own = stat_fields(os.getpid())
    if own is None:
        return None

    def times(pids: list[int]) -> dict[int, float]:
        found = {pid: stat_fields(pid) for pid in pids}
        return {pid: _seconds(fields) for pid, fields in found.items() if fields is not None}

    return CpuSample(_seconds(own), times(service_pids), times(_postgres_pids()))


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    # A process started during the run counts from nothing; one that ended is not seen.
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def spent(before: CpuSample | None, after: CpuSample | None) -> dict[str, float] | None:
    """Processor seconds each group spent between two samples."""
    if before is None or after is None:
        return None
    return {
        "clients": after.clients - before.clients,
        "service": _spent(before.service, after.service),
        "postgres": _spent(before.postgres, after.postgres),
    }
