"""Running, committing, re-running and appealing evaluations; publishing policy versions.

An evaluation reads the learner's records as they stand (active ones, current versions),
applies a loaded policy, and when committed records in the log the content hash of the policy
and of the result. The record versions it read are kept, so a re-run later reads the same
inputs and must give the same hash.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, insert, select

from creditbank.auth.access_log import Read, ReadKind, note_read
from creditbank.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound
from creditbank.evaluations.catalogue import PolicyCatalogue
from creditbank.evaluations.sealed_results import read_result, result_context
from creditbank.evaluations.tables import CommittedEvaluation, PolicyPublication
from creditbank.evaluations.transfers import plan_transfers, store_transfers, supersede_transfers
from creditbank.institutions.tables import Institution
from creditbank.learners.data_keys import vault
from creditbank.learners.service import ConsentScope, active_consent, learner_exists
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.sequencer import NewEntry
from creditbank.ledger.service import Ledger, LedgerTransaction
from creditbank.notices.kinds import NoticeKind
from creditbank.notices.service import Recipient, notify
from creditbank.records.contents import load_content
from creditbank.records.dependents import RevokeDependents
from creditbank.records.parsing import parse_outcome
from creditbank.records.tables import OutcomeRecord, RecordVersion
from creditbank.rules.candidates import SourceOutcome
from creditbank.rules.evaluate import (
    CAP_NAMES,
    Evaluation,
    Exception_,
    Exclude,
    Force,
    SetCap,
    SetCredits,
    Waive,
    evaluate,
    exception_from_json,
    exception_json,
)
from creditbank.rules.policy import Policy
from creditbank.rules.versions import Choice, choose
from creditbank.storage.database import read_connection

publication_t = PolicyPublication.__table__  # type: ignore[attr-defined]
evaluation_t = CommittedEvaluation.__table__  # type: ignore[attr-defined]
record_t = OutcomeRecord.__table__  # type: ignore[attr-defined]
version_t = RecordVersion.__table__  # type: ignore[attr-defined]
institution_t = Institution.__table__  # type: ignore[attr-defined]


# --- policies -------------------------------------------------------------------------------


def find_policy(policies: Mapping[str, Policy], policy_id: str) -> Policy:
    """The loaded policy with ``policy_id``, or 404."""
    policy = policies.get(policy_id)
    if policy is None:
        raise NotFound(f"no policy {policy_id!r}")
    return policy


def choose_policy(
    catalogue: PolicyCatalogue,
    policy_id: str,
    *,
    on: date,
    entered_on: date | None = None,
    intake: int | None = None,
    version: str | None = None,
) -> Choice:
    """The version of ``policy_id`` that applies to a learner (see :func:`choose`)."""
    if version is not None:
        catalogue.version(policy_id, version)  # published by another process just now, perhaps
    return choose(
        catalogue.policies(policy_id),
        on=on,
        entered_on=entered_on,
        intake=intake,
        version=version,
    )


def publications(connection: Connection) -> dict[tuple[str, str], tuple[str, int]]:
    """Published versions: ``(id, version) -> (content hash, ledger index)``."""
    rows = connection.execute(select(publication_t)).all()
    return {(r.policy_id, r.version): (r.content_hash, r.ledger_index) for r in rows}


def publish_policy(
    ledger: Ledger,
    policy: Policy,
    *,
    actor: str,
    now: datetime,
    text: str | None = None,
    fmt: str = "toml",
    source: str | None = None,
    by: str | None = None,
) -> int:
    """Make a policy version active by a log entry holding its content hash; return the index.

    With its ``text`` (TOML or JSON, ``fmt``), the version is stored, so every serving
    process loads it from the database.
    """
    with ledger.transaction() as tx:
        existing = publications(tx.connection).get((policy.id, policy.version))
        if existing is not None:
            if existing[0] != policy.content_hash:
                raise Conflict(
                    f"{policy.id} version {policy.version} was published with other content; "
                    "give the changed policy a new version"
                )
            return existing[1]
        index = tx.record(
            EntryKind.POLICY_PUBLISHED,
            actor,
            {"policy": policy.id, "version": policy.version, "hash": policy.content_hash},
            now=now,
        )
        tx.connection.execute(
            insert(publication_t).values(
                policy_id=policy.id,
                version=policy.version,
                content_hash=policy.content_hash,
                published_at=now,
                ledger_index=index,
                content=text,
                format=None if text is None else fmt,
                source=source,
                published_by=by,
            )
        )
    return index


# --- inputs ---------------------------------------------------------------------------------


def _sources(connection: Connection, rows: Sequence[Any]) -> list[SourceOutcome]:
    box = vault(connection)  # one key read per learner for the whole evaluation
    return [
        SourceOutcome(
            row.record,
            row.institution,
            row.region,
            parse_outcome(
                load_content(box, row.learner, row.record, row.version, row.content),
                today=date.max,
            ),
        )
        for row in rows
    ]


def _query() -> Any:
    return (
        select(
            version_t.c.record,
            version_t.c.version,
            version_t.c.content,
            version_t.c.ledger_index,
            record_t.c.learner,
            record_t.c.institution,
            institution_t.c.region,
        )
        .join(record_t, record_t.c.id == version_t.c.record)
        .join(institution_t, institution_t.c.code == record_t.c.institution)
    )


def current_sources(
    connection: Connection, learner_id: str
) -> tuple[list[SourceOutcome], list[list[Any]]]:
    """The learner's active records as they stand, and the (record, ledger index) read."""
    rows = connection.execute(
        _query().where(
            record_t.c.learner == learner_id,
            record_t.c.status == "active",
            version_t.c.version == record_t.c.version,
        )
    ).all()
    return _sources(connection, rows), sorted([row.record, row.ledger_index] for row in rows)


