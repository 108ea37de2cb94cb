"""A writer process for the concurrency test: threads appending batches until time is up.

Runs in a spawned process; returns what it saw acknowledged and what it rolled back.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.group import GroupCommitter, Submission
from creditbank.ledger.sequencer import AppendResult, NewEntry, append_entries, seal_entries
from creditbank.storage.database import create_db_engine, write_transaction


class _Abort(Exception):
    """Raised on purpose after appending, to roll a batch back."""


@dataclass
class WriterReport:
    """Tags acknowledged with their indices, and tags whose batch was rolled back."""

    acknowledged: dict[str, int] = field(default_factory=dict)
    rolled_back: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _append(
    engine: Any, committer: GroupCommitter | None, batch: list[NewEntry], abort: bool
) -> AppendResult:
    if committer is None:
        with write_transaction(engine) as connection:
            result = append_entries(connection, batch)
            if abort:
                raise _Abort
            return result

    def stage(_connection: Any) -> None:
        if abort:
            raise _Abort  # this request alone is rolled back, the rest of its group goes on

    return committer.submit(Submission(seal_entries(batch), stage, lambda _result: []))


def run_writer(
    url: str, process: int, threads: int, seconds: float, group: bool = False
) -> WriterReport:
    """Append random batches from ``threads`` threads for ``seconds``; some abort.

    With ``group`` the threads share one group committer, as a web worker's do.
    """
    engine = create_db_engine(url, pool_size=threads, max_overflow=0)
    committer = GroupCommitter(engine) if group else None
    report = WriterReport()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def work(thread: int) -> None:
        rng = random.Random(process * 1000 + thread)
        batch_no = 0
        while time.monotonic() < deadline:
            batch_no += 1
            tags = [f"p{process}t{thread}b{batch_no}e{i}" for i in range(rng.randint(1, 25))]
            batch = [
                NewEntry(EntryKind.RECORD_POSTED, f"institution:P{process}", {"tag": tag})
                for tag in tags
            ]
            abort = batch_no % 7 == 2  # from the second batch on, so a slow run still aborts some
            try:
                result = _append(engine, committer, batch, abort)
            except _Abort:
                with lock:
                    report.rolled_back.extend(tags)
                continue
            except Exception as exc:  # reported to the test, which fails on any
                with lock:
                    report.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                report.acknowledged.update(
                    (tag, entry.index) for tag, entry in zip(tags, result.entries, strict=True)
                )

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    engine.dispose()
    return report
