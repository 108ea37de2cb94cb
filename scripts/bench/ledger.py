"""Benchmark the ledger: batched append against a plain INSERT, and proof latency as the log grows.

Per engine (SQLite: a temporary file in WAL with the project's engine settings; PostgreSQL: a
scratch schema, dropped at the end):

1. append: ``Ledger.append`` (``append_entries`` inside ``write_transaction``) of record entries
   with ~200-byte payloads in batches of 1, 100 and 1,000, interleaved with a plain INSERT of as
   many rows (BIGINT key, 300-byte blob; executemany, one transaction per batch) into a table of
   the same database; medians over the repeats.
2. proofs: a fresh log grown through the same path in 1,000-entry batches to each size; at each
   size the median latency of ``Ledger.inclusion_proof`` / ``Ledger.consistency_proof`` (the
   whole call: connection, head read, node reads), of the bare node reads on an open connection,
   and of verifying, over random leaf indices / prior sizes.
3. pymerkle 7 (its own venv, run as a subprocess): the same sizes built and proved, and its roots
   and proofs compared with ours on the same leaf data.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    LargeBinary,
    MetaData,
    Table,
    create_engine,
    insert,
    text,
)
from sqlalchemy.engine import make_url

from creditbank.config import Settings, sqlite_url
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.hashing import hash_leaf
from creditbank.ledger.proof_checks import verify_consistency, verify_inclusion
from creditbank.ledger.proofs import consistency_proof, inclusion_proof, root_hash
from creditbank.ledger.sequencer import NewEntry
from creditbank.ledger.store import StoredNodes, read_entries
from creditbank.storage.database import normalise_url, read_connection, write_transaction
from creditbank.wiring import Services, initialise

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_ENV = "CREDITBANK_BENCH_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
PYMERKLE_PYTHON = ROOT / ".venv-bench-pymerkle" / "bin" / "python"
ACTOR = "institution:CQ-GZ-001"
PLAIN_BLOB_BYTES = 300
BUILD_BATCH = 1000
CHECK_LEAVES = 1000  # leaves handed to pymerkle for the root and proof comparison
WARMUP = 5
FULL_BATCHES = {1: 300, 100: 30, 1000: 10}  # batch size -> batches per repeat
QUICK_BATCHES = {1: 100, 100: 10, 1000: 5}
FULL_SIZES = (1_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 100_000)

_plain_metadata = MetaData()
plain_t = Table(
    "bench_plain_insert",
    _plain_metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("data", LargeBinary, nullable=False),
)


def seeded(seed: int) -> random.Random:
    """Return a reproducible generator for sampling indices (not for secrets)."""
    return random.Random(seed)


def log(message: str) -> None:
    """Report progress on stderr (stdout carries the tables)."""
    print(f"  {message}", file=sys.stderr, flush=True)


# --- workload ----------------------------------------------------------------------------------


def record_payload(n: int) -> dict[str, Any]:
    """Return a course-record payload of about 200 canonical bytes, distinct per ``n``."""
    return {
        "record_id": f"rec-{n:012d}",
        "learner_id": f"L{(n * 7919) % 1_000_003:09d}",
        "course_code": f"GZ-{n % 500:03d}",
        "title_zh": "液压与气动技术",
        "credits": "3",
        "grade": {"scale": "percent", "value": str(60 + n % 40)},
        "completed_on": "2025-01-10",
    }


def make_entries(start: int, count: int) -> list[NewEntry]:
    """Return ``count`` record entries numbered from ``start``."""
    return [
        NewEntry(kind=EntryKind.RECORD_POSTED, actor=ACTOR, payload=record_payload(n))
        for n in range(start, start + count)
    ]


def make_plain_rows(start: int, count: int) -> list[dict[str, Any]]:
    """Return ``count`` plain rows (BIGINT key from ``start``, random 300-byte blob)."""
    return [{"id": n, "data": os.urandom(PLAIN_BLOB_BYTES)} for n in range(start, start + count)]


# --- engines -----------------------------------------------------------------------------------


def postgres_unreachable(url: str) -> str | None:
    """Return why ``url`` cannot be used, or None when a connection succeeds."""
    try:
        engine = create_engine(normalise_url(url), connect_args={"connect_timeout": 5})
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except Exception as exc:  # any failure means: skip, and say why
        return f"{exc.__class__.__name__}: {str(exc).strip().splitlines()[0][:160]}"
    return None


@contextmanager
def scratch_schema(base_url: str) -> Iterator[str]:
    """Yield a URL whose connections use a fresh schema of their own, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(base_url))
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(normalise_url(base_url)).update_query_dict(
            {"options": f"-csearch_path={schema}"}
        )
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@contextmanager
def fresh_services(engine_name: str, postgres_url: str, tmpdir: str | None) -> Iterator[Services]:
    """Yield an initialised instance on a new database; remove database and keys afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=f"cb-bench-ledger-{engine_name}-", dir=tmpdir))
    database: AbstractContextManager[str] = (
        scratch_schema(postgres_url)
        if engine_name == "postgres"
        else nullcontext(sqlite_url(folder / "creditbank.sqlite3"))
    )
    try:
        with database as url:
            services = initialise(Settings(instance_path=folder / "instance", database_url=url))
            try:
                yield services
            finally:
                services.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def describe_engine(engine: Engine) -> dict[str, str]:
    """Return the engine's version and the durability settings in force on its connections."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return {
                "version": "SQLite "
                + connection.exec_driver_sql("select sqlite_version()").scalar_one(),
                "journal_mode": str(connection.exec_driver_sql("PRAGMA journal_mode").scalar_one()),
                "synchronous": {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(
                    connection.exec_driver_sql("PRAGMA synchronous").scalar_one(), "?"
                ),
            }
        version = connection.exec_driver_sql("SHOW server_version").scalar_one()
        return {
            "version": f"PostgreSQL {version}",
            "synchronous_commit": connection.exec_driver_sql(
                "SHOW synchronous_commit"
            ).scalar_one(),
            "fsync": connection.exec_driver_sql("SHOW fsync").scalar_one(),
            "shared_buffers": connection.exec_driver_sql("SHOW shared_buffers").scalar_one(),
        }


