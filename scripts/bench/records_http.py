"""Benchmark: records posted over HTTP to a running service vs appended straight to the ledger.

Starts gunicorn on a fresh instance (SQLite, then PostgreSQL in a scratch schema), posts N
records in batches from several client threads over keep-alive connections, and in the same
run appends the same records' entries straight to a fresh ledger of the same engine. Prints
records/s for both, the HTTP/direct ratio, and batch latency percentiles.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from creditbank.clock import utc_now
from creditbank.config import Settings, sqlite_url
from creditbank.demo import DEMO_KEYS, load_demo
from creditbank.identity.documents import check_digit, parse_document
from creditbank.learners.service import NewLearner, open_accounts
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.sequencer import NewEntry
from creditbank.storage.database import normalise_url
from creditbank.wiring import Services, initialise

ROOT = Path(__file__).resolve().parents[2]
POSTER = DEMO_KEYS["cq-gz-poster"][2]


def _course(learner: str, n: int) -> dict[str, Any]:
    return {
        "learner_id": learner,
        "kind": "course",
        "course_code": f"GZ-{n % 500:03d}",
        "title_zh": "液压与气动技术",
        "source_institution": "CQ-GZ-001",
        "level": "gaozhi",
        "programme": "机电一体化技术",
        "term": "2024-2025-1",
        "hours": 48,
        "credits": "3",
        "grade": {"scale": "percent", "value": str(60 + n % 40)},
        "completed_on": "2025-01-10",
    }


def _prepare(settings: Settings, learners: int) -> tuple[Services, list[str]]:
    services = initialise(settings)
    load_demo(services, now=utc_now())
    today = utc_now().date()
    people = []
    for n in range(learners):
        first17 = f"500105{2000 + n % 6:04d}0101{n % 1000:03d}"
        number = first17 + check_digit(first17)
        people.append(NewLearner(f"学员{n}", parse_document("resident_id", number, today=today)))
    accounts = open_accounts(
        services.ledger,
        services.sealer,
        people,
        opened_by="CQ-GZ-001",
        actor="institution:CQ-GZ-001",
        now=utc_now(),
    )
    return services, sorted({a.learner_id for a in accounts})


@dataclass
class HttpResult:
    """Wall time of the whole HTTP run and each batch's latency."""

    seconds: float
    latencies: list[float]


def _serve(settings: Settings, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CREDITBANK_INSTANCE": str(settings.instance_path),
        "CREDITBANK_DATABASE_URL": settings.database_url,
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            "4",
            "--log-level",
            "warning",
            "creditbank:create_app()",
        ],
        env=env,
        cwd=ROOT,
    )
    for _ in range(100):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/v1/institutions")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the service did not start")


def _post_all(port: int, bodies: list[bytes], clients: int) -> HttpResult:
    latencies: list[float] = []
    lock = threading.Lock()
    queue = list(enumerate(bodies))

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                if not queue:
                    return
                number, body = queue.pop()
            started = time.perf_counter()
            connection.request(
                "POST",
                "/api/v1/records",
                body=body,
                headers={
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {POSTER}",
                    "Idempotency-Key": f"bench-{number}",
                },
            )
            response = connection.getresponse()
            payload = response.read()
            if response.status != 201:
                raise SystemExit(f"batch {number}: {response.status} {payload[:300]!r}")
            with lock:
                latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return HttpResult(time.perf_counter() - started, latencies)


def _direct(settings: Settings, batches: list[list[dict[str, Any]]]) -> float:
    services = initialise(settings)
    started = time.perf_counter()
    for batch in batches:
        services.ledger.append(
            [NewEntry(EntryKind.RECORD_POSTED, "institution:CQ-GZ-001", item) for item in batch]
        )
    seconds = time.perf_counter() - started
    services.close()
    return seconds


def _postgres_schema(base: str) -> tuple[str, Any]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(base))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(normalise_url(base)).update_query_dict({"options": f"-csearch_path={schema}"})

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return url.render_as_string(hide_password=False), drop


def run(engine: str, args: argparse.Namespace, postgres_url: str | None) -> dict[str, Any]:
    """Benchmark one engine; return its figures."""
    folder = Path(tempfile.mkdtemp(prefix=f"cb-bench-{engine}-"))
    cleanups = []
    urls = {}
    for name in ("http", "direct"):
        if engine == "sqlite":
            urls[name] = sqlite_url(folder / name / "creditbank.sqlite3")
        else:
            assert postgres_url is not None
            urls[name], drop = _postgres_schema(postgres_url)
            cleanups.append(drop)
    try:
        http_settings = Settings(folder / "http", urls["http"], checkpoint_interval_seconds=5.0)
        services, learners = _prepare(http_settings, args.learners)
        services.close()
        items = [_course(learners[n % len(learners)], n) for n in range(args.records)]
        batches = [items[i : i + args.batch] for i in range(0, len(items), args.batch)]
        bodies = [json.dumps({"records": b}, ensure_ascii=False).encode() for b in batches]
        process = _serve(http_settings, args.port, args.workers)
        try:
            result = _post_all(args.port, bodies, args.clients)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        direct_settings = Settings(
            folder / "direct", urls["direct"], checkpoint_interval_seconds=5.0
        )
        direct_seconds = _direct(direct_settings, batches)
    finally:
        for cleanup in cleanups:
            cleanup()
        shutil.rmtree(folder, ignore_errors=True)  # each instance folder holds about 100 MB
    latencies = sorted(result.latencies)
    figures = {
        "engine": engine,
        "records": args.records,
        "batch": args.batch,
        "clients": args.clients,
        "workers": args.workers,
        "http_records_per_s": args.records / result.seconds,
        "direct_records_per_s": args.records / direct_seconds,
        "http_over_direct": (args.records / result.seconds) / (args.records / direct_seconds),
        "batch_p50_ms": 1000 * statistics.median(latencies),
        "batch_p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
    }
    return figures


def main() -> None:
    """Parse options, run each engine, print a table (and JSON when asked)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "CREDITBANK_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per engine; medians quoted")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = []
    for engine in args.engines.split(","):
        if engine == "postgres":
            try:
                create_engine(normalise_url(args.postgres_url)).connect().close()
            except Exception as exc:  # any failure means: skip, and say why
                name = exc.__class__.__name__
                print(f"postgres: skipped ({name}: no server at {args.postgres_url})")
                continue
        runs = [run(engine, args, args.postgres_url) for _ in range(args.repeats)]
        figures = {
            key: statistics.median(r[key] for r in runs) if isinstance(value, float) else value
            for key, value in runs[0].items()
        }
        figures["runs"] = runs
        results.append(figures)
        print(
            f"{engine:>8}: HTTP {figures['http_records_per_s']:8.0f} records/s, direct "
            f"{figures['direct_records_per_s']:8.0f} records/s, HTTP/direct "
            f"{figures['http_over_direct']:.2f}; batch p50 {figures['batch_p50_ms']:.0f} ms, "
            f"p99 {figures['batch_p99_ms']:.0f} ms ({args.records} records, {args.batch}/batch, "
            f"{args.clients} clients, {args.workers} workers; medians of {args.repeats} runs)",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    sys.exit(0)


if __name__ == "__main__":
    main()
