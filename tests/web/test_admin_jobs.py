"""The administration pages' scheduled jobs: last runs, errors, the leader and one job's runs."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask

from creditbank.operations import runs
from creditbank.operations.jobs import Every, JobSpec
from creditbank.operations.scheduler import Scheduler
from creditbank.wiring import Services
from tests.ledger.helpers import entries
from tests.web.conftest import learner, staff


def _text(response: object) -> str:
    return str(response.get_data(as_text=True))  # type: ignore[attr-defined]


def _row(page: str, job: str) -> str:
    found = re.search(rf'<tr id="job-{re.escape(job)}">(.*?)</tr>', page, re.S)
    assert found is not None, f"no row for {job}"
    return found.group(1)


def _scheduler(services: Services, jobs: list[JobSpec] | None = None) -> Scheduler:
    scheduler = Scheduler(
        lambda: services.engine,
        services.jobs() if jobs is None else jobs,
        services.settings.operations,
    )
    assert scheduler.heartbeat()
    return scheduler


def _fails() -> str:
    raise RuntimeError("disk <b>on fire</b>")


@pytest.mark.parametrize(
    "engine_name", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_the_page_lists_every_job_and_shows_a_run_once_it_ran(
    app: Flask, demo: Services, engine_name: str
) -> None:
    operator = staff(app.test_client(), "operator")
    before = _text(operator.get("/admin"))
    assert "jobs-unavailable" not in before
    for spec in demo.jobs():
        assert "尚未运行" in _row(before, spec.name)
    assert "还没有调度进程运行过" in before
    assert "每 5 秒" in _row(before, "checkpoint")
    assert "仅领导者" in _row(before, "checkpoint")
    assert "每个调度进程" in _row(before, "cohorts")

    scheduler = _scheduler(demo)
    demo.ledger.append(entries(2))
    ran = scheduler.run_job("checkpoint")
    assert ran is not None and ran.status == "ok" and ran.detail

    page = _text(operator.get("/admin"))
    row = _row(page, "checkpoint")
    assert '<span class="tag ok">成功</span>' in row
    assert html.escape(ran.detail) in row
    assert f"{ran.host} / {ran.pid}" in row
    assert "尚未运行" in _row(page, "audit-full")  # the others are untouched
    assert scheduler.holder.id in page and "秒前" in page
    assert "leader-expired" not in page

    operator.get("/lang/en?next=/admin")
    english = _text(operator.get("/admin"))
    row = _row(english, "checkpoint")
    assert '<span class="tag ok">ok</span>' in row and "every 5 s" in row
    assert " ago" in english and "leader only" in row


def test_a_failing_jobs_error_shows_escaped(app: Flask, demo: Services) -> None:
    # The registry's audit job, made to fail: the real runner records the error.
    failing = JobSpec("audit", "audit new log entries", _fails, Every(60))
    run = _scheduler(demo, [failing]).run_job("audit")
    assert run is not None and run.status == "error"
    page = _text(staff(app.test_client(), "operator").get("/admin"))
    row = _row(page, "audit")
    assert '<span class="tag error">失败</span>' in row
    assert "RuntimeError: disk &lt;b&gt;on fire&lt;/b&gt;" in row
    assert "<b>on fire</b>" not in page


def test_an_expired_lease_is_reported(app: Flask, demo: Services) -> None:
    _scheduler(demo, [])
    with demo.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE scheduler_lease SET expires_at = '2000-01-01'")
    page = _text(staff(app.test_client(), "operator").get("/admin"))
    assert 'id="leader-expired"' in page and "租约已过期" in page


def test_a_jobs_page_lists_its_runs_newest_first_and_filters_by_result(
    app: Flask, demo: Services
) -> None:
    scheduler = _scheduler(demo)
    holder = scheduler.holder
    for detail in ("first", "second"):
        run_id = runs.claim_slot(demo.engine, "backup", f"slot {detail}", holder)
        assert run_id is not None
        runs.finish(demo.engine, run_id, "ok", f"backup {detail}")
    failed = runs.claim_slot(demo.engine, "backup", "slot third", holder)
    assert failed is not None
    runs.finish(demo.engine, failed, "error", "OSError: no space left")
    runs.record(
        demo.engine,
        "cohorts",
        holder,
        runs.runs_of(demo.engine, "backup")[0].started_at,
        status="ok",
        detail="ran 1 cohort jobs",
    )

    operator = staff(app.test_client(), "operator")
    assert 'href="/admin/jobs/backup"' in _text(operator.get("/admin"))
    page = _text(operator.get("/admin/jobs/backup"))
    details = re.findall(r'<td class="detail" lang="en">([^<]*)</td>', page)
    assert details == ["OSError: no space left", "backup second", "backup first"]
    assert "slot third" in page and holder.id in page and "ran 1 cohort" not in page
    only_errors = _text(operator.get("/admin/jobs/backup?status=error"))
    assert re.findall(r'<td class="detail" lang="en">([^<]*)</td>', only_errors) == [
        "OSError: no space left"
    ]
    assert '<option value="error" selected>' in only_errors
    none = _text(operator.get("/admin/jobs/backup?status=running"))
    assert 'id="no-runs"' in none

    bad = operator.get("/admin/jobs/backup?status=sideways")
    assert bad.status_code == 400 and "status" in _text(bad)
    assert operator.get("/admin/jobs/no-such-job").status_code == 404


def test_the_jobs_pages_are_for_operators_only(app: Flask, demo: Services) -> None:
    _scheduler(demo).run_job("checkpoint")
    for client in (
        staff(app.test_client(), "cq-gz-registrar"),
        staff(app.test_client(), "cq-gz-poster"),
        learner(app.test_client()),
    ):
        for path in ("/admin", "/admin/jobs/checkpoint", "/admin/jobs/no-such-job"):
            response = client.get(path)
            assert response.status_code == 403, path
            assert "checkpoint #" not in _text(response)
    anonymous = app.test_client().get("/admin/jobs/checkpoint")
    assert anonymous.status_code == 302 and "/signin" in anonymous.headers["Location"]


def test_the_runs_page_labels_its_controls(app: Flask, demo: Services) -> None:
    page = _text(staff(app.test_client(), "operator").get("/admin/jobs/checkpoint"))
    labelled = set(re.findall(r'<label\b[^>]*\bfor="([^"]+)"', page))
    controls = re.findall(r"<(?:input|select|textarea)\b[^>]*>", page)
    assert controls
    for control in controls:
        if 'type="hidden"' in control:
            continue
        found = re.search(r'id="([^"]+)"', control)
        assert found is not None and found.group(1) in labelled, control
    assert "<script" not in page
