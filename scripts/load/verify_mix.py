"""``scripts/loadtest --mix verify``: online verification idle, then while four clients post.

An employer's verification (``GET /api/v1/verify/{code}`` of the demonstration transcript)
must not queue behind posting: it only reads. The run measures its latency alone for a while,
then with ``--verify-posters`` clients posting ``--verify-batch``-record batches, in the same
instance, and compares the p99s (target: loaded within 2× of idle). SQLite or PostgreSQL.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from creditbank.config import DEFAULT_ORIGIN, Settings, sqlite_url
from creditbank.demo import DEMO_PASSWORD
from scripts.load import postgres
from scripts.load.checks import check_records, ledger_verify
from scripts.load.clients import BatchOutcome, Poster, PosterConfig
from scripts.load.server import ROOT, Gunicorn

# 李明, the demonstration learner who holds an issued transcript.
_DEMO_DOCUMENT = {"kind": "resident_id", "number": "500112200403152312"}


def _call(port: int, method: str, path: str, body: Any = None, token: str = "") -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        payload = None if body is None else json.dumps(body).encode()
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: HTTP {response.status} {data[:200]!r}")
    return json.loads(data)


def demo_verification_code(port: int) -> str:
    """Sign in as the demonstration learner and return her transcript's verification code."""
    signed = _call(
        port,
        "POST",
        "/api/v1/sessions",
        {"document": _DEMO_DOCUMENT, "password": DEMO_PASSWORD},
    )
    listed = _call(port, "GET", "/api/v1/transcripts", token=signed["token"])
    return str(listed["transcripts"][0]["verification_code"])


class Verifier(threading.Thread):
    """Verifies the transcript by its code, one request after another, until stopped."""

    def __init__(self, port: int, code: str) -> None:
        super().__init__(name="verifier", daemon=True)
        self.port = port
        self.code = code
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Stop after the current request."""
        self._stopping.set()

    def run(self) -> None:
        """Verify until stopped."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        path = f"/api/v1/verify/{self.code}"
        while not self._stopping.is_set():
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as exc:
                self.failures.append(exc.__class__.__name__)
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                continue
            if response.status != 200:
                self.failures.append(f"HTTP {response.status} {body[:120]!r}")
                continue
            self.latencies.append(time.perf_counter() - started)
        connection.close()


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def _phase(port: int, code: str, seconds: float) -> Verifier:
    verifier = Verifier(port, code)
    verifier.start()
    time.sleep(seconds)
    verifier.stop()
    verifier.join()
    return verifier


def _figures(verifier: Verifier) -> dict[str, float]:
    return {
        "verifications": len(verifier.latencies),
        "p50_ms": 1000 * _percentile(verifier.latencies, 0.5),
        "p90_ms": 1000 * _percentile(verifier.latencies, 0.9),
        "p99_ms": 1000 * _percentile(verifier.latencies, 0.99),
        "max_ms": 1000 * max(verifier.latencies, default=0.0),
    }


@dataclass
class _Measured:
    idle: Verifier
    loaded: Verifier
    outcomes: list[BatchOutcome]
    unexpected: list[str]
    posting_seconds: float


def _measure(args: argparse.Namespace, port: int, learners: list[str]) -> _Measured:
    code = demo_verification_code(port)
    seconds = args.duration or 30.0
    print(
        f"verify mix on {args.engine}: gunicorn {args.workers} workers × {args.threads} "
        f"threads; {seconds:.0f} s idle, then {seconds:.0f} s with {args.verify_posters} "
        f"clients posting {args.verify_batch}-record batches",
        flush=True,
    )
    _phase(port, code, 2.0)  # warm every worker's caches first
    idle = _phase(port, code, seconds)
    started = time.monotonic()
    config = PosterConfig(
        port=port,
        secret=args.poster_secret,
        learners=learners,
        batch_size=args.verify_batch,
        stop_at=started + seconds,
        give_up_at=started + seconds + args.grace,
    )
    posters = [Poster(n, config) for n in range(args.verify_posters)]
    for poster in posters:
        poster.start()
    loaded = _phase(port, code, seconds)
    for poster in posters:
        poster.join()
    return _Measured(
        idle,
        loaded,
        [o for poster in posters for o in poster.outcomes],
        [v for poster in posters for v in poster.unexpected],
        time.monotonic() - started,
    )


