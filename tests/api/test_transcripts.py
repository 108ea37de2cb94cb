"""Transcripts through the HTTP API: issue, list, fetch, revoke, verify, and bad input."""

from __future__ import annotations

import copy
import json
import stat
from typing import Any

import pytest

from creditbank.transcripts.printing import pdf_renderer
from creditbank.wiring import Services
from tests.api.world import World, bearer, course


@pytest.fixture
def world(base_world: World) -> World:
    world = base_world
    items = [
        {"learner_id": world.learners["li"], **course(course_code=f"JX10{n}", title_zh=f"课程{n}")}
        for n in range(3)
    ]
    items.append({"learner_id": world.learners["wang"], **course(title_zh="王芳的课程")})
    posted = world.post(
        "/api/v1/records", "posterA", {"records": items}, **{"Idempotency-Key": "t1"}
    )
    assert posted.status_code == 201, posted.get_json()
    world.keys_records = [r["id"] for r in posted.get_json()["records"]]  # type: ignore[attr-defined]
    return world


def records(world: World) -> list[str]:
    found: list[str] = world.keys_records  # type: ignore[attr-defined]
    return found


def issue(world: World, who: str = "li", **body: Any) -> Any:
    return world.post("/api/v1/transcripts", who, {"validity_days": 60, **body})


def test_a_learner_issues_lists_fetches_and_verifies(world: World) -> None:
    answer = issue(world, records=records(world)[:2], language="en")
    assert answer.status_code == 201, answer.get_json()
    assert answer.mimetype == "application/vc+ld+json"
    credential = json.loads(answer.data)
    assert len(credential["credentialSubject"]["verifiableCredential"]) == 2
    assert "课程2" not in answer.data.decode("utf-8")
    listed = world.get("/api/v1/transcripts", "li").get_json()["transcripts"]
    assert [t["status"] for t in listed] == ["active"]
    transcript_id = listed[0]["id"]
    for accept in ("application/vc+ld+json", "application/ld+json"):
        fetched = world.client.get(
            f"/api/v1/transcripts/{transcript_id}",
            headers={**bearer(world.tokens["li"]), "Accept": accept},
        )
        assert fetched.status_code == 200
        assert fetched.mimetype == accept
        assert json.loads(fetched.data) == credential
    report = world.client.post("/api/v1/verify", json=credential).get_json()
    assert report["valid"] is True, report
    by_code = world.get(f"/api/v1/verify/{listed[0]['verification_code']}", None).get_json()
    assert by_code["valid"] is True
    assert by_code["transcript"] == credential


def test_pdf_is_not_faked_before_the_renderer_exists(world: World) -> None:
    transcript_id = json.loads(issue(world).data)["id"].removeprefix("urn:uuid:")
    fetched = world.client.get(
        f"/api/v1/transcripts/{transcript_id}",
        headers={**bearer(world.tokens["li"]), "Accept": "application/pdf"},
    )
    if pdf_renderer() is None:
        assert fetched.status_code == 406
        assert fetched.mimetype == "application/problem+json"
    else:
        assert fetched.status_code == 200
        assert fetched.data.startswith(b"%PDF")


def test_an_altered_transcript_fails_verification_naming_the_check(world: World) -> None:
    credential = json.loads(issue(world).data)
    altered = copy.deepcopy(credential)
    altered["credentialSubject"]["verifiableCredential"][0]["credentialSubject"][
        "creditsEarned"
    ] = 30
    report = world.client.post("/api/v1/verify", json=altered).get_json()
    assert report["valid"] is False
    failed = {c["name"] for c in report["checks"] if c["outcome"] == "failed"}
    assert {"outer signature", "nested signatures", "record content"} <= failed


def test_revocation_by_the_learner_shows_in_status(world: World) -> None:
    credential = json.loads(issue(world).data)
    transcript_id = credential["id"].removeprefix("urn:uuid:")
    revoked = world.post(
        f"/api/v1/transcripts/{transcript_id}/revocation", "li", {"reason": "done"}
    )
    assert revoked.status_code == 200, revoked.get_json()
    assert revoked.get_json()["status"] == "revoked"
    again = world.post(f"/api/v1/transcripts/{transcript_id}/revocation", "li", {})
    assert again.status_code == 409
    report = world.client.post("/api/v1/verify", json=credential).get_json()
    status = next(c for c in report["checks"] if c["name"] == "status")
    assert status["outcome"] == "failed" and "revoked" in status["reason"]
    url = credential["credentialStatus"]["statusListCredential"]
    listed = world.client.get(url.split("cq.edu.cn", 1)[1])
    assert listed.status_code == 200
    assert json.loads(listed.data)["type"] == [
        "VerifiableCredential",
        "BitstringStatusListCredential",
    ]