def chosen_sources(
    connection: Connection, learner_id: str, records: Sequence[str], *, strict: bool = True
) -> tuple[list[SourceOutcome], list[list[Any]]]:
    """The learner's chosen active records as they stand; 400 naming any that is not one.

    Not ``strict`` (reviewing an application made earlier), a chosen record revoked since is
    left out; 400 only when none is left.
    """
    sources, inputs = current_sources(connection, learner_id)
    known = {s.record_id for s in sources}
    problems = [
        FieldProblem("records", "is not one of your active records", position)
        for position, record in enumerate(records)
        if record not in known
    ]
    if not strict and len(problems) < len(records):
        problems = []
    if problems or not records:
        raise InvalidInput(
            "choose at least one of your active records",
            problems=problems or [FieldProblem("records", "choose at least one")],
        )
    wanted = set(records)
    return (
        [s for s in sources if s.record_id in wanted],
        [item for item in inputs if item[0] in wanted],
    )


def recorded_sources(
    connection: Connection, inputs: Sequence[Sequence[Any]]
) -> list[SourceOutcome]:
    """The exact record versions an earlier evaluation read."""
    indices = [int(index) for _, index in inputs]
    if not indices:
        return []
    rows = connection.execute(_query().where(version_t.c.ledger_index.in_(indices))).all()
    return _sources(connection, rows)


# --- exceptions -----------------------------------------------------------------------------


def _exception_credits(
    item: Mapping[str, Any], index: int, default: Decimal | None, problems: list[FieldProblem]
) -> Decimal | None:
    raw = item.get("credits", default)
    if raw is None:
        problems.append(FieldProblem("credits", "give the credits", index))
        return None
    try:
        credits = Decimal(str(raw))
    except InvalidOperation:
        problems.append(FieldProblem("credits", "must be a number", index))
        return None
    if not credits.is_finite() or credits < 0:
        problems.append(FieldProblem("credits", "must be a number, 0 or more", index))
        return None
    return credits