# --- 1. append throughput ----------------------------------------------------------------------


def _timed_ledger(services: Services, batches: Sequence[Sequence[NewEntry]]) -> float:
    """Append each batch in its own transaction; return the seconds taken."""
    gc.collect()
    started = time.perf_counter()
    for batch in batches:
        services.ledger.append(batch)
    return time.perf_counter() - started


def _timed_plain(engine: Engine, batches: Sequence[list[dict[str, Any]]]) -> float:
    """Insert each batch of plain rows in its own write transaction; return the seconds taken."""
    gc.collect()
    started = time.perf_counter()
    for rows in batches:
        with write_transaction(engine) as connection:
            connection.execute(insert(plain_t), rows)
    return time.perf_counter() - started


@dataclass
class AppendRow:
    """Append figures for one batch size: per-repeat seconds for both paths."""

    batch: int
    batches: int
    ledger_seconds: list[float] = field(default_factory=list)
    plain_seconds: list[float] = field(default_factory=list)

    @property
    def entries(self) -> int:
        """Entries (or plain rows) written per repeat."""
        return self.batch * self.batches

    def summary(self) -> dict[str, Any]:
        """Medians: entries/s of both paths and the ledger/plain time ratio (paired per repeat)."""
        ratios = [
            ledger / plain
            for ledger, plain in zip(self.ledger_seconds, self.plain_seconds, strict=True)
        ]
        return {
            "batch": self.batch,
            "batches_per_repeat": self.batches,
            "ledger_entries_per_s": statistics.median(
                self.entries / s for s in self.ledger_seconds
            ),
            "plain_rows_per_s": statistics.median(self.entries / s for s in self.plain_seconds),
            "ledger_over_plain_time": statistics.median(ratios),
            "ledger_seconds": self.ledger_seconds,
            "plain_seconds": self.plain_seconds,
        }


