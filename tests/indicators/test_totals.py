"""The running totals equal a full recount after any sequence of posts, corrections and
revocations, refreshed at any points in between; a refresh reads only what changed."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from creditbank.clock import utc_now
from creditbank.indicators import snapshot, totals
from creditbank.indicators.service import compute, record_t
from creditbank.storage.database import read_connection, write_transaction
from tests.api.test_identity import PASSPORT, _consent, _post, _sign_in
from tests.api.world import World
from tests.records.outcome_items import CERTIFICATE, COURSE

POSTERS = {"A": "CQ-GZ-001", "B": "SC-GZ-001"}
COURSE_LEVELS = ("zhongzhi", "gaozhi", "benke")
CERTIFICATE_LEVELS = ("chuji", "zhongji", "gaoji")

steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("post"),
            st.sampled_from(("li", "wang")),
            st.sampled_from(sorted(POSTERS)),
            st.sampled_from(("course", "certificate")),
            st.integers(0, 2),
        ),
        st.tuples(st.just("correct"), st.integers(0, 50), st.integers(0, 2)),
        st.tuples(st.just("revoke"), st.integers(0, 50)),
        st.tuples(st.just("refresh")),
    ),
    max_size=10,
)


def _item(kind: str, poster: str, level: int) -> dict[str, Any]:
    if kind == "course":
        return {**COURSE, "source_institution": POSTERS[poster], "level": COURSE_LEVELS[level]}
    return {**CERTIFICATE, "level": CERTIFICATE_LEVELS[level]}


def _check(world: World) -> None:
    services = world.services
    kept = snapshot.refresh(services.engine, services.policies, now=utc_now())
    with read_connection(services.engine) as connection:
        assert kept.figures == compute(connection, services.policies)
        # Per learner too (a learner whose every record was revoked must drop out).
        active = connection.execute(
            select(record_t.c.learner, func.count())
            .where(record_t.c.status == "active")
            .group_by(record_t.c.learner)
        ).all()
        counted = connection.execute(select(totals.learner_count_t)).all()
    assert dict(counted) == dict(active)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_totals_equal_a_full_recount(base_world: World, engine_name: str, steps: list) -> None:
    # The world lives on across examples: each sequence starts where the last one ended.
    posted: list[tuple[str, str, str]] = []  # (record id, poster, kind)
    for step in steps:
        if step[0] == "post":
            _, learner, poster, kind, level = step
            item = {"learner_id": base_world.learners[learner], **_item(kind, poster, level)}
            answer = base_world.post(
                "/api/v1/records",
                f"poster{poster}",
                {"records": [item]},
                **{"Idempotency-Key": uuid.uuid4().hex},
            )
            assert answer.status_code == 201, answer.get_json()
            posted.append((answer.get_json()["records"][0]["id"], poster, kind))
        elif step[0] == "correct" and posted:
            record, poster, kind = posted[step[1] % len(posted)]
            answer = base_world.post(
                f"/api/v1/records/{record}/corrections",
                f"poster{poster}",
                {"outcome": _item(kind, poster, step[2]), "reason": "更正"},
            )
            assert answer.status_code in (200, 409), answer.get_json()  # 409: revoked
        elif step[0] == "revoke" and posted:
            record, poster, _ = posted[step[1] % len(posted)]
            answer = base_world.post(
                f"/api/v1/records/{record}/revocation", f"poster{poster}", {"reason": "误录"}
            )
            assert answer.status_code in (200, 409), answer.get_json()
        elif step[0] == "refresh":
            _check(base_world)
    _check(base_world)


def test_a_refresh_reads_only_what_changed(base_world: World, engine_name: str) -> None:
    items = [
        {"learner_id": base_world.learners["li"], **_item("course", "A", n % 3)} for n in range(30)
    ]
    answer = base_world.post(
        "/api/v1/records", "posterA", {"records": items}, **{"Idempotency-Key": "many"}
    )
    assert answer.status_code == 201, answer.get_json()
    engine = base_world.services.engine
    with write_transaction(engine) as connection:
        assert totals.advance(connection) == (30, 0)
    with write_transaction(engine) as connection:
        assert totals.advance(connection) == (0, 0)  # nothing new: nothing read
    record = answer.get_json()["records"][4]["id"]
    revoked = base_world.post(f"/api/v1/records/{record}/revocation", "posterA", {"reason": "误"})
    assert revoked.status_code == 200, revoked.get_json()
    with write_transaction(engine) as connection:
        assert totals.advance(connection) == (1, 0)  # one version, of one record
        assert totals.figures(connection, base_world.services.policies).records == 29


def test_a_merge_moves_the_records_to_the_surviving_learner(
    base_world: World, engine_name: str
) -> None:
    world = base_world
    passport = world.post(
        "/api/v1/learners", "posterA", {"name": "LI MING", "document": PASSPORT}
    ).get_json()
    activated = world.post(
        "/api/v1/learners/activate",
        None,
        {
            "document": PASSPORT,
            "activation_code": passport["activation_code"],
            "password": "passport-pass-1",
        },
    )
    assert activated.status_code == 200, activated.get_json()
    world.tokens["passport"] = _sign_in(world, PASSPORT, "passport-pass-1").get_json()["token"]
    moved = _post(world, passport["id"], "p-1").get_json()["records"][0]["id"]
    revoked = _post(world, passport["id"], "p-2", course_code="JX102").get_json()["records"][0]
    assert (
        world.post(
            f"/api/v1/records/{revoked['id']}/revocation", "posterA", {"reason": "误录"}
        ).status_code
        == 200
    )
    _post(world, world.learners["li"], "li-1", course_code="JX103")
    _check(world)
    figures = snapshot.latest(world.services.engine, world.services.policies, now=utc_now())
    assert (figures.figures.records, figures.figures.learners_with_records) == (2, 2)
    _consent(world, "passport")
    _consent(world, "li")
    merged = world.post(
        f"/api/v1/learners/{world.learners['li']}/merge",
        "registrarA",
        {"alias": passport["id"], "reason": "同一人先后持护照和居民身份证"},
    )
    assert merged.status_code == 201, merged.get_json()
    _check(world)  # the moved record is li's now; the revoked one counts nowhere
    with read_connection(world.services.engine) as connection:
        counted = dict(
            connection.execute(select(totals.counted_t.c.record, totals.counted_t.c.learner)).all()
        )
    assert counted[moved] == world.learners["li"]
    figures = snapshot.latest(world.services.engine, world.services.policies, now=utc_now())
    assert (figures.figures.records, figures.figures.learners_with_records) == (2, 1)