def parse_exceptions(
    raw: Sequence[Mapping[str, Any]],
    policy: Policy,
    sources: Sequence[SourceOutcome],
    by: str,
    at: str | None = None,
) -> list[Exception_]:
    """Validate registrars' exceptions against the policy and the learner's records.

    ``force`` and ``waive`` grant; ``exclude`` (an outcome), ``cap`` (a cap for this learner)
    and ``credits`` (a course's credits for this learner) restrict or adjust. Each records
    who (``by``), when (``at``) and why; nothing is evaluated if any is invalid.
    """
    known = {s.record_id for s in sources}
    courses = {c.code: c for c in policy.programme.courses}
    parsed: list[Exception_] = []
    problems: list[FieldProblem] = []
    forced: set[str] = set()
    excluded: set[str] = set()
    for index, item in enumerate(raw):
        before = len(problems)
        why = str(item.get("why", "")).strip()
        target = item.get("target")
        kind = item.get("type")
        if not why:
            problems.append(FieldProblem("why", "an exception needs its reason", index))
        if kind not in {"force", "waive", "exclude", "cap", "credits"}:
            problems.append(
                FieldProblem("type", "must be force, waive, exclude, cap or credits", index)
            )
            continue
        if kind in {"force", "waive", "credits"} and target not in courses:
            problems.append(
                FieldProblem("target", f"not a course of {policy.programme.code}", index)
            )
        if kind in {"force", "exclude"} and item.get("record") not in known:
            problems.append(
                FieldProblem("record", "not one of this learner's active records", index)
            )
        if kind == "cap" and item.get("cap") not in CAP_NAMES:
            problems.append(FieldProblem("cap", f"must be one of {', '.join(CAP_NAMES)}", index))
        course = courses.get(str(target))
        # A force defaults to the course's credits; with no such course, the target says why.
        needs_credits = kind == "cap" or (kind in {"force", "credits"} and course is not None)
        credits = (
            _exception_credits(
                item, index, course.credits if kind == "force" and course else None, problems
            )
            if needs_credits
            else None
        )
        if kind == "force" and course and credits is not None and credits > course.credits:
            problems.append(
                FieldProblem("credits", f"more than the course's {course.credits} credits", index)
            )
        if len(problems) > before:
            continue
        record = str(item.get("record"))
        if kind == "force":
            assert credits is not None
            forced.add(record)
            parsed.append(Force(record, str(target), credits, by, why, at))
        elif kind == "waive":
            parsed.append(Waive(str(target), by, why, at))
        elif kind == "exclude":
            excluded.add(record)
            parsed.append(Exclude(record, by, why, at))
        elif kind == "cap":
            assert credits is not None
            parsed.append(SetCap(str(item["cap"]), credits, by, why, at))
        else:
            assert credits is not None
            parsed.append(SetCredits(str(target), credits, by, why, at))
    for record in sorted(forced & excluded):
        problems.append(FieldProblem("record", f"{record} is both forced and excluded"))
    if problems:
        raise InvalidInput("the exceptions are not valid; nothing was evaluated", problems=problems)
    return parsed


def _exceptions_json(exceptions: Sequence[Exception_]) -> list[dict[str, Any]]:
    return [exception_json(item) for item in exceptions]


def _exceptions_from_json(raw: Sequence[Mapping[str, Any]]) -> list[Exception_]:
    return [exception_from_json(item) for item in raw]


# --- evaluations ----------------------------------------------------------------------------


def check_may_evaluate(
    connection: Connection,
    institution: str,
    learner_id: str,
    policy: Policy,
    *,
    now: datetime,
    by: str | None = None,
    kind: ReadKind = ReadKind.WHAT_IF,
) -> None:
    """Only the programme's institution, and only with the learner's evaluate consent.

    When the key ``by`` asks, the read is noted in the learner's access log as ``kind``.
    """
    if policy.programme.institution != institution:
        raise Forbidden(
            f"{policy.id} is {policy.programme.institution}'s policy; {institution} cannot apply it"
        )
    consent = (
        active_consent(connection, learner_id, institution, ConsentScope.EVALUATE, now=now)
        if learner_exists(connection, learner_id)
        else None
    )
    if consent is None:
        raise Forbidden(f"this learner has given {institution} no evaluate consent")
    if by is not None:
        note_read(Read(learner_id, institution, by, consent, kind, policy.id))