def measure_append(
    services: Services, batch_plan: dict[int, int], repeats: int
) -> list[dict[str, Any]]:
    """Time ledger appends and plain inserts, interleaved, ``repeats`` times per batch size."""
    _plain_metadata.create_all(services.engine)
    rows = {batch: AppendRow(batch, count) for batch, count in batch_plan.items()}
    next_entry = next_row = 0

    def ledger_batches(batch: int, count: int) -> list[list[NewEntry]]:
        nonlocal next_entry
        made = [make_entries(next_entry + i * batch, batch) for i in range(count)]
        next_entry += batch * count
        return made

    def plain_batches(batch: int, count: int) -> list[list[dict[str, Any]]]:
        nonlocal next_row
        made = [make_plain_rows(next_row + i * batch, batch) for i in range(count)]
        next_row += batch * count
        return made

    # Warm up both paths (statement caches, pool, first WAL growth) outside the timings.
    for batch in batch_plan:
        _timed_ledger(services, ledger_batches(batch, 1))
        _timed_plain(services.engine, plain_batches(batch, 1))
    for repeat in range(repeats):
        for batch, count in batch_plan.items():
            row = rows[batch]
            entries = ledger_batches(batch, count)
            plain = plain_batches(batch, count)
            # Alternate which path goes first, so drift on a noisy machine hits both alike.
            if repeat % 2 == 0:
                row.ledger_seconds.append(_timed_ledger(services, entries))
                row.plain_seconds.append(_timed_plain(services.engine, plain))
            else:
                row.plain_seconds.append(_timed_plain(services.engine, plain))
                row.ledger_seconds.append(_timed_ledger(services, entries))
            log(
                f"repeat {repeat + 1}/{repeats}, batch {batch}: ledger "
                f"{row.entries / row.ledger_seconds[-1]:,.0f}/s, plain "
                f"{row.entries / row.plain_seconds[-1]:,.0f}/s"
            )
    return [row.summary() for row in rows.values()]


def stored_bytes_per_entry(services: Services, count: int) -> dict[str, float]:
    """Return the mean canonical sizes of payloads and envelopes among the first entries."""
    with read_connection(services.engine) as connection:
        entries = read_entries(connection, 0, count)
        payloads = connection.execute(
            text("SELECT payload FROM ledger_opening WHERE idx < :n"), {"n": count}
        ).scalars()
        payload_sizes = [len(payload) for payload in payloads]
    return {
        "payload_bytes": statistics.mean(payload_sizes),
        "envelope_bytes": statistics.mean(len(data) for _, data in entries),
    }


# --- 2. proof latency --------------------------------------------------------------------------


def _median_ms(values: Sequence[float]) -> float:
    return 1000 * statistics.median(values)


def measure_proofs_at(
    services: Services, size: int, samples: int, rng: random.Random
) -> dict[str, Any]:
    """Time producing and verifying proofs in the committed tree of ``size`` leaves."""
    ledger = services.ledger
    head = ledger.head()
    assert head.size == size, (head.size, size)
    indices = rng.sample(range(size), min(samples, size))
    firsts = rng.sample(range(1, size), min(samples, size - 1))
    with read_connection(services.engine) as connection:
        nodes = StoredNodes(connection)
        leaves = nodes.read_nodes([2 * index for index in indices])
        first_roots = {first: root_hash(nodes, first) for first in firsts}
    for index in indices[:WARMUP]:
        ledger.inclusion_proof(index, size)
    for first in firsts[:WARMUP]:
        ledger.consistency_proof(first, size)

    incl: list[float] = []
    incl_verify: list[float] = []
    for index in indices:
        started = time.perf_counter()
        proof = ledger.inclusion_proof(index, size)
        proved = time.perf_counter()
        verify_inclusion(index, size, leaves[2 * index], proof, head.root_hash)
        incl.append(proved - started)
        incl_verify.append(time.perf_counter() - proved)
    cons: list[float] = []
    cons_verify: list[float] = []
    for first in firsts:
        started = time.perf_counter()
        proof = ledger.consistency_proof(first, size)
        proved = time.perf_counter()
        verify_consistency(first, size, first_roots[first], head.root_hash, proof)
        cons.append(proved - started)
        cons_verify.append(time.perf_counter() - proved)
    # The same proofs from the stored nodes alone, on one open connection.
    incl_nodes: list[float] = []
    cons_nodes: list[float] = []
    with read_connection(services.engine) as connection:
        nodes = StoredNodes(connection)
        for index in indices:
            started = time.perf_counter()
            inclusion_proof(nodes, index, size)
            incl_nodes.append(time.perf_counter() - started)
        for first in firsts:
            started = time.perf_counter()
            consistency_proof(nodes, first, size)
            cons_nodes.append(time.perf_counter() - started)
    return {
        "size": size,
        "samples": len(indices),
        "inclusion_ms": _median_ms(incl),
        "inclusion_p90_ms": 1000 * statistics.quantiles(incl, n=10)[-1],
        "inclusion_nodes_ms": _median_ms(incl_nodes),
        "inclusion_verify_ms": _median_ms(incl_verify),
        "consistency_ms": _median_ms(cons),
        "consistency_p90_ms": 1000 * statistics.quantiles(cons, n=10)[-1],
        "consistency_nodes_ms": _median_ms(cons_nodes),
        "consistency_verify_ms": _median_ms(cons_verify),
    }


