"""Starting the scheduler inside a serving process (once per application)."""

from __future__ import annotations

import atexit
import os
import threading

from creditbank.operations.registry import all_jobs
from creditbank.operations.scheduler import Scheduler
from creditbank.services import LazyServices

_started: dict[int, Scheduler] = {}
_lock = threading.Lock()


def scheduler_enabled() -> bool:
    """False when ``CREDITBANK_SCHEDULER=off`` (e.g. a separate ``creditbank scheduler run``)."""
    return os.environ.get("CREDITBANK_SCHEDULER", "on").lower() not in {"off", "0", "false", "no"}


def start_background(lazy: LazyServices) -> Scheduler | None:
    """Start this process's background scheduler once; later calls return None."""
    with _lock:
        if id(lazy) in _started:
            return None
        scheduler = Scheduler(lazy.get, all_jobs(lazy.settings), lazy.settings.operations)
        _started[id(lazy)] = scheduler
    scheduler.start()
    atexit.register(scheduler.shutdown)
    return scheduler
