"""The registrar console's evaluation form: grants and restrictions through the one use case."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from creditbank.clock import utc_now
from creditbank.demo import DEMO_POLICY
from creditbank.evaluations.service import read_evaluation
from creditbank.records.parsing import parse_outcome
from creditbank.records.service import correct_record, learner_records
from creditbank.storage.database import read_connection
from creditbank.transcripts.revocation import DependentTranscripts
from creditbank.wiring import Services
from tests.web.conftest import csrf_token, staff


def _text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def _learner_page(client: FlaskClient) -> tuple[str, str]:
    index = _text(client.get("/registrar"))
    found = re.search(r'href="(/registrar/learners/[0-9a-f-]+)"', index)
    assert found is not None
    return found.group(1), _text(client.get(found.group(1)))


def _evaluate(
    client: FlaskClient, path: str, policy: str, rows: list[dict[str, str]], action: str = "whatif"
) -> Any:
    """Post the evaluation form with ``rows`` as its exception rows (the rest left at none)."""
    names = ("type", "target", "record", "cap", "credits", "why")
    filled = [*rows, *[{"type": "none"}] * (3 - len(rows))]
    data: dict[str, Any] = {
        "csrf_token": csrf_token(client, path),
        "policy": policy,
        "on": "2026-09-01",
        "action": action,
    }
    for name in names:
        data[f"exc_{name}"] = [row.get(name, "") for row in filled]
    return client.post(path + "/evaluate", data=data)


def _recognised(page: str) -> Decimal:
    found = re.search(r'id="recognised">([0-9.]+)<', page)
    assert found is not None, page
    return Decimal(found.group(1))


def _records(page: str) -> dict[str, str]:
    """Record id -> title, from the first exception row's record list."""
    block = page.split('id="exc_record_0"', 1)[1].split("</select>", 1)[0]
    return {
        m.group(1): m.group(2).split(" · ")[0]
        for m in re.finditer(r'<option value="([0-9a-f-]{36})"[^>]*>([^<]+)</option>', block)
    }


def _filled_titles(page: str) -> set[str]:
    table = page.split('id="courses"', 1)[1].split("</table>", 1)[0]
    return {
        title.strip()
        for titles in re.findall(r"<td>(?:规则|rule) [A-Z0-9-]+(?:：|: )([^<]+)</td>", table)
        for title in titles.split(", ")
    }


def test_a_registrar_restricts_in_the_console_and_the_decisions_are_recorded(
    app: Flask, demo: Services
) -> None:
    client = staff(app.test_client(), "cq-gz-registrar")
    path, page = _learner_page(client)
    for kind in ("exclude", "cap", "credits"):
        assert f'<option value="{kind}"' in page
    assert f'<option value="{DEMO_POLICY}"' in page
    plain = _text(_evaluate(client, path, DEMO_POLICY, []))
    before = _recognised(plain)
    assert before > 0
    records = _records(plain)
    used = [rid for rid, title in records.items() if title in _filled_titles(plain)]
    assert used, "the demo learner has a recognised record"

    # Exclude a used record: it no longer counts, and the decision is shown with its reason.
    excluded = _text(
        _evaluate(
            client,
            path,
            DEMO_POLICY,
            [{"type": "exclude", "record": used[0], "why": "成绩真实性复核中"}],
        )
    )
    assert _recognised(excluded) < before
    assert "成绩真实性复核中" in excluded.split('id="decisions"', 1)[1]
    assert records[used[0]] not in _filled_titles(excluded)

    # A cap for this learner and a course's credits, in one form with the exclusion.
    cap = before / 2
    rows = [
        {"type": "exclude", "record": used[0], "why": "成绩真实性复核中"},
        {"type": "cap", "cap": "total_credits", "credits": f"{cap:.1f}", "why": "学院规定"},
    ]
    capped = _text(_evaluate(client, path, DEMO_POLICY, rows))
    assert _recognised(capped) <= cap
    decisions = capped.split('id="decisions"', 1)[1].split("</ul>", 1)[0]
    assert (
        "认定总学分上限" in decisions
        and "total_credits" not in decisions
        and "学院规定" in decisions
    )

    # Committed: the same use case records the decisions, with who and why.
    size = demo.ledger.head().size
    committed = _evaluate(client, path, DEMO_POLICY, rows, action="commit")
    assert committed.status_code == 201, _text(committed)[-3000:]
    assert demo.ledger.head().size > size
    found = re.search(r'<p id="committed">.*?<code>([0-9a-f-]{36})</code>', _text(committed), re.S)
    assert found is not None
    with read_connection(demo.engine) as connection:
        row = read_evaluation(connection, found.group(1))
    assert '"exclude"' in row.exceptions and '"total_credits"' in row.exceptions


