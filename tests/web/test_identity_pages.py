"""What the pages tell a learner about their account's identity assurance."""

from __future__ import annotations

from flask import Flask

from creditbank.clock import utc_now
from creditbank.identity.documents import parse_document
from creditbank.learners.registration import register_self
from creditbank.learners.service import NewLearner, open_accounts
from creditbank.wiring import Services
from tests.api.world import resident_id
from tests.web.conftest import learner, post_form

CLAIM_PASSWORD = "stolen-identity-1"


def test_the_portal_says_who_verified_the_account(app: Flask, demo: Services) -> None:
    page = learner(app.test_client()).get("/portal").get_data(as_text=True)
    assert 'id="assurance"' in page
    assert "身份已由院校核验" in page


def test_sign_in_tells_the_holder_of_a_set_aside_claim(app: Flask, demo: Services) -> None:
    number = resident_id(birth="20060101", sequence="777")
    document = parse_document("resident_id", number, today=utc_now().date())
    register_self(
        demo.ledger, demo.sealer, NewLearner("冒名者", document, CLAIM_PASSWORD), now=utc_now()
    )
    client = app.test_client()
    form = {"form": "learner", "document_kind": "resident_id", "document_number": number}
    signed = post_form(client, "/signin", {**form, "password": CLAIM_PASSWORD})
    assert signed.status_code == 302  # type: ignore[attr-defined]
    unverified = client.get("/portal").get_data(as_text=True)
    assert "未经核验的账户" in unverified
    open_accounts(
        demo.ledger,
        demo.sealer,
        [NewLearner("张伟", document)],
        opened_by="CQ-ZZ-001",
        actor="institution:CQ-ZZ-001",
        now=utc_now(),
    )
    fresh = app.test_client()
    told = post_form(fresh, "/signin", {**form, "password": CLAIM_PASSWORD})
    assert told.status_code == 401  # type: ignore[attr-defined]
    assert "已被搁置" in told.get_data(as_text=True)  # type: ignore[attr-defined]
    wrong = post_form(fresh, "/signin", {**form, "password": "not-the-password-9"})
    assert "证件或密码不正确" in wrong.get_data(as_text=True)  # type: ignore[attr-defined]
