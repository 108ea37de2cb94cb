"""Applications for recognition, the process Chinese credit banks run: 申请 → 审核 → 公示 → 认定.

1. 申请: a learner applies at an institution under one of its policies, choosing records; the
   evaluate consent is given with the application (same transaction).
2. 审核: the institution's registrar evaluates the chosen records (the what-if in front of
   them) and approves, adjusts (exceptions, each with its reason) or rejects (with a reason).
3. 公示: where the institution sets a notice period, the approved result is shown on a public
   page for that many days with a masked name (张*), the credits and the courses; anyone may
   lodge an objection with a reason, which the registrar dismisses or upholds (upheld: back to
   审核).
4. 认定: once the period is over with no open objection (or at once, without a period), the
   result is committed as an ordinary committed evaluation.

Every step is an ``application.step`` entry (the application, the step and the new state: no
personal data) whose actor and time say who and when; the reasons stay in the tables. The
learner is told of every decision.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from creditbank.canonical import canonical_json
from creditbank.clock import as_utc
from creditbank.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound
from creditbank.evaluations.application_views import (
    STATE_TEXTS,
    ApplicationState,
    ApplicationView,
    ObjectionView,
    application_t,
    mask_name,
    objection_t,
    objection_view,
    read_application,
    step_t,
)
from creditbank.evaluations.sealed_results import (
    open_application_result,
    seal_application_result,
)
from creditbank.evaluations.service import Committed, chosen_sources, commit, parse_exceptions
from creditbank.identity.principals import LEARNER_ACTOR
from creditbank.identity.sealing import FieldSealer
from creditbank.institutions.service import notice_days
from creditbank.learners.service import ConsentScope, has_consent, read_account, record_consent
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.service import Ledger, LedgerTransaction
from creditbank.notices.kinds import NoticeKind
from creditbank.notices.service import Recipient, notify
from creditbank.records.dependents import RevokeDependents
from creditbank.rules.evaluate import Evaluation, evaluate, exception_from_json, exception_json
from creditbank.rules.policy import Policy
from creditbank.storage.database import read_connection

PUBLIC_ACTOR = "bank"  # an objection is lodged by anyone: the log names no one
MAX_RECORDS = 200


# --- steps ----------------------------------------------------------------------------------


def _step(
    tx: LedgerTransaction,
    row: Any,
    step: str,
    state: ApplicationState,
    *,
    actor: str,
    reason: str | None,
    now: datetime,
    values: Mapping[str, Any] | None = None,
    notify_learner: bool = True,
) -> int:
    """Log one step (entry, step row, the application's new state) and tell the learner."""
    index = tx.record(
        EntryKind.APPLICATION_STEP,
        actor,
        {
            "application": row.id,
            "step": step,
            "state": state.value,
            "institution": row.institution,
            "policy": row.policy_id,
        },
        now=now,
    )
    tx.connection.execute(
        insert(step_t).values(
            ledger_index=index,
            application=row.id,
            step=step,
            state=state.value,
            actor=actor,
            reason=reason,
            at=now,
        )
    )
    tx.connection.execute(
        update(application_t)
        .where(application_t.c.id == row.id)
        .values(state=state.value, updated_at=now, last_index=index, **dict(values or {}))
    )
    if notify_learner:
        zh, en = STATE_TEXTS[state]
        notify(
            tx.connection,
            Recipient.LEARNER,
            row.learner,
            NoticeKind.APPLICATION_CHANGED,
            {
                "institution": row.institution,
                "policy": row.policy_id,
                "state_zh": zh,
                "state_en": en,
                "reason": reason or "",
            },
            event_key=f"application:{index}",
            now=now,
        )
    return index


def _lock(tx: LedgerTransaction, application_id: str) -> Any:
    row = tx.connection.execute(
        select(application_t).where(application_t.c.id == application_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"no application {application_id!r}")
    return row


def _own(row: Any, institution: str) -> None:
    if row.institution != institution:
        raise Forbidden(f"application {row.id} was made to {row.institution}")


def _in_state(row: Any, *states: ApplicationState) -> None:
    if row.state not in {s.value for s in states}:
        raise Conflict(
            f"application {row.id} is {row.state}; this step needs it "
            + " or ".join(s.value for s in states)
        )


def apply(
    ledger: Ledger,
    *,
    learner_id: str,
    policy: Policy,
    records: Sequence[str],
    consent_until: datetime,
    now: datetime,
) -> ApplicationView:
    """申请: the learner applies under ``policy`` with chosen records, consenting with it."""
    if len(records) > MAX_RECORDS or len(set(records)) != len(records):
        raise InvalidInput(
            "choose each record once, at most 200",
            problems=[FieldProblem("records", "each once, at most 200")],
        )
    institution = policy.programme.institution
    application_id = str(uuid.uuid4())
    with read_connection(ledger.engine) as connection:
        chosen_sources(connection, learner_id, records)
    with ledger.transaction() as tx:
        consent = record_consent(
            tx, learner_id, institution, ConsentScope.EVALUATE, consent_until, now=now
        )
        tx.connection.execute(
            insert(application_t).values(
                id=application_id,
                learner=learner_id,
                institution=institution,
                policy_id=policy.id,
                records=json.dumps(list(records)),
                consent=consent.id,
                state=ApplicationState.APPLIED.value,
                exceptions="[]",
                applied_at=now,
                updated_at=now,
                last_index=consent.granted_index,
            )
        )
        row = _lock(tx, application_id)
        _step(
            tx,
            row,
            "applied",
            ApplicationState.APPLIED,
            actor=LEARNER_ACTOR,
            reason=None,
            now=now,
            notify_learner=False,
        )
        return read_application(tx.connection, application_id)


def _consented(connection: Connection, row: Any, now: datetime) -> None:
    if not has_consent(connection, row.learner, row.institution, ConsentScope.EVALUATE, now=now):
        raise Conflict("the learner's evaluate consent for this application has ended")


def review_what_if(
    connection: Connection,
    application: ApplicationView,
    policy: Policy,
    raw_exceptions: Sequence[Mapping[str, Any]],
    *,
    institution: str,
    by: str,
    on: date,
    now: datetime,
) -> Evaluation:
    """审核: the evaluation the registrar has in front of them (records nothing)."""
    if application.institution != institution:
        raise Forbidden(f"application {application.id} was made to {application.institution}")
    sources, _ = chosen_sources(connection, application.learner, application.records, strict=False)
    parsed = parse_exceptions(raw_exceptions, policy, sources, by, now.isoformat())
    return evaluate(policy, sources, on, parsed)


def _committing(
    ledger: Ledger,
    row: Any,
    policy: Policy,
    *,
    actor: str,
    by: str,
    on: date,
    exceptions: Sequence[Mapping[str, Any]],
    steps: Sequence[tuple[str, str | None]],
    now: datetime,
    revoke_dependents: RevokeDependents,
    values: Mapping[str, Any] | None = None,
) -> Committed:
    """认定: commit the application's evaluation and log its steps in the same transaction."""
    with read_connection(ledger.engine) as connection:
        sources, inputs = chosen_sources(
            connection, row.learner, json.loads(row.records), strict=False
        )

    def record_steps(tx: LedgerTransaction, evaluation_id: str) -> None:
        locked = _lock(tx, row.id)
        if locked.last_index != row.last_index:
            raise Conflict(f"application {row.id} changed meanwhile; try again")
        for step, reason in steps:
            _step(
                tx,
                locked,
                step,
                ApplicationState.RECOGNISED,
                actor=actor,
                reason=reason,
                now=now,
                values={**dict(values or {}), "evaluation": evaluation_id},
                notify_learner=step == "recognised",
            )

    return commit(
        ledger,
        learner_id=row.learner,
        institution=row.institution,
        actor=actor,
        by=by,
        policy=policy,
        on=on,
        sources=sources,
        inputs=inputs,
        exceptions=[exception_from_json(item) for item in exceptions],
        now=now,
        revoke_dependents=revoke_dependents,
        within=record_steps,
    )


def decide(
    ledger: Ledger,
    sealer: FieldSealer,
    application_id: str,
    policy: Policy,
    *,
    institution: str,
    actor: str,
    by: str,
    approve: bool,
    exceptions: Sequence[Mapping[str, Any]],
    reason: str | None,
    on: date,
    now: datetime,
    revoke_dependents: RevokeDependents,
) -> ApplicationView:
    """审核: approve (with adjustments: exceptions, each with its why) or reject (with a reason).

    Approved, it goes on public notice when the institution sets a period, else it is
    committed at once.
    """
    if approve and exceptions and not reason:
        raise InvalidInput(
            "an adjusted approval needs its reason",
            problems=[FieldProblem("reason", "is required with exceptions")],
        )
    with read_connection(ledger.engine) as connection:
        current = read_application(connection, application_id)
        if current.institution != institution:
            raise Forbidden(f"application {application_id} was made to {current.institution}")
        if current.policy_id != policy.id:
            raise InvalidInput(
                f"the application is under {current.policy_id}",
                problems=[FieldProblem("policy", f"must be {current.policy_id}")],
            )
        days = notice_days(connection, institution)
        name = read_account(connection, sealer, current.learner).name
        row = connection.execute(
            select(application_t).where(application_t.c.id == application_id)
        ).one()
        _in_state(row, ApplicationState.APPLIED)
        if approve:
            _consented(connection, row, now)
            sources, _ = chosen_sources(connection, current.learner, current.records, strict=False)
            parsed = parse_exceptions(exceptions, policy, sources, by, now.isoformat())
    if not approve:
        if not reason:
            raise InvalidInput(
                "a rejection needs its reason", problems=[FieldProblem("reason", "is required")]
            )
        with ledger.transaction() as tx:
            locked = _lock(tx, application_id)
            _in_state(locked, ApplicationState.APPLIED)
            _step(
                tx,
                locked,
                "rejected",
                ApplicationState.REJECTED,
                actor=actor,
                reason=reason,
                now=now,
                values={"decision_reason": reason},
            )
        return _read(ledger, application_id)
    stored = [exception_json(item) for item in parsed]
    step = "adjusted" if stored else "approved"
    if days == 0:
        _committing(
            ledger,
            row,
            policy,
            actor=actor,
            by=by,
            on=on,
            exceptions=stored,
            steps=[(step, reason), ("recognised", None)],
            now=now,
            revoke_dependents=revoke_dependents,
            values={
                "exceptions": json.dumps(stored, ensure_ascii=False),
                "decision_reason": reason,
                "evaluated_on": on,
            },
        )
        return _read(ledger, application_id)
    result = evaluate(policy, sources, on, parsed)
    with ledger.transaction() as tx:
        locked = _lock(tx, application_id)
        _in_state(locked, ApplicationState.APPLIED)
        _step(
            tx,
            locked,
            step,
            ApplicationState.IN_NOTICE,
            actor=actor,
            reason=reason,
            now=now,
            values={
                "exceptions": json.dumps(stored, ensure_ascii=False),
                "decision_reason": reason,
                "evaluated_on": on,
                "result": seal_application_result(
                    tx.connection, locked.learner, application_id, result.body
                ),
                "public_name": mask_name(name),
                "notice_until": now + timedelta(days=days),
            },
        )
    return _read(ledger, application_id)


def _read(ledger: Ledger, application_id: str) -> ApplicationView:
    with read_connection(ledger.engine) as connection:
        return read_application(connection, application_id)


def lodge_objection(
    ledger: Ledger, application_id: str, *, reason: str, now: datetime
) -> ObjectionView:
    """公示: anyone objects to an application on notice, with a reason."""
    objection_id = str(uuid.uuid4())
    with ledger.transaction() as tx:
        row = _lock(tx, application_id)
        if row.state != ApplicationState.IN_NOTICE.value or as_utc(row.notice_until) <= now:
            raise Conflict("objections are taken only while the application is on notice")
        index = tx.record(
            EntryKind.APPLICATION_OBJECTION,
            PUBLIC_ACTOR,
            {"application": application_id, "objection": objection_id, "action": "lodged"},
            now=now,
        )
        tx.connection.execute(
            insert(objection_t).values(
                id=objection_id,
                application=application_id,
                reason=reason,
                lodged_at=now,
                lodged_index=index,
            )
        )
        notify(
            tx.connection,
            Recipient.INSTITUTION,
            row.institution,
            NoticeKind.OBJECTION_LODGED,
            {"application": application_id},
            event_key=f"objection:{objection_id}",
            now=now,
        )
        found = tx.connection.execute(
            select(objection_t).where(objection_t.c.id == objection_id)
        ).one()
    return objection_view(found)


def resolve_objection(
    ledger: Ledger,
    objection_id: str,
    *,
    institution: str,
    actor: str,
    uphold: bool,
    reason: str,
    now: datetime,
) -> ApplicationView:
    """The registrar dismisses an objection (the result stands) or upholds it (back to 审核)."""
    with ledger.transaction() as tx:
        objection = tx.connection.execute(
            select(objection_t).where(objection_t.c.id == objection_id).with_for_update()
        ).first()
        if objection is None:
            raise NotFound(f"no objection {objection_id!r}")
        row = _lock(tx, objection.application)
        _own(row, institution)
        if objection.resolution is not None:
            raise Conflict(f"objection {objection_id} was resolved already")
        resolution = "upheld" if uphold else "dismissed"
        index = tx.record(
            EntryKind.APPLICATION_OBJECTION,
            actor,
            {"application": row.id, "objection": objection_id, "action": resolution},
            now=now,
        )
        tx.connection.execute(
            update(objection_t)
            .where(objection_t.c.id == objection_id)
            .values(
                resolution=resolution,
                resolution_reason=reason,
                resolved_by=actor,
                resolved_at=now,
                resolved_index=index,
            )
        )
        if uphold and row.state == ApplicationState.IN_NOTICE.value:
            _step(
                tx,
                row,
                "objection_upheld",
                ApplicationState.APPLIED,
                actor=actor,
                reason=reason,
                now=now,
                values={"result": None, "public_name": None, "notice_until": None},
            )
    return _read(ledger, row.id)


def finalise(
    ledger: Ledger,
    application_id: str,
    policy: Policy,
    *,
    institution: str,
    actor: str,
    by: str,
    now: datetime,
    revoke_dependents: RevokeDependents,
) -> Committed:
    """认定: after the notice period, with no open objection, commit the approved result."""
    with read_connection(ledger.engine) as connection:
        current = read_application(connection, application_id)
        row = connection.execute(
            select(application_t).where(application_t.c.id == application_id)
        ).one()
        _own(row, institution)
        _in_state(row, ApplicationState.IN_NOTICE)
        if not current.notice_over(now):
            raise Conflict(
                f"the public notice runs until {as_utc(row.notice_until).isoformat()}; "
                "commit after it"
            )
        if current.open_objections:
            raise Conflict(f"{current.open_objections} objections are still open: resolve them")
        _consented(connection, row, now)
    if policy.id != row.policy_id:
        raise InvalidInput(f"the application is under {row.policy_id}")
    with read_connection(ledger.engine) as connection:
        sources, _ = chosen_sources(connection, row.learner, json.loads(row.records), strict=False)
    stored = json.loads(row.exceptions)
    again = evaluate(policy, sources, row.evaluated_on, [exception_from_json(e) for e in stored])
    with read_connection(ledger.engine) as connection:
        shown = open_application_result(connection, row.learner, row.id, row.result)
    if canonical_json(again.body) != canonical_json(shown):
        # A chosen record changed during the notice: what was shown is not what would be
        # committed, so the application goes back to review rather than commit unseen.
        with ledger.transaction() as tx:
            locked = _lock(tx, application_id)
            _in_state(locked, ApplicationState.IN_NOTICE)
            _step(
                tx,
                locked,
                "sources_changed",
                ApplicationState.APPLIED,
                actor=actor,
                reason=None,
                now=now,
                values={"result": None, "public_name": None, "notice_until": None},
            )
        raise Conflict(
            "a chosen record changed during the public notice; the application is back for review"
        )
    return _committing(
        ledger,
        row,
        policy,
        actor=actor,
        by=by,
        on=row.evaluated_on,
        exceptions=json.loads(row.exceptions),
        steps=[("recognised", None)],
        now=now,
        revoke_dependents=revoke_dependents,
    )
