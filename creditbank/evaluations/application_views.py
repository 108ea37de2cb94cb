"""Applications for recognition as they are read: states, steps, objections, listings.

The steps that change them are :mod:`creditbank.evaluations.applications`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, func, select

from creditbank.clock import as_utc
from creditbank.errors import NotFound
from creditbank.evaluations.sealed_results import open_application_result
from creditbank.evaluations.tables import Application, ApplicationStep, Objection
from creditbank.labels import CATALOGUE

application_t = Application.__table__  # type: ignore[attr-defined]
step_t = ApplicationStep.__table__  # type: ignore[attr-defined]
objection_t = Objection.__table__  # type: ignore[attr-defined]


class ApplicationState(StrEnum):
    """Where an application stands."""

    APPLIED = "applied"  # 申请: waiting for the registrar's review (审核)
    IN_NOTICE = "in_notice"  # 公示: approved, on public notice
    RECOGNISED = "recognised"  # 认定: committed
    REJECTED = "rejected"


STATE_TEXTS: dict[ApplicationState, tuple[str, str]] = {
    state: CATALOGUE["ApplicationState"][state.value] for state in ApplicationState
}

STEP_TEXTS: dict[str, tuple[str, str]] = {
    "applied": ("提交申请", "applied"),
    "approved": ("审核通过", "approved"),
    "adjusted": ("调整后通过", "approved with adjustments"),
    "rejected": ("审核未通过", "rejected"),
    "objection_upheld": ("异议成立，重新审核", "objection upheld: back to review"),
    "sources_changed": (
        "公示期间记录变更，重新审核",
        "a record changed during the notice: back to review",
    ),
    "recognised": ("认定并写入账本", "recognised and committed"),
}


def mask_name(name: str | None) -> str:
    """The name as a public notice shows it: the first character, then one * per other."""
    if not name:
        return "*"
    return name[0] + "*" * max(1, len(name) - 1)


@dataclass(frozen=True)
class StepView:
    """One logged step of an application."""

    step: str
    state: ApplicationState
    actor: str
    reason: str | None
    at: datetime
    ledger_index: int

    def text(self, lang: str) -> str:
        """The step, in ``lang``."""
        zh, en = STEP_TEXTS[self.step]
        return en if lang == "en" else zh


@dataclass(frozen=True)
class ObjectionView:
    """An objection and how it was resolved."""

    id: str
    application: str
    reason: str
    lodged_at: datetime
    resolution: str | None
    resolution_reason: str | None
    resolved_at: datetime | None

    @property
    def open(self) -> bool:
        """True until the registrar resolves it."""
        return self.resolution is None


@dataclass(frozen=True)
class ApplicationView:
    """An application with its steps and objections."""

    id: str
    learner: str
    institution: str
    policy_id: str
    records: tuple[str, ...]
    state: ApplicationState
    exceptions: tuple[Mapping[str, Any], ...]
    decision_reason: str | None
    evaluated_on: date | None
    result: Mapping[str, Any] | None
    public_name: str | None
    notice_until: datetime | None
    evaluation: str | None
    applied_at: datetime
    updated_at: datetime
    steps: tuple[StepView, ...]
    objections: tuple[ObjectionView, ...]

    def state_text(self, lang: str) -> str:
        """The state, in ``lang``."""
        zh, en = STATE_TEXTS[self.state]
        return en if lang == "en" else zh

    @property
    def open_objections(self) -> int:
        """Objections not yet resolved."""
        return sum(1 for o in self.objections if o.open)

    def notice_over(self, now: datetime) -> bool:
        """True once the public notice period has ended."""
        return self.notice_until is not None and as_utc(self.notice_until) <= now

    @property
    def recognised_courses(self) -> list[Mapping[str, Any]]:
        """The courses the approved result recognises (what the notice shows)."""
        if self.result is None:
            return []
        return [c for c in self.result["courses"] if c["recognised_credits"] not in ("0", "0.0")]


def objection_view(row: Any) -> ObjectionView:
    """An objection row as it is read."""
    return ObjectionView(
        row.id,
        row.application,
        row.reason,
        row.lodged_at,
        row.resolution,
        row.resolution_reason,
        row.resolved_at,
    )


def _views(connection: Connection, rows: Sequence[Any]) -> list[ApplicationView]:
    ids = [row.id for row in rows]
    steps: dict[str, list[StepView]] = {i: [] for i in ids}
    objections: dict[str, list[ObjectionView]] = {i: [] for i in ids}
    if ids:
        for s in connection.execute(
            select(step_t).where(step_t.c.application.in_(ids)).order_by(step_t.c.ledger_index)
        ):
            steps[s.application].append(
                StepView(s.step, ApplicationState(s.state), s.actor, s.reason, s.at, s.ledger_index)
            )
        for o in connection.execute(
            select(objection_t)
            .where(objection_t.c.application.in_(ids))
            .order_by(objection_t.c.lodged_index)
        ):
            objections[o.application].append(objection_view(o))
    return [
        ApplicationView(
            row.id,
            row.learner,
            row.institution,
            row.policy_id,
            tuple(json.loads(row.records)),
            ApplicationState(row.state),
            tuple(json.loads(row.exceptions)),
            row.decision_reason,
            row.evaluated_on,
            open_application_result(connection, row.learner, row.id, row.result),
            row.public_name,
            row.notice_until,
            row.evaluation,
            row.applied_at,
            row.updated_at,
            tuple(steps[row.id]),
            tuple(objections[row.id]),
        )
        for row in rows
    ]


def read_application(connection: Connection, application_id: str) -> ApplicationView:
    """One application, or 404."""
    row = connection.execute(
        select(application_t).where(application_t.c.id == application_id)
    ).first()
    if row is None:
        raise NotFound(f"no application {application_id!r}")
    return _views(connection, [row])[0]


def learner_applications(connection: Connection, learner_id: str) -> list[ApplicationView]:
    """A learner's applications, newest first."""
    rows = connection.execute(
        select(application_t)
        .where(application_t.c.learner == learner_id)
        .order_by(application_t.c.applied_at.desc(), application_t.c.id)
    ).all()
    return _views(connection, rows)


def institution_applications(
    connection: Connection, institution: str, states: Sequence[ApplicationState]
) -> list[ApplicationView]:
    """An institution's applications in ``states``, oldest first."""
    rows = connection.execute(
        select(application_t)
        .where(
            application_t.c.institution == institution,
            application_t.c.state.in_([s.value for s in states]),
        )
        .order_by(application_t.c.applied_at, application_t.c.id)
    ).all()
    return _views(connection, rows)


def public_notices(connection: Connection) -> list[ApplicationView]:
    """Every application on public notice (公示), oldest first: shown without personal data."""
    rows = connection.execute(
        select(application_t)
        .where(application_t.c.state == ApplicationState.IN_NOTICE.value)
        .order_by(application_t.c.notice_until, application_t.c.id)
    ).all()
    return _views(connection, rows)


def waiting_count(connection: Connection, institution: str) -> int:
    """Applications waiting for review, plus open objections, at ``institution``."""
    applied = connection.execute(
        select(func.count())
        .select_from(application_t)
        .where(
            application_t.c.institution == institution,
            application_t.c.state == ApplicationState.APPLIED.value,
        )
    ).scalar_one()
    objections = connection.execute(
        select(func.count())
        .select_from(objection_t)
        .join(application_t, application_t.c.id == objection_t.c.application)
        .where(application_t.c.institution == institution, objection_t.c.resolution.is_(None))
    ).scalar_one()
    return int(applied) + int(objections)