@dataclass(frozen=True)
class Committed:
    """A committed evaluation."""

    id: str
    ledger_index: int
    evaluation: Evaluation
    transfers: tuple[str, ...] = ()  # the recognised transfers' ids, in programme order


def commit(
    ledger: Ledger,
    *,
    learner_id: str,
    institution: str,
    actor: str,
    by: str,
    policy: Policy,
    on: date,
    sources: Sequence[SourceOutcome],
    inputs: Sequence[Sequence[Any]],
    exceptions: Sequence[Exception_],
    now: datetime,
    revoke_dependents: RevokeDependents,
    appeal_of: str | None = None,
    applies_on: date | None = None,
    appeal_reason: str | None = None,
    within: Callable[[LedgerTransaction, str], None] | None = None,
) -> Committed:
    """Evaluate and record it: the log entry holds the policy and result hashes.

    ``applies_on`` is the learner's entry date or intake start that chose the version (for
    a policy whose versions apply by them); it is recorded, so a re-run applies it again.
    ``within`` runs last in the commit's transaction with the new evaluation's id (an
    application records its last step there, so the two commit together).

    Each recognised course gets its own ``transfer.recognised`` entry (see
    :mod:`creditbank.evaluations.transfers`), and the learner's earlier transfers under the
    same policy are superseded: ``revoke_dependents`` revokes what held them, in the same
    transaction.
    """
    evaluation = evaluate(policy, sources, on, exceptions, applies_on)
    evaluation_id = str(uuid.uuid4())
    payload: dict[str, Any] = {
        "evaluation": evaluation_id,
        "learner": learner_id,
        "institution": institution,
        "policy": {"id": policy.id, "version": policy.version, "hash": policy.content_hash},
        "on": on.isoformat(),
        "inputs": [list(item) for item in inputs],
        "result_hash": evaluation.result_hash,
        "appeal_of": appeal_of,
    }
    if applies_on is not None:
        payload["applies_on"] = applies_on.isoformat()
    if appeal_reason is not None:
        payload["appeal_reason"] = appeal_reason
    with ledger.transaction() as tx:
        published = publications(tx.connection).get((policy.id, policy.version))
        if published is None:
            raise Conflict(f"{policy.id} version {policy.version} is not published yet")
        if published[0] != policy.content_hash:
            raise Conflict(f"{policy.id} version {policy.version} was published with other content")
        entries = [NewEntry(EntryKind.EVALUATION_COMMITTED, actor, payload)]
        entries += [
            NewEntry(
                EntryKind.OVERRIDE_RECORDED,
                actor,
                # The learner: the registrar's reason is sealed with the learner's data.
                {"evaluation": evaluation_id, "learner": learner_id, **item},
            )
            for item in _exceptions_json(exceptions)
        ]
        planned = plan_transfers(
            evaluation_id=evaluation_id,
            evaluation=evaluation,
            learner_id=learner_id,
            institution=institution,
            policy=policy,
            on=on,
            actor=actor,
        )
        result = tx.append([*entries, *planned.entries], now=now)
        index = result.first_index
        tx.connection.execute(
            insert(evaluation_t).values(
                id=evaluation_id,
                learner=learner_id,
                institution=institution,
                policy_id=policy.id,
                policy_version=policy.version,
                policy_hash=policy.content_hash,
                evaluated_on=on,
                applies_on=applies_on,
                inputs=json.dumps([list(item) for item in inputs]),
                exceptions=json.dumps(_exceptions_json(exceptions), ensure_ascii=False),
                result=vault(tx.connection).seal(
                    learner_id,
                    json.dumps(evaluation.body, ensure_ascii=False),
                    context=result_context(evaluation_id),
                ),
                result_hash=evaluation.result_hash,
                committed_by=by,
                committed_at=now,
                ledger_index=index,
                appeal_of=appeal_of,
                appeal_reason=appeal_reason,
            )
        )
        supersede_transfers(
            tx,
            learner_id=learner_id,
            policy_id=policy.id,
            by_evaluation=evaluation_id,
            actor=actor,
            now=now,
            revoke_dependents=revoke_dependents,
        )
        store_transfers(
            tx.connection,
            planned,
            result.indices[len(entries) :],
            evaluation_id=evaluation_id,
            learner_id=learner_id,
            institution=institution,
            policy_id=policy.id,
        )
        notify(
            tx.connection,
            Recipient.LEARNER,
            learner_id,
            NoticeKind.EVALUATION_DECIDED if appeal_of is None else NoticeKind.APPEAL_DECIDED,
            {
                "evaluation": evaluation_id,
                "appeal_of": appeal_of,
                "institution": institution,
                "policy": f"{policy.id} v{policy.version}",
                "recognised": str(evaluation.body["recognised_credits"]),
                "remaining": str(evaluation.body["remaining_credits"]),
            },
            event_key=f"evaluation:{evaluation_id}",
            now=now,
        )
        if within is not None:
            within(tx, evaluation_id)
    return Committed(evaluation_id, index, evaluation, planned.ids)


