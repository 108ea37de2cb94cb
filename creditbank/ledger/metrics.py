"""How busy the sequencer is: lock wait, lock hold and group sizes, as Prometheus histograms.

The head row lock is the service's one serial section; its hold time per second is the share
of the sequencer's capacity in use, and the wait shows writers queueing for it. Under gunicorn
prometheus-client's multiprocess mode merges every worker's values (see
``creditbank/operations/metrics.py``). Every metric is labelled by ``writer`` (``group``: the
posting combiner; ``transaction``: any other unit of work that appends), so no value file is
created at import.
"""

from __future__ import annotations

from prometheus_client import Histogram

_SECONDS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

LOCK_WAIT = Histogram(
    "creditbank_sequencer_lock_wait_seconds",
    "Time from asking for the sequencer's head row lock to holding it",
    ["writer"],
    buckets=_SECONDS,
)
LOCK_HOLD = Histogram(
    "creditbank_sequencer_lock_hold_seconds",
    "Time the sequencer's head row lock is held, from taking it to the end of the commit",
    ["writer"],
    buckets=_SECONDS,
)
GROUP_REQUESTS = Histogram(
    "creditbank_sequencer_group_requests",
    "Requests sequenced together in one transaction",
    ["writer"],
    buckets=(1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64),
)
GROUP_ENTRIES = Histogram(
    "creditbank_sequencer_group_entries",
    "Log entries sequenced together in one transaction",
    ["writer"],
    buckets=(1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000),
)


def observe_group(writer: str, *, requests: int, entries: int) -> None:
    """Count one sequenced transaction of ``requests`` requests and ``entries`` entries."""
    GROUP_REQUESTS.labels(writer).observe(requests)
    GROUP_ENTRIES.labels(writer).observe(entries)
