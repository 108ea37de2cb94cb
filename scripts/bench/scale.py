"""Benchmark: banks of 10^5, 10^6 … outcome records on PostgreSQL with a streaming replica.

For each size a primary and a hot standby of its own are made (``initdb`` and
``pg_basebackup -R``, see pg_clusters.py; fsync on), the demonstration bank is loaded, and
then learners (one per 20 outcomes, as in 上海终身教育学分银行: 85 million outcomes for 4.3
million accounts), institutions (one per 1,000 learners) and course outcomes are added
through the service's own batched path (``open_accounts``, ``post_batch`` in signed batches
of 1,000 records) by ``--processes`` builders at once (scale_builder.py) while this process
runs the dashboard and partitions jobs as the scheduler would, with evaluate consents and
committed evaluations for some learners, then ``VACUUM (ANALYZE)``. Then:

* per request, p50 and p99 with ``--clients`` concurrent clients (threads, each its own
  test client of the application, in this process): inclusion and consistency proofs, the
  verification of a transcript of 60 records, the dashboard, a learner's portal page and a
  registrar's what-if;
* the audit: the incremental audit over the whole log and the full pass (unless skipped),
  one whole partition, and the incremental audit over a fresh 10,000 entries;
* the JSON backup's and its restore's time, and bytes on disk per outcome;
* log read throughput (proofs and entry pages) from ``--readers`` processes against the
  primary alone, then with the replica in use, in the same run;
* cohort throughput (learners evaluated per second) with one process, then two.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text

from creditbank.app import create_app
from creditbank.backup.export import export_backup
from creditbank.backup.restore import restore_backup
from creditbank.canonical import canonical_json
from creditbank.clock import utc_now
from creditbank.cohorts.service import job_view, queue
from creditbank.config import Settings
from creditbank.demo import DEMO_KEYS, DEMO_PASSWORD, DEMO_POLICY, LEARNERS, load_demo
from creditbank.evaluations.service import commit_current
from creditbank.identity.documents import check_digit, parse_document
from creditbank.identity.principals import CONSOLE_ACTOR
from creditbank.indicators.snapshot import refresh
from creditbank.institutions.service import InstitutionInfo, add_signing_key, register_institution
from creditbank.learners.service import ConsentScope, NewLearner, grant_consent, learner_t
from creditbank.ledger.frontier import FRONTIERS
from creditbank.ledger.full_audit import Walk
from creditbank.ledger.keys import Keyring
from creditbank.ledger.service import Ledger
from creditbank.ledger.store import all_checkpoints, read_head
from creditbank.operations.audit import (  # _save_good: see _audited_as_built
    _save_good,
    full_audit,
    incremental_audit,
    partition_audit,
)
from creditbank.operations.partitions import make_ahead
from creditbank.records.parsing import parse_outcome
from creditbank.records.service import BatchRequest, BatchSignature, NewRecord, post_batch
from creditbank.records.signed_items import sign_items
from creditbank.schema import metadata
from creditbank.storage.database import create_db_engine, read_connection
from creditbank.storage.migrate import upgrade
from creditbank.storage.replicas import ReadPool
from creditbank.transcripts.issuing import issue_transcript
from creditbank.transcripts.revocation import DependentTranscripts
from creditbank.wiring import EXTENSION, Services, initialise
from scripts.bench.pg_clusters import Pair, primary_and_replica, why_unavailable
from scripts.load.postgres import TABLE_BYTES

ROOT = Path(__file__).resolve().parents[2]
OUTCOMES_PER_LEARNER = 20
LEARNERS_PER_INSTITUTION = 1000
BATCH = 1000
HOME = "CQ-GZ-001"  # the demo's 高职: its registrar runs the what-ifs and the cohorts
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _size(text_value: str) -> int:
    return int(float(text_value))


def course(learner: str, institution: str, n: int) -> dict[str, Any]:
    """The ``n``-th course outcome of a learner, as an institution posts it."""
    return {
        "learner_id": learner,
        "kind": "course",
        "course_code": f"C{n % 997:03d}-{n // 997 % 1000:03d}",
        "title_zh": "液压与气动技术",
        "source_institution": institution,
        "level": "gaozhi",
        "programme": "机电一体化技术",
        "term": f"{2019 + n % 6}-{2020 + n % 6}-{1 + n % 2}",
        "hours": 48,
        "credits": "3",
        "grade": {"scale": "percent", "value": str(60 + n % 40)},
        "completed_on": f"{2020 + n % 6}-01-10",
    }


@dataclass
class Poster:
    """An institution that posts signed batches with a key it registered."""

    code: str
    key: Ed25519PrivateKey
    key_id: str
    batches: int = 0

    def batch(self, items: list[dict[str, Any]]) -> BatchRequest:
        """A signed batch of ``items`` (each with its ``learner_id``)."""
        today = utc_now().date()
        records = [
            NewRecord(
                item["learner_id"],
                parse_outcome({k: v for k, v in item.items() if k != "learner_id"}, today=today),
            )
            for item in items
        ]
        signature = BatchSignature(self.key_id, sign_items(self.code, items, self.key.sign), True)
        self.batches += 1
        body = canonical_json({"records": items})
        return BatchRequest(
            self.code, "bench", f"{self.key_id}-{self.batches}", body, records, signature
        )


def _poster(services: Services, code: str) -> Poster:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    added = add_signing_key(
        services.ledger, code, public, actor=f"institution:{code}", now=utc_now()
    )
    return Poster(code, key, added.key_id)


def people(start: int, count: int) -> list[NewLearner]:
    """Learners ``start`` to ``start + count``, each with a valid resident identity card."""
    today = utc_now().date()
    people = []
    for n in range(start, start + count):
        born = date(1995, 1, 1) + timedelta(days=n // 1000)
        first17 = f"310101{born:%Y%m%d}{n % 1000:03d}"
        document = parse_document("resident_id", first17 + check_digit(first17), today=today)
        people.append(NewLearner(f"学员{n}", document))
    return people


@dataclass
class Built:
    """What a build made, and how long it took."""

    outcomes: int
    learners: list[str]
    consenting: list[str]
    institutions: int
    evaluations: int
    transcript_code: str
    entries: int
    seconds: dict[str, float]


def build(
    services: Services,
    outcomes: int,
    *,
    cohort: int,
    processes: int,
    log: Callable[[str], None],
) -> Built:
    """Fill a bank (the demo already loaded) up to ``outcomes`` course records."""
    ledger, now = services.ledger, utc_now()
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    learner_count = max(outcomes // OUTCOMES_PER_LEARNER, 100)
    institution_count = max(learner_count // LEARNERS_PER_INSTITUTION, 5)
    posters = []
    for n in range(institution_count):
        code = f"SH-GZ-{n:04d}"
        info = InstitutionInfo(
            code, f"上海职业学院{n}", f"College {n}", "gaozhi_college", "gaozhi", "上海"
        )
        register_institution(ledger, info, actor=CONSOLE_ACTOR, now=now)
        posters.append(_poster(services, code))
    seconds["institutions"] = time.perf_counter() - started
    started = time.perf_counter()
    during = _build_in_processes(
        services,
        posters,
        learners=learner_count,
        outcomes=outcomes,
        processes=processes,
        log=log,
    )
    seconds["learners_and_outcomes"] = time.perf_counter() - started
    seconds["indicators_during_build"] = during
    learners = _learners_of(services, [poster.code for poster in posters])
    posted = min(outcomes, len(learners) * OUTCOMES_PER_LEARNER)
    log(f"  {len(learners)} learners, {institution_count} institutions, {posted} outcomes")

    # 李明 (the first demo learner) gets 60 courses from the 高职, for the transcript below.
    started = time.perf_counter()
    li = _demo_learner(services)
    home = _poster(services, HOME)
    post_batch(ledger, home.batch([course(li, HOME, 5000 + k) for k in range(60)]), now=utc_now())
    consenting = learners[:cohort]
    until = utc_now() + timedelta(days=365)
    for learner in consenting:
        grant_consent(ledger, learner, HOME, ConsentScope.EVALUATE, until, now=utc_now())
    policy = services.policies[DEMO_POLICY]
    evaluations = 0
    for learner in consenting[: max(len(consenting) // 10, 1)]:
        commit_current(
            ledger,
            learner_id=learner,
            institution=HOME,
            actor=f"institution:{HOME}",
            by="bench",
            policy=policy,
            on=utc_now().date(),
            now=utc_now(),
            revoke_dependents=DependentTranscripts(services.issuer_identity()).of_transfer,
        )
        evaluations += 1
    ledger.publish_checkpoint()
    issued = issue_transcript(
        ledger,
        services.sealer,
        services.issuer_identity(),
        li,
        witness_keys=(),
        record_ids=None,
        language="zh",
        validity_days=180,
        now=utc_now(),
        actor="bank",
    )
    seconds["consents_evaluations_transcript"] = time.perf_counter() - started
    started = time.perf_counter()
    refresh(services.engine, services.policies, now=utc_now())
    seconds["indicators_catch_up"] = time.perf_counter() - started
    return Built(
        posted + 60,
        learners,
        consenting,
        institution_count,
        evaluations,
        issued.code,
        ledger.head().size,
        seconds,
    )


def _build_in_processes(
    services: Services,
    posters: list[Poster],
    *,
    learners: int,
    outcomes: int,
    processes: int,
    log: Callable[[str], None],
) -> float:
    """Run ``processes`` builders (scale_builder.py) at once; return the indicator job's time.

    Meanwhile this process runs the dashboard and partitions jobs every ten seconds, as the
    scheduler does: the indicators follow the postings instead of counting the whole bank at
    the end, and the log's partitions stay ahead of the appends.
    """
    plan = {
        "url": services.settings.database_url,
        "instance": str(services.settings.instance_path),
        "posters": [
            {
                "code": poster.code,
                "key": poster.key.private_bytes_raw().hex(),
                "key_id": poster.key_id,
            }
            for poster in posters
        ],
        "learners": learners,
        "outcomes": outcomes,
        "processes": processes,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump(plan, file)
        file.flush()
        builders = [
            subprocess.Popen(
                [sys.executable, "-m", "scripts.bench.scale_builder", file.name, str(n)],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            for n in range(processes)
        ]
        indicators = 0.0
        while any(builder.poll() is None for builder in builders):
            time.sleep(10)
            make_ahead(services.engine)  # the partitions job, as the scheduler runs it
            started = time.perf_counter()
            refresh(services.engine, services.policies, now=utc_now())
            indicators += time.perf_counter() - started
    failed = [builder.returncode for builder in builders if builder.returncode]
    if failed:
        raise SystemExit(f"a builder failed (exit codes {failed})")
    log(f"  indicator job during the build: {indicators:.0f}s")
    return indicators


def _learners_of(services: Services, institutions: list[str]) -> list[str]:
    """The accounts the builders opened, in the order they were opened."""
    with read_connection(services.engine) as connection:
        return list(
            connection.execute(
                select(learner_t.c.id)
                .where(learner_t.c.opened_by.in_(institutions))
                .order_by(learner_t.c.ledger_index)
            ).scalars()
        )


def _demo_learner(services: Services) -> str:
    with read_connection(services.engine) as connection:
        return str(
            connection.execute(
                text("SELECT learner FROM consent WHERE institution = :i ORDER BY granted_index"),
                {"i": HOME},
            ).first()[0]  # type: ignore[index]
        )


# --- per-request latency ---------------------------------------------------------------------


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(1000 * statistics.median(ordered), 2),
        "p99_ms": round(1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2),
        "n": len(ordered),
    }


def _under_clients(
    app: Flask,
    clients: int,
    samples: int,
    prepare: Callable[[FlaskClient], None],
    request: Callable[[FlaskClient, random.Random], Any],
) -> dict[str, float]:
    """Latencies of ``samples`` requests spread over ``clients`` concurrent clients."""
    times: list[float] = []
    lock = threading.Lock()
    errors: list[str] = []

    def client_loop(number: int) -> None:
        client = app.test_client()
        prepare(client)
        rng = random.Random(number)
        for _ in range(samples // clients):
            started = time.perf_counter()
            response = request(client, rng)
            took = time.perf_counter() - started
            if response.status_code != 200:
                errors.append(f"{response.status_code}: {response.get_data(as_text=True)[:200]}")
            with lock:
                times.append(took)

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed, first: {errors[0]}")
    return _percentiles(times)


def _sign_in_learner(client: FlaskClient) -> None:
    found = _TOKEN.search(client.get("/signin").get_data(as_text=True))
    assert found is not None
    answer = client.post(
        "/signin",
        data={
            "csrf_token": found.group(1),
            "form": "learner",
            "document_kind": "resident_id",
            "document_number": LEARNERS[0].document_number,
            "password": DEMO_PASSWORD,
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]


def latencies(
    app: Flask, built: Built, *, clients: int, samples: int, li: str
) -> dict[str, dict[str, float]]:
    """p50/p99 of every per-request figure."""
    size = built.entries
    registrar = {"Authorization": f"Bearer {DEMO_KEYS['cq-gz-registrar'][2]}"}
    nothing: Callable[[FlaskClient], None] = lambda _client: None  # noqa: E731
    return {
        "inclusion_proof": _under_clients(
            app,
            clients,
            samples,
            nothing,
            lambda c, r: c.get(
                f"/api/v1/log/proofs/inclusion?index={r.randrange(size)}&size={size}"
            ),
        ),
        "consistency_proof": _under_clients(
            app,
            clients,
            samples,
            nothing,
            lambda c, r: c.get(
                f"/api/v1/log/proofs/consistency?first={r.randrange(1, size)}&second={size}"
            ),
        ),
        "verify_60_record_transcript": _under_clients(
            app,
            clients,
            max(samples // 4, clients),
            nothing,
            lambda c, r: c.get(f"/api/v1/verify/{built.transcript_code}"),
        ),
        "dashboard": _under_clients(
            app, clients, samples, nothing, lambda c, r: c.get("/dashboard")
        ),
        "portal_page": _under_clients(
            app, clients, samples, _sign_in_learner, lambda c, r: c.get("/portal")
        ),
        "what_if": _under_clients(
            app,
            clients,
            samples,
            nothing,
            lambda c, r: c.post(
                "/api/v1/evaluations/what-if",
                json={"learner_id": li, "policy": DEMO_POLICY},
                headers=registrar,
            ),
        ),
    }


# --- jobs --------------------------------------------------------------------------------------


def audit_throughput(
    services: Services, built: Built, *, whole: bool, full: bool
) -> dict[str, float]:
    """The audit jobs: the nightly full pass, one partition, the incremental audit.

    With ``whole`` the incremental audit first walks the whole log from nothing (what a bank
    that never ran it would do); either way the full pass brings the audit up to the head, and
    then the incremental audit checks 10,000 fresh entries, as it does every few seconds.
    Without ``full`` (a bank too large for a full pass in the hour) the audit's state is set
    at the built size as the job would have left it running through the build, and only the
    partition and the fresh entries are measured.
    """
    figures: dict[str, float] = {"whole_log_entries": built.entries}
    if whole:
        started = time.perf_counter()
        incremental_audit(services.ledger, sample=100)
        took = time.perf_counter() - started
        figures["incremental_whole_log_seconds"] = round(took, 2)
        figures["incremental_whole_log_entries_per_s"] = round(built.entries / took)
    if full:
        started = time.perf_counter()
        full_audit(services.ledger)
        took = time.perf_counter() - started
        figures["full_pass_seconds"] = round(took, 2)
        figures["full_pass_entries_per_s"] = round(built.entries / took)
    else:
        _audited_as_built(services)
        figures["audit_state_seeded_at_build_size"] = True
    started = time.perf_counter()
    report = partition_audit(services.ledger, number=0)
    took = time.perf_counter() - started
    entries = int(re.search(r"entries 0\.\.(\d+)", report or "").group(1)) + 1  # type: ignore[union-attr]
    figures["partition_0_entries"] = entries
    figures["partition_0_seconds"] = round(took, 2)
    figures["partition_0_entries_per_s"] = round(entries / took)
    poster = _poster(services, HOME)
    learners = built.learners[:500]
    for first in range(0, 10_000, BATCH):
        items = [
            course(learners[(first + k) % len(learners)], HOME, 7000 + first + k)
            for k in range(BATCH)
        ]
        post_batch(services.ledger, poster.batch(items), now=utc_now())
    services.ledger.publish_checkpoint()
    size = services.ledger.head().size
    started = time.perf_counter()
    incremental_audit(services.ledger, sample=100)
    fresh = time.perf_counter() - started
    figures["fresh_entries"] = size - built.entries
    figures["fresh_seconds"] = round(fresh, 2)
    figures["fresh_entries_per_s"] = round((size - built.entries) / fresh)
    return figures


def _audited_as_built(services: Services) -> None:
    """Record the audit as having reached the head (what the 10-second job keeps doing).

    Only for a benchmark that cannot afford a full pass: the frontier and chain are the
    sequencer's own, so the next incremental audit checks what comes after them.
    """
    with read_connection(services.engine) as connection:
        head = read_head(connection)
        tree = FRONTIERS.frontier(connection, head)
        last = max((c.id for c in all_checkpoints(connection)), default=0)
    walk = Walk([], tree, head.last_leaf_hash)
    _save_good(services.engine, walk, last, full=False, now=utc_now())


def backup_restore(services: Services, pair: Pair, work: Path) -> dict[str, float]:
    """Time the JSON backup and its restore into an empty database on the same server."""
    target = work / "backup"
    started = time.perf_counter()
    export_backup(services.ledger, target, schema=metadata, now=utc_now())
    backed = time.perf_counter() - started
    admin = create_engine(
        pair.primary.url.replace("postgresql://", "postgresql+psycopg://"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.execute(text("CREATE DATABASE restored"))
    admin.dispose()
    url = pair.primary.url.rsplit("/", 1)[0] + "/restored"
    settings = services.settings.with_overrides({"database_url": url, "replica_urls": ()})
    engine = create_db_engine(url)
    upgrade(engine)
    ledger = Ledger(engine, Keyring.open(settings.keys_path, None), origin=settings.log_origin)
    started = time.perf_counter()
    restore_backup(ledger, target, schema=metadata)
    restored = time.perf_counter() - started
    engine.dispose()
    size = sum(f.stat().st_size for f in target.rglob("*") if f.is_file())
    return {
        "backup_seconds": round(backed, 1),
        "restore_seconds": round(restored, 1),
        "backup_bytes": size,
    }


def vacuum_analyze(services: Services) -> float:
    """``VACUUM (ANALYZE)`` after the bulk load, as an operator runs it; return its seconds.

    Measuring right after loading millions of rows would otherwise time autovacuum's catching
    up (and the planner's statistics of an empty table) along with every request.
    """
    started = time.perf_counter()
    with services.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM (ANALYZE)"))
    return round(time.perf_counter() - started, 1)


def disk(services: Services, outcomes: int) -> dict[str, float]:
    """Bytes on disk: the database and the log tables, per outcome."""
    with read_connection(services.engine) as connection:
        database = connection.execute(
            text("SELECT pg_database_size(current_database())")
        ).scalar_one()
        log_tables = connection.execute(
            text(
                f"SELECT sum({TABLE_BYTES}) FROM pg_class AS c WHERE c.oid = ANY(ARRAY["  # noqa: S608
                "'ledger_entry', 'ledger_node', 'ledger_opening', 'ledger_sealed_opening',"
                " 'ledger_checkpoint']::regclass[])"
            )
        ).scalar_one()
    return {
        "database_bytes": int(database),
        "log_table_bytes": int(log_tables),
        "database_bytes_per_outcome": round(int(database) / outcomes),
        "log_bytes_per_outcome": round(int(log_tables) / outcomes),
    }


# --- read throughput: processes reading the log, with and without the replica ----------------


@dataclass(frozen=True)
class ReaderJob:
    """What one reading process reads from, and for how long."""

    primary: str
    replica: str | None
    keys: str
    origin: str
    seconds: float


def _reader(job: ReaderJob, out: Any) -> None:
    primary, replica, keys, origin, seconds = (
        job.primary,
        job.replica,
        job.keys,
        job.origin,
        job.seconds,
    )
    engine = create_db_engine(primary)
    pool = (
        ReadPool.from_urls(engine, [replica], max_lag_seconds=5.0, check_every_seconds=1.0)
        if replica
        else ReadPool(engine, [])
    )
    ledger = Ledger(engine, Keyring.open(Path(keys), None), origin=origin, reads=pool)
    with read_connection(engine) as connection:
        size = read_head(connection).size
    rng = random.Random(os.getpid())
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        if done % 4 == 3:
            start = rng.randrange(size - 100)
            ledger.entries(start, start + 100)
        else:
            ledger.inclusion_proof(rng.randrange(size), size)
        done += 1
    out.put((done, pool.served["replica"]))


def read_throughput(
    services: Services, pair: Pair | None, *, readers: int, seconds: float
) -> dict[str, float]:
    """Log reads per second from ``readers`` processes: primary alone, then with any replica."""
    context = multiprocessing.get_context("spawn")
    result: dict[str, float] = {}
    runs: list[tuple[str, str | None]] = [("primary_only", None)]
    if pair is not None:
        runs.append(("primary_and_replica", pair.replica.url))
    for label, replica in runs:
        out = context.Queue()
        processes = [
            context.Process(
                target=_reader,
                args=(
                    ReaderJob(
                        services.settings.database_url,
                        replica,
                        str(services.settings.keys_path),
                        services.settings.log_origin,
                        seconds,
                    ),
                    out,
                ),
            )
            for _ in range(readers)
        ]
        for process in processes:
            process.start()
        counts = [out.get(timeout=seconds + 120) for _ in processes]
        for process in processes:
            process.join()
        result[f"{label}_reads_per_s"] = round(sum(c[0] for c in counts) / seconds)
        result[f"{label}_share_on_replica"] = round(
            sum(c[1] for c in counts) / max(sum(c[0] for c in counts), 1), 2
        )
    return result


# --- cohorts in one and two processes ----------------------------------------------------------


def cohort_throughput(services: Services, built: Built, *, processes: int) -> dict[str, float]:
    """Learners evaluated per second by ``processes`` worker processes sharing one cohort."""
    job = queue(
        services.engine,
        institution=HOME,
        submitted_by="bench",
        policy_id=DEMO_POLICY,
        on=utc_now().date(),
        learners=built.consenting,
        now=utc_now(),
    )
    ready = Path(tempfile.mkdtemp(prefix="cohort-workers-"))
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "scripts.bench.scale_worker",
                services.settings.database_url,
                str(services.settings.instance_path),
                str(ready),
                f"w{n}",
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for n in range(processes)
    ]
    while len(list(ready.iterdir())) < processes:
        time.sleep(0.005)
    started = time.perf_counter()
    (ready / "go").touch()
    for worker in workers:
        worker.wait()
    took = time.perf_counter() - started
    shutil.rmtree(ready)
    done = job_view(services.engine, job.id, HOME)
    assert done.status == "done" and done.done == len(built.consenting), done
    return {
        "learners": len(built.consenting),
        "seconds": round(took, 2),
        "learners_per_s": round(len(built.consenting) / took, 1),
    }


# --- one size ----------------------------------------------------------------------------------


def run_size(outcomes: int, args: argparse.Namespace, log: Callable[[str], None]) -> dict[str, Any]:
    """Build a bank of ``outcomes`` and measure everything on it."""
    replica = "replica" not in args.skip
    with (
        primary_and_replica(fsync=True, replica=replica, settings=args.server_settings) as pair,
        tempfile.TemporaryDirectory() as work,
    ):
        settings = Settings(
            instance_path=Path(work) / "instance",
            database_url=pair.primary.url,
            checkpoint_interval_seconds=5.0,
            replica_urls=(pair.replica.url,) if replica else (),
            replica_max_lag_seconds=30.0,
        )
        services = initialise(settings)
        load_demo(services, now=utc_now())
        li = _demo_learner(services)
        started = time.perf_counter()
        built = build(services, outcomes, cohort=args.cohort, processes=args.processes, log=log)
        build_seconds = time.perf_counter() - started
        log(f"  built in {build_seconds:.0f}s: {built.entries} entries")
        app = create_app(
            {"instance_path": settings.instance_path, "database_url": settings.database_url}
        )
        app.testing = True  # no scheduler in this process: the benchmark runs the jobs itself
        app.extensions[EXTENSION].set(services)
        figures: dict[str, Any] = {
            "outcomes": built.outcomes,
            "learners": len(built.learners),
            "institutions": built.institutions,
            "committed_evaluations": built.evaluations,
            "log_entries": built.entries,
            "build_seconds": round(build_seconds),
            "build_parts_seconds": {k: round(v, 1) for k, v in built.seconds.items()},
        }
        log("  vacuum")
        figures["vacuum_analyze_seconds"] = vacuum_analyze(services)
        figures["disk"] = disk(services, built.outcomes)
        log("  latencies")
        figures["latency"] = latencies(
            app, built, clients=args.clients, samples=args.samples, li=li
        )
        log("  read throughput")
        figures["log_reads"] = read_throughput(
            services, pair if replica else None, readers=args.readers, seconds=args.seconds
        )
        log("  cohorts")
        figures["cohort_1_process"] = cohort_throughput(services, built, processes=1)
        figures["cohort_2_processes"] = cohort_throughput(services, built, processes=2)
        log("  audit")
        figures["audit"] = audit_throughput(
            services,
            built,
            whole="whole-audit" not in args.skip,
            full="full-audit" not in args.skip,
        )
        if "backup" in args.skip:
            log("  backup and restore skipped (--skip backup)")
        else:
            log("  backup and restore")
            figures["backup"] = backup_restore(services, pair, Path(work))
        services.close()
        return figures


def main() -> None:
    """Run the sizes asked for; print (and with --json write) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e5", help="outcome records per bank, e.g. 1e5,1e6")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients per request")
    parser.add_argument("--samples", type=int, default=200, help="requests per figure")
    parser.add_argument("--readers", type=int, default=2, help="processes reading the log")
    parser.add_argument("--seconds", type=float, default=10.0, help="each read-throughput run")
    parser.add_argument("--cohort", type=int, default=1000, help="learners in the cohort runs")
    parser.add_argument(
        "--processes", type=int, default=2, help="builder processes posting at once"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--skip",
        type=lambda value: set(value.split(",")),
        default=set(),
        help="parts to leave out: backup (the JSON export needs about 3.7 kB of disk per outcome "
        "beside the clusters), replica (the standby doubles the disk the bank takes), "
        "whole-audit (the incremental audit's first walk over the whole log), full-audit (the "
        "nightly full pass; the audit's state is then set at the built size)",
    )
    parser.add_argument(
        "--server-settings",
        default="",
        help="further PostgreSQL settings for the clusters, e.g. "
        "'-c shared_buffers=2GB -c max_wal_size=4GB'",
    )
    args = parser.parse_args()
    reason = why_unavailable()
    if reason is not None:
        print(f"skipped: {reason}")
        return
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    results: dict[str, Any] = {"sizes": {}}
    for raw in args.sizes.split(","):
        outcomes = _size(raw)
        log(f"== {outcomes} outcomes")
        results["sizes"][str(outcomes)] = run_size(outcomes, args, log)
        print(json.dumps({str(outcomes): results["sizes"][str(outcomes)]}, indent=2))
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