def commit_current(
    ledger: Ledger,
    *,
    learner_id: str,
    institution: str,
    actor: str,
    by: str,
    policy: Policy,
    on: date,
    now: datetime,
    revoke_dependents: RevokeDependents,
    appeal_of: str | None = None,
    applies_on: date | None = None,
) -> Committed:
    """Commit an evaluation, without exceptions, of the learner's records as they stand now."""
    with read_connection(ledger.engine) as connection:
        sources, inputs = current_sources(connection, learner_id)
    return commit(
        ledger,
        learner_id=learner_id,
        institution=institution,
        actor=actor,
        by=by,
        policy=policy,
        on=on,
        sources=sources,
        inputs=inputs,
        exceptions=[],
        now=now,
        revoke_dependents=revoke_dependents,
        appeal_of=appeal_of,
        applies_on=applies_on,
    )


def appeal_inputs(
    connection: Connection, row: Any, records: Sequence[str]
) -> tuple[list[SourceOutcome], list[list[Any]]]:
    """What an appeal of ``row`` reads.

    With no ``records`` named, every record as it stands; otherwise the appealed
    evaluation's inputs with the named records re-read as they stand now (added if new,
    left out if no longer active).
    """
    current, current_inputs = current_sources(connection, row.learner)
    if not records:
        return current, current_inputs
    now_at = {record: index for record, index in current_inputs}
    then_at = {record: index for record, index in json.loads(row.inputs)}
    unknown = [r for r in records if r not in now_at and r not in then_at]
    if unknown:
        raise InvalidInput(
            "the appeal names records that are not the learner's",
            problems=[FieldProblem("records", f"unknown record {r!r}") for r in unknown],
        )
    chosen = dict(then_at)
    for record in records:
        if record in now_at:
            chosen[record] = now_at[record]
        else:
            chosen.pop(record, None)
    inputs = sorted([record, index] for record, index in chosen.items())
    return recorded_sources(connection, inputs), inputs


def commit_appeal(
    ledger: Ledger,
    row: Any,
    *,
    actor: str,
    by: str,
    policy: Policy,
    records: Sequence[str],
    now: datetime,
    revoke_dependents: RevokeDependents,
    on: date | None = None,
    reason: str | None = None,
) -> Committed:
    """An appeal (复核) of the committed evaluation ``row``, linked to it.

    It is evaluated as of the appealed evaluation's date unless ``on`` (a registrar's
    statement) says otherwise, and registrars' decisions in the appealed evaluation stand
    (those naming a record the appeal no longer reads drop out). It applies the appealed
    evaluation's own version (``policy``), chosen as it was.
    """
    with read_connection(ledger.engine) as connection:
        sources, inputs = appeal_inputs(connection, row, records)
    present = {s.record_id for s in sources}
    carried = [
        item
        for item in _exceptions_from_json(json.loads(row.exceptions))
        if not isinstance(item, Force | Exclude) or item.record_id in present
    ]
    return commit(
        ledger,
        learner_id=row.learner,
        institution=row.institution,
        actor=actor,
        by=by,
        policy=policy,
        on=row.evaluated_on if on is None else on,
        sources=sources,
        inputs=inputs,
        exceptions=carried,
        now=now,
        revoke_dependents=revoke_dependents,
        appeal_of=row.id,
        applies_on=row.applies_on,
        appeal_reason=reason,
    )