def test_a_correction_by_the_institution_revokes_the_transcript(world: World) -> None:
    credential = json.loads(issue(world).data)
    corrected = world.post(
        f"/api/v1/records/{records(world)[0]}/corrections",
        "posterA",
        {"outcome": course(course_code="JX100", title_zh="课程0", hours=70), "reason": "hours"},
    )
    assert corrected.status_code == 200, corrected.get_json()
    report = world.client.post("/api/v1/verify", json=credential).get_json()
    assert [c["name"] for c in report["checks"] if c["outcome"] == "failed"] == ["status"]
    listed = world.get("/api/v1/transcripts", "li").get_json()["transcripts"]
    assert listed[0]["status"] == "revoked"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"validity_days": 29}, "validity_days"),
        ({"validity_days": 181}, "validity_days"),
        ({"validity_days": "60"}, "validity_days"),
        ({"validity_days": 60, "language": "fr"}, "language"),
        ({"validity_days": 60, "extra": 1}, "extra"),
        ({}, "validity_days"),
    ],
)
def test_bad_requests_are_400_and_name_the_field(
    world: World, body: dict[str, Any], field: str
) -> None:
    before = world.size()
    answer = world.post("/api/v1/transcripts", "li", body)
    assert answer.status_code == 400
    assert field in {e["field"] for e in answer.get_json()["errors"]}
    assert world.size() == before


def test_records_of_another_learner_are_refused(world: World) -> None:
    before = world.size()
    answer = issue(world, records=[records(world)[3]])
    assert answer.status_code == 400
    assert answer.get_json()["errors"][0] == {
        "field": "records",
        "reason": "is not one of your records or transfers",
        "index": 0,
    }
    assert world.size() == before


def test_another_learners_transcript_is_not_found_and_not_revocable(world: World) -> None:
    transcript_id = json.loads(issue(world).data)["id"].removeprefix("urn:uuid:")
    assert world.get(f"/api/v1/transcripts/{transcript_id}", "wang").status_code == 404
    assert (
        world.post(f"/api/v1/transcripts/{transcript_id}/revocation", "wang", {}).status_code == 404
    )
    assert world.get("/api/v1/transcripts", "wang").get_json() == {"transcripts": []}
    assert world.get(f"/api/v1/transcripts/{transcript_id}", "posterA").status_code == 403
    assert world.get("/api/v1/transcripts", None).status_code == 401


def test_public_documents(world: World) -> None:
    did = world.client.get("/.well-known/did.json")
    assert did.status_code == 200
    document = json.loads(did.data)
    assert document["id"] == "did:web:creditbank.cq.edu.cn"
    assert document["verificationMethod"][0]["type"] == "Multikey"
    assert document["logVerifierKey"]
    context = world.client.get("/contexts/v1")
    assert context.mimetype == "application/ld+json"
    assert "LedgerEvidence" in json.loads(context.data)["@context"]
    assert world.get("/api/v1/verify/NOSUCHCODE000000", None).status_code == 404
    assert (
        world.client.post("/api/v1/verify", data="[]", content_type="application/json").status_code
        == 400
    )


def test_a_pdf_is_rendered_once_and_kept_sealed(
    world: World, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pdf_renderer()
    if real is None:
        pytest.skip("this build has no PDF renderer")
    calls: list[str] = []

    def counted(view: Any, *, language: str = "zh") -> bytes:
        calls.append(language)
        return bytes(real(view, language=language))

    monkeypatch.setattr("creditbank.transcripts.pdf.render_transcript_pdf", counted)
    transcript_id = json.loads(issue(world).data)["id"].removeprefix("urn:uuid:")
    headers = {**bearer(world.tokens["li"]), "Accept": "application/pdf"}
    first = world.client.get(f"/api/v1/transcripts/{transcript_id}", headers=headers)
    again = world.client.get(f"/api/v1/transcripts/{transcript_id}", headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.data == again.data and first.data.startswith(b"%PDF")
    assert len(calls) == 1
    kept = list(services.settings.pdf_path.iterdir())
    assert len(kept) == 1 and stat.S_IMODE(kept[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(services.settings.pdf_path.stat().st_mode) == 0o700
    assert b"%PDF" not in kept[0].read_bytes()  # sealed, not the PDF itself
    # Another learner still cannot have it; an altered file is refused and rendered afresh.
    other = {**bearer(world.tokens["wang"]), "Accept": "application/pdf"}
    assert (
        world.client.get(f"/api/v1/transcripts/{transcript_id}", headers=other).status_code == 404
    )
    kept[0].write_text(kept[0].read_text()[:-4] + "AAAA")
    third = world.client.get(f"/api/v1/transcripts/{transcript_id}", headers=headers)
    assert third.status_code == 200 and third.data.startswith(b"%PDF") and len(calls) == 2
