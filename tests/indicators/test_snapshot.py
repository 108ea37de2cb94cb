"""The dashboard serves a snapshot the job refreshes: page views and charts do not recompute."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from flask import Flask

from creditbank.clock import utc_now
from creditbank.demo import load_demo
from creditbank.indicators import snapshot
from creditbank.indicators.service import compute
from creditbank.storage.database import read_connection
from creditbank.wiring import Services


@pytest.fixture
def demo(services: Services) -> Services:
    load_demo(services, now=datetime.now(UTC))
    return services


def test_the_snapshot_keeps_every_figure(demo: Services, engine_name: str) -> None:
    with read_connection(demo.engine) as connection:
        figures = compute(connection, demo.policies)
    assert snapshot.decode(snapshot.encode(figures)) == figures
    kept = snapshot.refresh(demo.engine, demo.policies, now=utc_now())
    # The running totals (evaluations and 1+X certificates included) equal the full recount.
    assert kept.figures == figures
    assert figures.evaluations_by_pathway and figures.certificates
    assert snapshot.latest(demo.engine, demo.policies, now=utc_now()).figures == kept.figures


def test_page_views_read_the_snapshot(
    app: Flask, demo: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = snapshot.totals.advance

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(snapshot.totals, "advance", counted)
    client = app.test_client()
    for _ in range(3):
        assert client.get("/dashboard").status_code == 200
        for chart in ("months", "levels", "regions"):
            assert client.get(f"/dashboard/charts/{chart}.svg").status_code == 200
    assert len(calls) == 1  # the first view of a bank the job never reached
    snapshot.refresh(demo.engine, demo.policies, now=utc_now())
    client.get("/dashboard")
    assert len(calls) == 2


def test_processes_racing_to_store_the_first_snapshot_both_succeed(
    demo: Services, engine_name: str
) -> None:
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def first_view() -> None:
        start.wait()
        try:
            snapshot.latest(demo.engine, demo.policies, now=utc_now())
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=first_view) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