def _report(args: argparse.Namespace, measured: _Measured, violations: list[str]) -> int:
    idle_f, loaded_f = _figures(measured.idle), _figures(measured.loaded)
    posted = sum(len(o.external_ids) for o in measured.outcomes if o.acknowledged)
    rate = posted / measured.posting_seconds
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average {load} (other work shares them)")
    for name, figures in (("idle", idle_f), ("posting", loaded_f)):
        print(
            f"verification {name:>7}: {figures['verifications']:.0f} verifications, p50 "
            f"{figures['p50_ms']:.0f} ms, p90 {figures['p90_ms']:.0f} ms, p99 "
            f"{figures['p99_ms']:.0f} ms, max {figures['max_ms']:.0f} ms"
        )
    ratio = loaded_f["p99_ms"] / idle_f["p99_ms"] if idle_f["p99_ms"] else float("inf")
    print(
        f"posting meanwhile: {rate:.0f} records/s; verification p99 under posting / idle: "
        f"{ratio:.2f} (target at most 2)"
    )
    if args.json:
        document = {"engine": args.engine, "idle": idle_f, "posting": loaded_f}
        document |= {"p99_ratio": ratio, "records_per_s": rate, "violations": violations}
        args.json.write_text(json.dumps(document, indent=2))
    if violations:
        print(f"FAILED: {len(violations)} violations")
        for violation in violations[:50]:
            print(f"  - {violation}")
        return 1
    print("PASSED: every verification answered, every posted record present exactly once")
    return 0


def _violations(measured: _Measured, env: dict[str, str]) -> list[str]:
    violations = list(measured.unexpected)
    violations += [
        f"verification failed: {failure}"
        for failure in measured.idle.failures + measured.loaded.failures
    ]
    violations += check_records(env, measured.outcomes)
    verified, line = ledger_verify(env, ROOT)
    if not verified:
        violations.append(f"creditbank ledger verify failed: {line}")
    return violations


def run_mix(args: argparse.Namespace, prepare: Callable[[Settings, int], list[str]]) -> int:
    """Idle verification, then verification under posting; print both; 0 when all held."""
    folder = Path(tempfile.mkdtemp(prefix="creditbank-verifymix-"))
    database: postgres.ScratchDatabase | None = None
    server: Gunicorn | None = None
    try:
        if args.engine == "postgres":
            postgres.ensure_running()
            database = postgres.ScratchDatabase.create(args.postgres_url)
            url = database.url
        else:
            url = sqlite_url(folder / "instance" / "creditbank.sqlite3")
        settings = Settings(folder / "instance", url)
        learners = prepare(settings, args.learners)
        env = {
            "CREDITBANK_INSTANCE": str(settings.instance_path),
            "CREDITBANK_DATABASE_URL": url,
            "CREDITBANK_LOG_ORIGIN": DEFAULT_ORIGIN,
            "CREDITBANK_CHECKPOINT_INTERVAL": "1",
            # One employer verifying back to back outruns the production limit per address
            # (50 requests/s) on a quiet machine: this mix measures latency, not the limit.
            "CREDITBANK_RATE_LIMIT": "0",
        }
        base = {k: v for k, v in os.environ.items() if not k.startswith("CREDITBANK_")}
        server = Gunicorn(
            {**base, **env}, workers=args.workers, threads=args.threads, log=folder / "g.log"
        )
        server.wait_ready()
        measured = _measure(args, server.port, learners)
        server.stop()
        server = None
        return _report(args, measured, _violations(measured, env))
    finally:
        if server is not None:
            server.stop()
        if database is not None:
            database.drop()
        shutil.rmtree(folder, ignore_errors=True)