def grow_to(services: Services, size: int, target: int) -> float:
    """Append 1,000-entry batches until the log has ``target`` leaves; return append seconds."""
    seconds = 0.0
    reported = size
    while size < target:
        count = min(BUILD_BATCH, target - size)
        batch = make_entries(size, count)
        started = time.perf_counter()
        services.ledger.append(batch)
        seconds += time.perf_counter() - started
        size += count
        if size - reported >= 100_000:
            reported = size
            log(f"log at {size:,} entries ({size / target:.0%} of {target:,})")
    return seconds


def build_check(services: Services, count: int, rng: random.Random) -> dict[str, Any]:
    """Return our roots and proofs over the first ``count`` leaves, with the leaf data."""
    with read_connection(services.engine) as connection:
        data = [entry for _, entry in read_entries(connection, 0, count)]
        nodes = StoredNodes(connection)
        roots = {str(size): root_hash(nodes, size).hex() for size in range(count + 1)}
        pairs = _valid_check_pairs(
            rng, count, [(0, 1), (0, 2), (1, 2), (5, 8), (6, 7), (0, count - 1)], first_min=0
        )
        pairs.append((count - 1, count))
        inclusion = [[h.hex() for h in inclusion_proof(nodes, i, n)] for i, n in pairs]
        firsts = _valid_check_pairs(
            rng, count, [(1, 2), (2, 3), (4, 8), (3, 7), (6, 8), (512, count)], first_min=1
        )
        consistency = [[h.hex() for h in consistency_proof(nodes, m, n)] for m, n in firsts]
        stored = nodes.read_nodes([2 * index for index in range(count)])
    return {
        "job": {
            "leaves": [entry.hex() for entry in data],
            "root_sizes": list(range(count + 1)),
            "roots": roots,
            "inclusion": pairs,
            "consistency": firsts,
        },
        "ours": {"roots": roots, "inclusion": inclusion, "consistency": consistency},
        # pymerkle is handed entry bytes and hashes them itself: they must give our leaf hashes.
        "leaf_hashes_match": all(
            hash_leaf(entry) == stored[2 * index] for index, entry in enumerate(data)
        ),
    }


def _valid_check_pairs(
    rng: random.Random, count: int, fixed: Sequence[tuple[int, int]], *, first_min: int
) -> list[tuple[int, int]]:
    """Return ``fixed`` pairs valid for ``count`` leaves plus up to 200 random ones."""
    pairs = [(a, b) for a, b in fixed if first_min <= a < b <= count]
    for second in rng.sample(range(first_min + 1, count + 1), min(200, count - first_min)):
        pairs.append((rng.randrange(first_min, second), second))
    return pairs


def profile_text(call: Callable[[], object], limit: int = 16) -> str:
    """Run ``call`` under cProfile; return the top functions by own time and by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(limit)
    stats.sort_stats("cumulative").print_stats(limit)
    prefixes = sorted({str(ROOT) + "/", *(p + "/" for p in sys.path if "site-packages" in p)})
    report = out.getvalue()
    for prefix in sorted(prefixes, key=len, reverse=True):
        report = report.replace(prefix, "")
    return "\n".join(
        line for line in report.splitlines() if line.strip() and "Ordered by" not in line
    )


# --- one engine --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What to measure and how often."""

    batches: dict[int, int]
    sizes: list[int]
    repeats: int
    samples: int
    seed: int
    profile: bool
    tmpdir: str | None


