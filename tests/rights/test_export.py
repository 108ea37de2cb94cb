"""A copy of everything: the learner's archive of all the bank holds about them."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

from creditbank.ledger.envelope import EntryKind, decode_envelope
from creditbank.ledger.store import read_openings
from creditbank.rights.export import TABLES
from creditbank.storage.database import read_connection
from tests.api.world import World, course
from tests.rights.helpers import B, grant, key_id, post_course


def _archive(world: World, who: str) -> tuple[Any, zipfile.ZipFile]:
    answer = world.get("/api/v1/learners/me/data-export", who)
    assert answer.status_code == 200, answer.data[:300]
    assert answer.mimetype == "application/zip"
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    return answer, zipfile.ZipFile(io.BytesIO(answer.data))


def _csv(zipped: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    text = zipped.read(name).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_copy_holds_everything_and_its_download_is_logged_without_personal_data(
    base_world: World, engine_name: str
) -> None:
    world = base_world
    li = world.learners["li"]
    record = post_course(world, "li", "export-1")
    corrected = world.post(
        f"/api/v1/records/{record}/corrections",
        "posterA",
        {"outcome": {"kind": "course", **_course_grade("91")}, "reason": "grade typed wrong"},
    )
    assert corrected.status_code == 200, corrected.get_json()
    consent = grant(world, "li", B)
    assert world.get(f"/api/v1/learners/{li}/records", "registrarB").status_code == 200
    issued = world.post("/api/v1/transcripts", "li", {"validity_days": 60, "records": [record]})
    assert issued.status_code == 201, issued.get_json()
    asked = world.post(
        "/api/v1/learners/me/correction-requests",
        "li",
        {"record": record, "reason": '=HYPERLINK("x") the hours are 48'},
    )
    assert asked.status_code == 201, asked.get_json()
    size = world.size()

    answer, zipped = _archive(world, "li")

    assert sorted(zipped.namelist()) == sorted(["data.json", *(f"{t}.csv" for t in TABLES)])
    document = json.loads(zipped.read("data.json"))
    assert document["format"] == "creditbank-learner-data/1" and document["learner"] == li
    account = document["account"]
    assert (account["name"], account["document_number"]) == ("李明", world.documents["li"])
    [held] = document["records"]
    assert held["id"] == record and held["version"] == 2
    assert [v["action"] for v in held["versions"]] == ["posted", "corrected"]
    assert held["versions"][1]["content"]["grade"]["value"] == "91"
    assert all(isinstance(v["ledger_index"], int) for v in held["versions"])
    assert [c["id"] for c in document["consents"]] == [consent]
    [read] = document["access_log"]
    assert (read["institution"], read["principal"], read["consent"], read["kind"]) == (
        B,
        key_id(world, "registrarB"),
        consent,
        "records",
    )
    [transcript] = document["transcripts"]
    # Issued after the correction, so the correction did not revoke it.
    assert transcript["status"] == "active" and transcript["records"] == 1
    [request] = document["correction_requests"]
    assert request["status"] == "open" and request["reason"].startswith("=HYPERLINK")
    assert document["sign_ins"] and document["notices"] == []

    # One CSV per table, the same rows; a cell a spreadsheet would run is defused.
    versions = _csv(zipped, "record_versions.csv")
    assert [row["action"] for row in versions] == ["posted", "corrected"]
    assert _csv(zipped, "account.csv")[0]["name"] == "李明"
    assert _csv(zipped, "correction_requests.csv")[0]["reason"].startswith("'=HYPERLINK")
    assert len(_csv(zipped, "access_log.csv")) == 1

    # The download is one log entry; its payload names the learner's id and nothing else.
    assert world.size() == size + 1
    index = document["ledger_index"]
    assert answer.headers["Creditbank-Ledger-Index"] == str(index) and index == size
    [(_, data)] = list(world.services.ledger.entries(index, index + 1))
    envelope = decode_envelope(data)
    assert (envelope.kind, envelope.actor) == (EntryKind.LEARNER_DATA_EXPORTED.value, "learner")
    with read_connection(world.services.engine) as connection:
        _, payload = read_openings(connection, [index])[index]
    assert json.loads(payload) == {"learner": li}


def test_each_learner_gets_only_their_own_copy(base_world: World) -> None:
    post_course(base_world, "li", "export-2")
    _, zipped = _archive(base_world, "wang")
    document = json.loads(zipped.read("data.json"))
    assert document["learner"] == base_world.learners["wang"]
    assert document["records"] == [] and document["account"]["name"] == "王芳"
    assert "李明" not in zipped.read("data.json").decode("utf-8")
    assert base_world.get("/api/v1/learners/me/data-export", "registrarA").status_code == 403
    assert base_world.get("/api/v1/learners/me/data-export", None).status_code == 401


def _course_grade(value: str) -> dict[str, Any]:
    item = course(grade={"scale": "percent", "value": value})
    item.pop("kind")
    return item
