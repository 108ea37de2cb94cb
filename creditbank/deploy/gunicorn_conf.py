"""gunicorn configuration for production.

Use it as ``gunicorn -c python:creditbank.deploy.gunicorn_conf`` (``scripts/serve`` does).

Every value can be changed through the environment (names below) without editing this file.

Workers and threads. The work is mixed: JSON parsing, hashing and signing hold the GIL, while
database round trips release it. ``workers`` processes give CPU parallelism (default: 2 per
core, plus one), and ``threads`` per worker (gthread) overlap requests waiting on PostgreSQL.
Each worker holds its own SQLAlchemy pool, so workers × (pool size + overflow) must stay below
PostgreSQL's ``max_connections`` (with the defaults, 5 + 10 per worker).

Timeouts. ``timeout`` (default 60 s) kills a worker silent that long: long enough for a
10,000-record batch on a loaded machine, short enough that a wedged worker is replaced.
``graceful_timeout`` lets in-flight requests finish on a restart; ``keepalive`` stays short
because a TLS-terminating proxy in front holds the client connections.

Preloading. ``preload_app`` is off by default: each worker imports the application itself, so
a HUP reloads new code and nothing (database pools, the scheduler's threads, open files) is
created in the master and shared across ``fork``. Turning it on (``CREDITBANK_PRELOAD=1``)
saves memory and start time; it is safe because the application opens its database and starts
its scheduler lazily, on the first request of each worker, never at import.

Background jobs. Each worker starts a scheduler on its first request unless
``CREDITBANK_SCHEDULER=off``; a lease row in the database lets exactly one process across all
hosts run the leader jobs. Alternatively run ``creditbank scheduler run`` as its own service and
set ``CREDITBANK_SCHEDULER=off`` for the web workers.

Metrics. Prometheus counters of several worker processes are merged through files in
``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess mode). This file creates that
folder when it is not set, empties it when the server starts (stale files of an earlier run
would otherwise be summed in), and tells prometheus-client when a worker exits.

Logs. Error and access logs go to stderr and stdout as JSON lines, each request with its
``X-Request-Id``.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from creditbank.deploy.logs import logging_config


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


bind = _env("CREDITBANK_BIND", "127.0.0.1:" + _env("CREDITBANK_PORT", "8000"))
workers = int(_env("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2 + 1)))
worker_class = "gthread"
threads = int(_env("CREDITBANK_THREADS", "4"))
timeout = int(_env("CREDITBANK_TIMEOUT", "60"))
graceful_timeout = int(_env("CREDITBANK_GRACEFUL_TIMEOUT", "30"))
keepalive = int(_env("CREDITBANK_KEEPALIVE", "5"))
preload_app = _env("CREDITBANK_PRELOAD", "0") in {"1", "true", "yes", "on"}
# Recycle workers now and then (with jitter, so not all at once) against slow leaks.
max_requests = int(_env("CREDITBANK_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
wsgi_app = "creditbank:create_app()"

# Only trust X-Forwarded-* from the proxy on this host (see the nginx example in README.md).
forwarded_allow_ips = _env("CREDITBANK_FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = "-"
errorlog = "-"
loglevel = _env("CREDITBANK_LOG_LEVEL", "info")
logger_class = "creditbank.deploy.gunicorn_logging.JsonAccessLogger"
logconfig_dict = logging_config(loglevel.upper())

# The production default rate limit per caller (see README.md; share it across workers and
# hosts with CREDITBANK_RATE_LIMIT_STORAGE=redis://…); the library default is off so that
# tests and scripts are not throttled.
os.environ.setdefault("CREDITBANK_RATE_LIMIT", "50")

# prometheus-client reads this variable when metrics are created, so set it before the
# application (and with it creditbank.operations.metrics) is imported in any worker.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="creditbank-metrics-")
METRICS_DIR = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
METRICS_DIR.mkdir(parents=True, mode=0o700, exist_ok=True)


def on_starting(server: Any) -> None:
    """Empty the metrics folder: counters of an earlier run must not be added to this one's."""
    for stale in METRICS_DIR.glob("*.db"):  # only prometheus-client's own files
        stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """Let prometheus-client drop the live gauges of a worker that exited."""
    from prometheus_client import multiprocess  # noqa: PLC0415 - only in the master, at exit

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


# How often a thread holding the interpreter lock is asked to give it up (Python's default is
# 5 ms). A request holding the sequencer's head row waits for the interpreter lock after each
# database round trip while a sibling thread parses the next body; at 5 ms per round trip that
# wait, not the work, made most of the serial section. A shorter interval lets the holder
# back in sooner, at the cost of more switches between the threads of a worker.
switch_interval = float(_env("CREDITBANK_SWITCH_INTERVAL", "0.0005"))


def post_fork(server: Any, worker: Any) -> None:
    """Set the worker's interpreter switch interval (see ``switch_interval``)."""
    sys.setswitchinterval(switch_interval)
