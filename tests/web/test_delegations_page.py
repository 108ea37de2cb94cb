"""The institution workspace's delegations: an admin grants and ends one, a poster only sees."""

from __future__ import annotations

from flask import Flask

from creditbank.wiring import Services
from tests.web.conftest import post_form, staff


def test_an_admin_delegates_and_ends_and_a_poster_only_sees(app: Flask, demo: Services) -> None:
    admin = staff(app.test_client(), "cq-gz-admin")
    before = demo.ledger.head().size
    refused = post_form(
        admin,
        "/institution/delegations",
        {"delegate": "ZZ-NOT-MEMBER", "kinds": "course", "reason": "试点"},
        page="/institution",
    )
    assert refused.status_code == 404  # type: ignore[attr-defined]
    assert demo.ledger.head().size == before
    granted = post_form(
        admin,
        "/institution/delegations",
        {
            "delegate": "bj-pj-001",
            "kinds": "course",
            "reason": "1+X 课证融通",
            "effective_until": "",
        },
        page="/institution",
    )
    assert granted.status_code == 302  # type: ignore[attr-defined]
    assert demo.ledger.head().size == before + 1
    page = admin.get("/institution").get_data(as_text=True)
    assert "BJ-PJ-001" in page and "delegate-form" in page and "结束委托" in page

    poster = staff(app.test_client(), "cq-gz-poster")
    seen = poster.get("/institution").get_data(as_text=True)
    assert "BJ-PJ-001" in seen and "delegate-form" not in seen and "结束委托" not in seen
    assert (
        post_form(
            poster,
            "/institution/delegations",
            {"delegate": "BJ-PJ-001", "kinds": "course", "reason": "x"},
            page="/institution",
        ).status_code  # type: ignore[attr-defined]
        == 403
    )

    delegation = page.split("/institution/delegations/")[1].split("/end")[0]
    ended = post_form(
        admin, f"/institution/delegations/{delegation}/end", {"reason": "结束"}, page="/institution"
    )
    assert ended.status_code == 302  # type: ignore[attr-defined]
    assert "已结束" in admin.get("/institution").get_data(as_text=True)
    assert demo.ledger.head().size == before + 2