def learner_appeal(
    ledger: Ledger,
    catalogue: PolicyCatalogue,
    evaluation_id: str,
    *,
    learner_id: str,
    actor: str,
    reason: str,
    records: Sequence[str],
    now: datetime,
    revoke_dependents: RevokeDependents,
) -> tuple[Any, Committed]:
    """A learner's appeal (复核) of their own evaluation, with the learner's reason.

    The API and the portal's 复核 button both come here. Returns the appealed row and the new
    evaluation; the learner is told the result (an ``appeal_decided`` notice, written with
    the commit).
    """
    with read_connection(ledger.engine) as connection:
        row = read_evaluation(connection, evaluation_id)
    if row.learner != learner_id:
        raise Forbidden("a learner may appeal only their own evaluations")
    policy = own_version(catalogue, row)
    committed = commit_appeal(
        ledger,
        row,
        actor=actor,
        by="learner",
        policy=policy,
        records=records,
        now=now,
        revoke_dependents=revoke_dependents,
        reason=reason,
    )
    return row, committed


@dataclass(frozen=True)
class EvaluationSummary:
    """A committed evaluation as its learner reads it."""

    id: str
    institution: str
    policy_id: str
    policy_version: str
    evaluated_on: date
    committed_at: datetime
    result: Mapping[str, Any]
    appeal_of: str | None
    appeal_reason: str | None
    current: bool  # no later evaluation of this learner under this policy

    @property
    def recognised(self) -> list[Mapping[str, Any]]:
        """The programme's courses with credits recognised."""
        return [c for c in self.result["courses"] if Decimal(c["recognised_credits"]) > 0]

    @property
    def not_recognised(self) -> list[Mapping[str, Any]]:
        """The programme's courses with nothing recognised, each with why."""
        return [c for c in self.result["courses"] if Decimal(c["recognised_credits"]) <= 0]

    @property
    def unused_outcomes(self) -> list[Mapping[str, Any]]:
        """The learner's outcomes the evaluation did not use, each with why."""
        return [o for o in self.result["outcomes"] if not o["used"]]


def learner_evaluations(connection: Connection, learner_id: str) -> list[EvaluationSummary]:
    """The learner's committed evaluations, newest first."""
    rows = connection.execute(
        select(evaluation_t)
        .where(evaluation_t.c.learner == learner_id)
        .order_by(evaluation_t.c.ledger_index.desc())
    ).all()
    seen: set[str] = set()
    found = []
    for row in rows:
        found.append(
            EvaluationSummary(
                row.id,
                row.institution,
                row.policy_id,
                row.policy_version,
                row.evaluated_on,
                row.committed_at,
                read_result(connection, row),
                row.appeal_of,
                row.appeal_reason,
                row.policy_id not in seen,
            )
        )
        seen.add(row.policy_id)
    return found


def decide_appeal(
    ledger: Ledger,
    row: Any,
    *,
    institution: str,
    actor: str,
    by: str,
    policy: Policy,
    records: Sequence[str],
    on: date | None,
    now: datetime,
    revoke_dependents: RevokeDependents,
    reason: str | None = None,
) -> Committed:
    """A registrar's appeal (复核) decision on ``row``: the API's and the console's one step.

    Only the evaluation's own institution decides it, and only while the learner's evaluate
    consent holds. ``on`` is the registrar's stated as-of date (None: the appealed
    evaluation's); ``records`` are the records to reconsider (see :func:`appeal_inputs`).
    """
    if row.institution != institution:
        raise Forbidden(
            f"evaluation {row.id} is {row.institution}'s; {institution} cannot decide it"
        )
    with read_connection(ledger.engine) as connection:
        check_may_evaluate(connection, institution, row.learner, policy, now=now)
    return commit_appeal(
        ledger,
        row,
        actor=actor,
        by=by,
        policy=policy,
        records=records,
        now=now,
        revoke_dependents=revoke_dependents,
        on=on,
        reason=reason,
    )


