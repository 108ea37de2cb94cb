"""Starting the scheduler inside a serving process (once per application)."""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable

from creditbank.operations.scheduler import Scheduler

_started: dict[int, Scheduler] = {}
_lock = threading.Lock()


def scheduler_enabled() -> bool:
    """False when ``CREDITBANK_SCHEDULER=off`` (e.g. a separate ``creditbank scheduler run``)."""
    return os.environ.get("CREDITBANK_SCHEDULER", "on").lower() not in {"off", "0", "false", "no"}


def start_background(owner: object, build: Callable[[], Scheduler]) -> Scheduler | None:
    """Start ``owner``'s background scheduler (built by ``build``) once; later calls return None."""
    with _lock:
        if id(owner) in _started:
            return None
        scheduler = build()
        _started[id(owner)] = scheduler
    scheduler.start()
    atexit.register(scheduler.shutdown)
    return scheduler
