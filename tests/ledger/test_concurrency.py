"""Several processes × several threads sequencing at once: no gap, no duplicate, no loss."""

from __future__ import annotations

import json
import multiprocessing

import pytest
from sqlalchemy import select

from creditbank.ledger.full_audit import audit_ledger
from creditbank.ledger.store import entry_t, opening_t
from creditbank.storage.database import read_connection
from creditbank.wiring import Services
from tests.ledger.concurrent_writers import WriterReport, run_writer

PROCESSES = 4
THREADS = 4
SECONDS = 4.0


@pytest.mark.parametrize("group", [False, True], ids=["transactions", "group-commit"])
def test_concurrent_writers(services: Services, engine_name: str, group: bool) -> None:
    url = services.settings.database_url
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        reports: list[WriterReport] = pool.starmap(
            run_writer, [(url, p, THREADS, SECONDS, group) for p in range(PROCESSES)]
        )
    errors = [error for report in reports for error in report.errors]
    assert errors == []
    acknowledged = {tag: idx for report in reports for tag, idx in report.acknowledged.items()}
    rolled_back = {tag for report in reports for tag in report.rolled_back}
    assert len(acknowledged) > 100 and rolled_back  # the run really did contend

    with read_connection(services.engine) as connection:
        indices = list(connection.execute(select(entry_t.c.idx).order_by(entry_t.c.idx)).scalars())
        payloads = dict(connection.execute(select(opening_t.c.idx, opening_t.c.payload)).all())
        report = audit_ledger(
            connection, services.ledger.keyring.verifiers(), services.ledger.origin
        )

    # Indices are exactly 0..n-1, once each; the chain and the tree verify.
    assert indices == list(range(len(indices)))
    assert report.size == len(indices) == services.ledger.head().size
    # Every acknowledged entry is present, at the index it was acknowledged with.
    stored_tags = {json.loads(payload)["tag"]: idx for idx, payload in payloads.items()}
    assert stored_tags == acknowledged
    # Nothing of a rolled-back batch is left behind.
    assert rolled_back.isdisjoint(stored_tags)