def evaluations_by(connection: Connection, learner_id: str, institution: str) -> list[Any]:
    """The committed evaluations of ``learner_id`` by ``institution``, newest first."""
    query = (
        select(evaluation_t)
        .where(evaluation_t.c.learner == learner_id, evaluation_t.c.institution == institution)
        .order_by(evaluation_t.c.ledger_index.desc())
    )
    return list(connection.execute(query).all())


@dataclass(frozen=True)
class EvaluationRun:
    """A registrar's evaluation: its result, and what was recorded when it was committed."""

    evaluation: Evaluation
    committed: Committed | None  # None for a what-if, which records nothing


def run_evaluation(
    ledger: Ledger,
    *,
    learner_id: str,
    institution: str,
    actor: str,
    by: str,
    policy: Policy,
    on: date,
    exceptions: Sequence[Mapping[str, Any]],
    commit_it: bool,
    now: datetime,
    revoke_dependents: RevokeDependents,
    applies_on: date | None = None,
) -> EvaluationRun:
    """Evaluate a consenting learner's current records for ``institution``; commit if asked.

    The one step behind the API's what-if and commit and the registrar console's form:
    consent is checked, then the ``exceptions`` (as given by the registrar ``by``) are parsed
    against the policy and the learner's records. A commit supersedes earlier transfers, and
    ``revoke_dependents`` revokes the transcripts that held them.
    """
    with read_connection(ledger.engine) as connection:
        check_may_evaluate(
            connection,
            institution,
            learner_id,
            policy,
            now=now,
            by=by,
            kind=ReadKind.EVALUATION if commit_it else ReadKind.WHAT_IF,
        )
        sources, inputs = current_sources(connection, learner_id)
    parsed = parse_exceptions(exceptions, policy, sources, by, now.isoformat())
    if not commit_it:
        return EvaluationRun(evaluate(policy, sources, on, parsed, applies_on), None)
    committed = commit(
        ledger,
        learner_id=learner_id,
        institution=institution,
        actor=actor,
        by=by,
        policy=policy,
        on=on,
        sources=sources,
        inputs=inputs,
        exceptions=parsed,
        now=now,
        revoke_dependents=revoke_dependents,
        applies_on=applies_on,
    )
    return EvaluationRun(committed.evaluation, committed)


def learner_what_if(
    connection: Connection, learner_id: str, policy: Policy, on: date
) -> Evaluation:
    """The learner's own what-if against any policy: what would count if they went there.

    No consent is needed (only the learner sees it) and nothing is recorded.
    """
    sources, _ = current_sources(connection, learner_id)
    return evaluate(policy, sources, on)


def read_evaluation(connection: Connection, evaluation_id: str) -> Any:
    """The stored row of a committed evaluation, or 404."""
    row = connection.execute(select(evaluation_t).where(evaluation_t.c.id == evaluation_id)).first()
    if row is None:
        raise NotFound(f"no evaluation {evaluation_id!r}")
    return row


def own_version(catalogue: PolicyCatalogue, row: Any) -> Policy:
    """The version a committed evaluation used, which must still hash as it did."""
    policy = catalogue.version(row.policy_id, row.policy_version).policy
    if policy.content_hash != row.policy_hash:
        raise Conflict(
            f"the loaded {policy.id} version {policy.version} hashes "
            f"{policy.content_hash[:12]}, the evaluation used {row.policy_hash[:12]}"
        )
    return policy


def rerun(connection: Connection, row: Any, catalogue: PolicyCatalogue) -> Evaluation:
    """Evaluate again from the stored inputs under the evaluation's own version."""
    policy = own_version(catalogue, row)
    sources = recorded_sources(connection, json.loads(row.inputs))
    exceptions = _exceptions_from_json(json.loads(row.exceptions))
    return evaluate(policy, sources, row.evaluated_on, exceptions, row.applies_on)