def run_engine(engine: str, plan: Plan, postgres_url: str, *, want_check: bool) -> dict[str, Any]:
    """Run the append and proof phases on fresh databases of ``engine``; return the figures."""
    result: dict[str, Any] = {"engine": engine}
    log(f"{engine}: append throughput")
    with fresh_services(engine, postgres_url, plan.tmpdir) as services:
        result["settings"] = describe_engine(services.engine)
        result["append"] = measure_append(services, plan.batches, plan.repeats)
        result["entry_bytes"] = stored_bytes_per_entry(services, 1000)
        if plan.profile:
            batches = [make_entries(i * BUILD_BATCH, BUILD_BATCH) for i in range(10)]
            result["append_profile"] = profile_text(
                lambda: [services.ledger.append(batch) for batch in batches]
            )
    with fresh_services(engine, postgres_url, plan.tmpdir) as services:
        rng = seeded(plan.seed)
        rows: list[dict[str, Any]] = []
        size = 0
        for target in plan.sizes:
            log(f"{engine}: growing the log to {target:,} entries")
            seconds = grow_to(services, size, target)
            log(f"{engine}: proofs at {target:,}")
            row = measure_proofs_at(services, target, plan.samples, rng)
            row["build_entries_per_s"] = (target - size) / seconds
            row["build_seconds"] = seconds
            rows.append(row)
            size = target
            if want_check and "check" not in result:
                result["check"] = build_check(
                    services, min(CHECK_LEAVES, target), seeded(plan.seed)
                )
        result["proofs"] = rows
        if plan.profile:
            indices = seeded(plan.seed).sample(range(size), min(plan.samples, size))
            result["proof_profile"] = profile_text(
                lambda: [services.ledger.inclusion_proof(index, size) for index in indices]
            )
    return result


# --- 3. pymerkle -------------------------------------------------------------------------------