def test_a_course_credits_restriction_and_bad_rows_go_through_the_services_checks(
    app: Flask, demo: Services
) -> None:
    client = staff(app.test_client(), "cq-gz-registrar")
    path, page = _learner_page(client)
    assert f'<option value="{DEMO_POLICY}"' in page
    plain = _text(_evaluate(client, path, DEMO_POLICY, []))
    filled = re.findall(
        r'<td>([A-Z0-9-]+) [^<]*</td>\s*<td class="num">([0-9.]+)</td>\s*<td class="num ok">',
        plain,
    )
    assert filled
    code, credits = filled[0]
    half = Decimal(credits) / 2
    row = {"type": "credits", "target": code, "credits": f"{half:.1f}", "why": "课程学分调整"}
    adjusted = _text(_evaluate(client, path, DEMO_POLICY, [row]))
    assert _recognised(adjusted) == _recognised(plain) - Decimal(credits) + half.quantize(
        Decimal("0.1")
    )
    # A cap without credits, or a name that is no cap: refused by the service, nothing run.
    missing = _evaluate(
        client, path, DEMO_POLICY, [{"type": "cap", "cap": "total_credits", "why": "x"}]
    )
    assert missing.status_code == 400
    unknown = _evaluate(
        client,
        path,
        DEMO_POLICY,
        [{"type": "cap", "cap": "per_moon", "credits": "3", "why": "x"}],
    )
    assert unknown.status_code == 400


def test_a_registrar_decides_an_appeal_as_of_a_stated_date_rereading_named_records(
    app: Flask, demo: Services
) -> None:
    client = staff(app.test_client(), "cq-gz-registrar")
    path, page = _learner_page(client)
    # The demo committed one evaluation of this learner: it is listed with an appeal form.
    forms = re.findall(r'action="(/registrar/evaluations/([0-9a-f-]{36})/appeal)"', page)
    assert forms
    action, appealed = forms[0]
    with read_connection(demo.engine) as connection:
        row = read_evaluation(connection, appealed)
    # Two records the appealed evaluation read are corrected since: one is named, one not.
    then = dict(json.loads(row.inputs))
    with read_connection(demo.engine) as connection:
        views = [
            v
            for v in learner_records(connection, row.learner)
            if v.id in then and v.kind == "course"
        ]
    named_view, other_view = views[:2]
    moment = utc_now()
    for view in (named_view, other_view):
        content = dict(view.current.content, title_en="Corrected title")
        correct_record(
            demo.ledger,
            view.id,
            parse_outcome(content, today=moment.date()),
            institution=view.institution,
            reason="英文名称更正",
            now=moment,
            revoke_dependents=DependentTranscripts(demo.issuer_identity()).of_record,
        )
    named = [named_view.id]
    size = demo.ledger.head().size
    decided = client.post(
        action,
        data={
            "csrf_token": csrf_token(client, path),
            "appeal_on": "2030-01-15",
            "appeal_records": named,
        },
    )
    assert decided.status_code == 201, _text(decided)[-2000:]
    assert demo.ledger.head().size > size
    page = _text(decided)
    found = re.search(r'<p id="committed">.*?<code>([0-9a-f-]{36})</code>', page, re.S)
    assert found is not None
    with read_connection(demo.engine) as connection:
        appeal = read_evaluation(connection, found.group(1))
    assert appeal.appeal_of == appealed
    assert appeal.evaluated_on.isoformat() == "2030-01-15"  # the stated date, not the appealed
    assert row.evaluated_on.isoformat() != "2030-01-15"
    # The named record is re-read as it stands; the others as the appealed evaluation read them.
    read = dict(json.loads(appeal.inputs))
    assert read[named_view.id] > then[named_view.id]
    assert read[other_view.id] == then[other_view.id]
    assert {r: read[r] for r in read if r not in named} == {
        r: then[r] for r in then if r not in named
    }
    # No date stated: as of the appealed evaluation's date.
    plain = client.post(action, data={"csrf_token": csrf_token(client, path)})
    assert plain.status_code == 201
    latest = re.search(r'<p id="committed">.*?<code>([0-9a-f-]{36})</code>', _text(plain), re.S)
    assert latest is not None
    with read_connection(demo.engine) as connection:
        assert read_evaluation(connection, latest.group(1)).evaluated_on == row.evaluated_on


def test_another_institutions_registrar_cannot_decide_the_appeal(
    app: Flask, demo: Services
) -> None:
    client = staff(app.test_client(), "cq-gz-registrar")
    _, page = _learner_page(client)
    action = re.findall(r'action="(/registrar/evaluations/[0-9a-f-]{36}/appeal)"', page)[0]
    other = staff(app.test_client(), "cq-bk-registrar")
    size = demo.ledger.head().size
    refused = other.post(action, data={"csrf_token": csrf_token(other, "/registrar")})
    assert refused.status_code == 403
    assert demo.ledger.head().size == size
