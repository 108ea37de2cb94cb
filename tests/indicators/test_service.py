"""Dashboard indicators against a hand count of the records posted."""

from __future__ import annotations

from collections import Counter

from creditbank.indicators.service import compute
from creditbank.storage.database import read_connection
from tests.api.world import World, course


def test_figures_match_a_hand_count(base_world: World, engine_name: str) -> None:
    li, wang = base_world.learners["li"], base_world.learners["wang"]
    items = [
        {"learner_id": li, **course()},
        {"learner_id": li, **course(course_code="DZ204", level="zhongzhi")},
        {"learner_id": wang, **course(course_code="JX102")},
    ]
    posted = base_world.post(
        "/api/v1/records", "posterA", {"records": items}, **{"Idempotency-Key": "k"}
    )
    assert posted.status_code == 201, posted.get_json()
    revoked = posted.get_json()["records"][2]["id"]
    answer = base_world.post(f"/api/v1/records/{revoked}/revocation", "posterA", {"reason": "误录"})
    assert answer.status_code == 200, answer.get_json()
    with read_connection(base_world.services.engine) as connection:
        figures = compute(connection, base_world.services.policies)
    # Two active records of Li at A (重庆); Wang's one is revoked and counts nowhere.
    assert figures.records == 2
    assert figures.by_kind == Counter(course=2)
    assert figures.by_level == Counter({"course:gaozhi": 1, "course:zhongzhi": 1})
    assert figures.by_institution == Counter({"CQ-GZ-001": 2})
    assert figures.by_region == Counter({"重庆": 2})
    assert sum(month.total() for month in figures.by_month.values()) == 2
    assert (figures.learners, figures.learners_with_records) == (2, 1)
    assert figures.certificates == Counter() and figures.evaluations_by_pathway == Counter()
    assert figures.ledger_size == base_world.size()