def run_pymerkle(python: Path, plan: Plan, check_job: dict[str, Any] | None) -> dict[str, Any]:
    """Run ``pymerkle_side.py`` with ``python``; return its results or why it was skipped."""
    if not python.exists():
        return {"skipped": f"{python} does not exist (scripts/bench_ledger creates it)"}
    job = {
        "sizes": plan.sizes,
        "batch": BUILD_BATCH,
        "samples": plan.samples,
        "seed": plan.seed,
        "tmpdir": plan.tmpdir,
        "check": check_job,
    }
    with tempfile.TemporaryDirectory(prefix="cb-bench-job-", dir=plan.tmpdir) as folder:
        job_file = Path(folder) / "job.json"
        job_file.write_text(json.dumps(job))
        completed = subprocess.run(
            [str(python), str(Path(__file__).with_name("pymerkle_side.py")), str(job_file)],
            stdout=subprocess.PIPE,
            check=False,
        )
    if completed.returncode != 0:
        return {"skipped": f"pymerkle_side.py exited with status {completed.returncode}"}
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def compare_check(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """Count where pymerkle's roots and proofs agree with ours on the same leaf data."""
    roots = sum(theirs["roots"][size] == root for size, root in ours["roots"].items())
    # pymerkle's inclusion path starts with the leaf's own hash; the rest is RFC 9162's path.
    inclusion = sum(
        path[1:] == mine for path, mine in zip(theirs["inclusion"], ours["inclusion"], strict=True)
    )
    # Its consistency path is laid out differently (the inclusion path of leaf ``first`` plus a
    # mask of the hashes that fold into the old root), so only identical lists are counted here;
    # whether its proofs resolve to our roots is checked on its side.
    consistency = sum(
        path == mine for path, mine in zip(theirs["consistency"], ours["consistency"], strict=True)
    )
    return {
        "pymerkle_security_prefixes": theirs["security"],
        "pymerkle_algorithm": theirs["algorithm"],
        "roots_equal": roots,
        "roots_compared": len(ours["roots"]),
        "inclusion_paths_equal": inclusion,
        "inclusion_compared": len(ours["inclusion"]),
        "inclusion_verified_against_our_roots": theirs["inclusion_verified"],
        "consistency_paths_equal": consistency,
        "consistency_compared": len(ours["consistency"]),
        "consistency_verified_against_our_roots": theirs["consistency_verified"],
        "consistency_hashes_ours": sum(len(path) for path in ours["consistency"]),
        "consistency_hashes_pymerkle": sum(len(path) for path in theirs["consistency"]),
    }


# --- output ------------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Return a right-aligned plain-text table."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join("  " + line for line in lines)


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _x(value: float) -> str:
    return f"{value:.2f}x"


def size_label(size: int) -> str:
    """Return ``10^k`` for powers of ten, else the size with separators."""
    exponent = len(str(size)) - 1
    return f"10^{exponent}" if size == 10**exponent else f"{size:,}"


def print_engine(result: dict[str, Any], plan: Plan) -> None:
    """Print one engine's tables."""
    settings = result["settings"]
    details = ", ".join(f"{k}={v}" for k, v in settings.items() if k != "version")
    print(f"\n=== {result['engine']}: {settings['version']} ({details})")
    sizes = result["entry_bytes"]
    print(
        f"\nAppend throughput, entries/s (median of {plan.repeats} repeats)."
        "\nLedger: Ledger.append of record entries; per entry it writes one ledger_entry row"
        f" (index, 32-byte leaf hash, {sizes['envelope_bytes']:.0f}-byte envelope), one"
        f" ledger_opening row (index, 32-byte salt, {sizes['payload_bytes']:.0f}-byte payload)"
        "\nand 1/15 of a ledger_node row (index, 32-byte hash), with the head row update and a"
        " durable commit per batch (SQLite: executemany on the DBAPI cursor; PostgreSQL: binary"
        f" COPY).\nPlain: one row (BIGINT key, {PLAIN_BLOB_BYTES}-byte random blob) per entry"
        " into bench_plain_insert of the same database, SQLAlchemy Core insert() executemany,"
        "\none transaction per batch; ratio = ledger time / plain time, paired per repeat."
    )
    rows = [
        [
            str(row["batch"]),
            str(row["batches_per_repeat"]),
            _n(row["ledger_entries_per_s"]),
            _n(row["plain_rows_per_s"]),
            _x(row["ledger_over_plain_time"]),
        ]
        for row in result["append"]
    ]
    print(table(["batch", "batches", "ledger/s", "plain/s", "ledger/plain"], rows))
    proofs = result["proofs"]
    print(
        f"\nProof latency, ms (median over {proofs[0]['samples']} random indices / prior sizes;"
        " 'call' = Ledger.*_proof incl. connection and head read,\n'nodes' = proof from"
        " StoredNodes on an open connection, 'verify' = creditbank.ledger.proof_checks);"
        " build = append rate growing the log, 1,000/batch."
    )
    rows = [
        [
            size_label(row["size"]),
            _n(row["build_entries_per_s"]),
            _ms(row["inclusion_ms"]),
            _ms(row["inclusion_p90_ms"]),
            _ms(row["inclusion_nodes_ms"]),
            _ms(row["inclusion_verify_ms"]),
            _ms(row["consistency_ms"]),
            _ms(row["consistency_p90_ms"]),
            _ms(row["consistency_nodes_ms"]),
            _ms(row["consistency_verify_ms"]),
        ]
        for row in proofs
    ]
    headers = ["size", "build/s", "incl call", "p90", "nodes", "verify"]
    headers += ["cons call", "p90", "nodes", "verify"]
    if len(proofs) > 1:
        first, last = proofs[0], proofs[-1]
        ratio = [f"{size_label(last['size'])}/{size_label(first['size'])}", ""]
        for key in ("inclusion", "consistency"):
            ratio += [_x(last[f"{key}_ms"] / first[f"{key}_ms"]), ""]
            ratio += [_x(last[f"{key}_nodes_ms"] / first[f"{key}_nodes_ms"]), ""]
        rows.append(ratio)
    print(table(headers, rows))
    for key, title in (("append_profile", "append, 10 x 1,000"), ("proof_profile", "inclusion")):
        if key in result:
            print(f"\ncProfile of {title} ({result['engine']}):\n{result[key]}")


def print_side_by_side(results: dict[str, dict[str, Any]], pymerkle: dict[str, Any]) -> None:
    """Print creditbank and pymerkle figures per size: build rate and proof latencies."""
    title = (
        f"creditbank vs pymerkle {pymerkle['version']}" if "timing" in pymerkle else "creditbank"
    )
    print(f"\n=== {title}, side by side")
    if "check" in pymerkle:
        c = pymerkle["check"]
        n = c["consistency_compared"]
        print(
            f"Same leaf data (the first {c['roots_compared'] - 1:,} entries of the SQLite log;"
            f" pymerkle {c['pymerkle_algorithm']}, RFC 6962 prefixes"
            f" {'on' if c['pymerkle_security_prefixes'] else 'OFF'}; leaf hashes recomputed from"
            f" entry bytes match the stored ones: {c['leaf_hashes_match']}):"
            f"\n  roots equal at {c['roots_equal']}/{c['roots_compared']} sizes 0..n;"
            f" inclusion paths equal {c['inclusion_paths_equal']}/{c['inclusion_compared']}"
            " (pymerkle's path minus its leading leaf hash), and pymerkle's inclusion proofs"
            f" verify against our roots {c['inclusion_verified_against_our_roots']}/"
            f"{c['inclusion_compared']};\n  consistency: pymerkle's proofs verify against our"
            f" roots {c['consistency_verified_against_our_roots']}/{n}, but its paths equal ours"
            f" {c['consistency_paths_equal']}/{n}: pymerkle 7 does not use the RFC 9162 layout"
            " (it sends the inclusion path of leaf\n  'first' plus a mask of the hashes folding"
            f" into the old root): {c['consistency_hashes_pymerkle']:,} hashes in all vs"
            f" {c['consistency_hashes_ours']:,} in ours."
        )
    columns: list[tuple[str, dict[int, dict[str, Any]]]] = [
        (f"cb-{name}", {row["size"]: row for row in result["proofs"]})
        for name, result in results.items()
        if "proofs" in result
    ]
    for backend, figures in pymerkle.get("timing", {}).items():
        columns.append((f"pm-{backend}", {row["size"]: row for row in figures["rows"]}))
    sizes = sorted({size for _, rows in columns for size in rows})
    metrics = [
        ("build, entries/s (1,000-entry batches)", "build_entries_per_s", _n),
        ("inclusion proof, ms", "inclusion_ms", _ms),
        ("inclusion verify, ms", "inclusion_verify_ms", _ms),
        ("consistency proof, ms", "consistency_ms", _ms),
        ("consistency verify, ms", "consistency_verify_ms", _ms),
    ]
    for title, key, render in metrics:
        print(f"\n{title}")
        rows = [
            [size_label(size)]
            + [render(rows[size][key]) if size in rows else "-" for _, rows in columns]
            for size in sizes
        ]
        if len(sizes) > 1 and key != "build_entries_per_s":
            rows.append(
                [f"{size_label(sizes[-1])}/{size_label(sizes[0])}"]
                + [_x(rows_[sizes[-1]][key] / rows_[sizes[0]][key]) for _, rows_ in columns]
            )
        print(table(["size", *(name for name, _ in columns)], rows))
    print(
        "\ncb-* = creditbank through Ledger (durable commit per batch, envelopes, openings,"
        " nodes);\npm-inmemory = pymerkle InmemoryTree (no storage); pm-sqlite = pymerkle"
        " SqliteTree (one leaf table, a transaction per batch, default journal)."
    )


def evaluate_targets(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Check the project's targets against what was measured."""
    targets: list[dict[str, Any]] = []
    for engine, result in results.items():
        if "append" not in result:
            continue
        batched = next(
            row
            for row in result["append"]
            if row["batch"] == max(r["batch"] for r in result["append"])
        )
        ratio = batched["ledger_over_plain_time"]
        targets.append(
            {
                "engine": engine,
                "target": f"batched append ({batched['batch']:,}/batch) within 3x plain insert",
                "measured": _x(ratio),
                "met": ratio <= 3.0,
            }
        )
        if engine == "sqlite":
            rate = batched["ledger_entries_per_s"]
            targets.append(
                {
                    "engine": engine,
                    "target": f">= 10,000 entries/s with {batched['batch']:,}-entry batches",
                    "measured": f"{rate:,.0f}/s",
                    "met": rate >= 10_000,
                }
            )
        proofs = result["proofs"]
        if len(proofs) > 1:
            first, last = proofs[0], proofs[-1]
            span = f"{size_label(last['size'])} vs {size_label(first['size'])}"
            for key in ("inclusion", "consistency"):
                ratio = last[f"{key}_ms"] / first[f"{key}_ms"]
                targets.append(
                    {
                        "engine": engine,
                        "target": f"{key} proof latency {span} within 2x",
                        "measured": _x(ratio),
                        "met": ratio <= 2.0,
                    }
                )
    return targets


def print_targets(targets: list[dict[str, Any]]) -> None:
    """Print each target as MET or MISSED."""
    print("\n=== targets")
    for target in targets:
        verdict = "MET   " if target["met"] else "MISSED"
        print(f"  [{verdict}] {target['engine']:>8}: {target['target']}: {target['measured']}")


# --- main --------------------------------------------------------------------------------------


def parse_sizes(value: str) -> list[int]:
    """Parse ``1000,1e5,10^6`` into sorted distinct sizes (each >= 2)."""
    sizes: set[int] = set()
    for raw in value.split(","):
        item = raw.strip().replace("_", "")
        if "^" in item:
            base, exponent = item.split("^")
            size = int(base) ** int(exponent)
        else:
            size = int(float(item)) if "e" in item.lower() else int(item)
        if size < 2:
            raise argparse.ArgumentTypeError(f"tree sizes must be >= 2, got {item}")
        sizes.add(size)
    return sorted(sizes)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="scripts/bench_ledger", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="CI-sized: up to 10^5, fewer runs")
    parser.add_argument("--sizes", type=parse_sizes, help="tree sizes, e.g. 1000,1e5,10^6")
    parser.add_argument("--repeats", type=int, help="append repeats (default 5, quick 3)")
    parser.add_argument("--samples", type=int, help="proofs per size (default 200, quick 100)")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--no-pymerkle", action="store_true", help="skip the pymerkle side")
    parser.add_argument("--profile", action="store_true", help="print cProfile of hot paths")
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(POSTGRES_ENV) or None,
        help=f"PostgreSQL server (default ${POSTGRES_ENV}, else {DEFAULT_POSTGRES_URL})",
    )
    parser.add_argument("--pymerkle-python", type=Path, default=PYMERKLE_PYTHON)
    parser.add_argument("--tmpdir", help="folder for the SQLite files (default: system temp)")
    parser.add_argument("--seed", type=int, default=9162)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print its tables (and write JSON when asked)."""
    args = parse_args(argv)
    started = time.perf_counter()
    plan = Plan(
        batches=QUICK_BATCHES if args.quick else FULL_BATCHES,
        sizes=args.sizes or list(QUICK_SIZES if args.quick else FULL_SIZES),
        repeats=args.repeats or (3 if args.quick else 5),
        samples=args.samples or (100 if args.quick else 200),
        seed=args.seed,
        profile=args.profile,
        tmpdir=args.tmpdir,
    )
    print(
        f"creditbank ledger benchmark: Python {platform.python_version()}, {os.cpu_count()} CPUs,"
        f" {platform.platform()}\nsizes {', '.join(size_label(s) for s in plan.sizes)};"
        f" append batches {plan.batches} per repeat, {plan.repeats} repeats;"
        f" {plan.samples} proofs per size; seed {plan.seed}",
        flush=True,
    )
    results: dict[str, dict[str, Any]] = {}
    engines = ["sqlite"]
    postgres_url = args.postgres_url or DEFAULT_POSTGRES_URL
    if args.sqlite_only:
        results["postgres"] = {"skipped": "--sqlite-only"}
    else:
        reason = postgres_unreachable(postgres_url)
        if reason is None:
            engines.append("postgres")
        else:
            source = "--postgres-url/" + POSTGRES_ENV if args.postgres_url else "default URL"
            results["postgres"] = {"skipped": f"{postgres_url} ({source}) unreachable: {reason}"}
    for engine in engines:
        results[engine] = run_engine(engine, plan, postgres_url, want_check=engine == "sqlite")
        print_engine(results[engine], plan)
        sys.stdout.flush()
    for engine, result in results.items():
        if "skipped" in result:
            print(f"\n=== {engine}: skipped: {result['skipped']}")

    pymerkle: dict[str, Any] = {"skipped": "--no-pymerkle"}
    if not args.no_pymerkle:
        log("pymerkle: building and proving")
        check = results["sqlite"].get("check")
        pymerkle = run_pymerkle(args.pymerkle_python, plan, check["job"] if check else None)
        if check and "check" in pymerkle:
            pymerkle["check"] = {
                **compare_check(check["ours"], pymerkle["check"]),
                "leaf_hashes_match": check["leaf_hashes_match"],
            }
    if "skipped" in pymerkle:
        print(f"\n=== pymerkle: skipped: {pymerkle['skipped']}")
    print_side_by_side(results, pymerkle)

    targets = evaluate_targets(results)
    print_targets(targets)
    elapsed = time.perf_counter() - started
    print(f"\ntotal run time {elapsed / 60:.1f} min")
    if args.json:
        for result in results.values():
            result.pop("check", None)  # the leaf data is bulky; the comparison is kept
        document = {
            "plan": asdict(plan),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "engines": results,
            "pymerkle": pymerkle,
            "targets": targets,
            "run_seconds": elapsed,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=2))
        print(f"results written to {args.json}")


if __name__ == "__main__":
    main()
