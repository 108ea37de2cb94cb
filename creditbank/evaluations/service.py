"""Running, committing, re-running and appealing evaluations; publishing policy versions.

An evaluation reads the learner's records as they stand (active ones, current versions),
applies a loaded policy, and when committed records in the log the content hash of the policy
and of the result. The record versions it read are kept, so a re-run later reads the same
inputs and must give the same hash.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, insert, select

from creditbank.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound
from creditbank.evaluations.tables import CommittedEvaluation, PolicyPublication
from creditbank.evaluations.transfers import plan_transfers, store_transfers, supersede_transfers
from creditbank.institutions.tables import Institution
from creditbank.learners.data_keys import vault
from creditbank.learners.service import ConsentScope, has_consent, learner_exists
from creditbank.ledger.envelope import EntryKind
from creditbank.ledger.sequencer import NewEntry
from creditbank.ledger.service import Ledger
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


def publications(connection: Connection) -> dict[tuple[str, str], tuple[str, int]]:
    """Published versions: ``(id, version) -> (content hash, ledger index)``."""
    rows = connection.execute(select(publication_t)).all()
    return {(r.policy_id, r.version): (r.content_hash, r.ledger_index) for r in rows}


def publish_policy(ledger: Ledger, policy: Policy, *, actor: str, now: datetime) -> int:
    """Make a policy version active by a log entry holding its content hash; return the index."""
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
    connection: Connection, institution: str, learner_id: str, policy: Policy, *, now: datetime
) -> None:
    """Only the programme's institution, and only with the learner's evaluate consent."""
    if policy.programme.institution != institution:
        raise Forbidden(
            f"{policy.id} is {policy.programme.institution}'s policy; {institution} cannot apply it"
        )
    if not learner_exists(connection, learner_id) or not has_consent(
        connection, learner_id, institution, ConsentScope.EVALUATE, now=now
    ):
        raise Forbidden(f"this learner has given {institution} no evaluate consent")


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
) -> Committed:
    """Evaluate and record it: the log entry holds the policy and result hashes.

    Each recognised course gets its own ``transfer.recognised`` entry (see
    :mod:`creditbank.evaluations.transfers`), and the learner's earlier transfers under the
    same policy are superseded: ``revoke_dependents`` revokes what held them, in the same
    transaction.
    """
    evaluation = evaluate(policy, sources, on, exceptions)
    evaluation_id = str(uuid.uuid4())
    with ledger.transaction() as tx:
        if (policy.id, policy.version) not in publications(tx.connection):
            raise Conflict(f"{policy.id} version {policy.version} is not published yet")
        entries = [
            NewEntry(
                EntryKind.EVALUATION_COMMITTED,
                actor,
                {
                    "evaluation": evaluation_id,
                    "learner": learner_id,
                    "institution": institution,
                    "policy": {
                        "id": policy.id,
                        "version": policy.version,
                        "hash": policy.content_hash,
                    },
                    "on": on.isoformat(),
                    "inputs": [list(item) for item in inputs],
                    "result_hash": evaluation.result_hash,
                    "appeal_of": appeal_of,
                },
            )
        ]
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
) -> Committed:
    """An appeal (复核) of the committed evaluation ``row``, linked to it.

    It is evaluated as of the appealed evaluation's date unless ``on`` (a registrar's
    statement) says otherwise, and registrars' decisions in the appealed evaluation stand
    (those naming a record the appeal no longer reads drop out).
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
    )


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
) -> EvaluationRun:
    """Evaluate a consenting learner's current records for ``institution``; commit if asked.

    The one step behind the API's what-if and commit and the registrar console's form:
    consent is checked, then the ``exceptions`` (as given by the registrar ``by``) are parsed
    against the policy and the learner's records. A commit supersedes earlier transfers, and
    ``revoke_dependents`` revokes the transcripts that held them.
    """
    with read_connection(ledger.engine) as connection:
        check_may_evaluate(connection, institution, learner_id, policy, now=now)
        sources, inputs = current_sources(connection, learner_id)
    parsed = parse_exceptions(exceptions, policy, sources, by, now.isoformat())
    if not commit_it:
        return EvaluationRun(evaluate(policy, sources, on, parsed), None)
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
    )
    return EvaluationRun(committed.evaluation, committed)


def result_context(evaluation_id: str) -> str:
    """The sealing context of a committed evaluation's result (it names the outcomes read)."""
    return f"evaluation:{evaluation_id}:result"


def read_result(connection: Connection, row: Any) -> Any:
    """A committed evaluation's result, opened with its learner's key."""
    return json.loads(
        vault(connection).open(row.learner, row.result, context=result_context(row.id))
    )


def read_evaluation(connection: Connection, evaluation_id: str) -> Any:
    """The stored row of a committed evaluation, or 404."""
    row = connection.execute(select(evaluation_t).where(evaluation_t.c.id == evaluation_id)).first()
    if row is None:
        raise NotFound(f"no evaluation {evaluation_id!r}")
    return row


def rerun(connection: Connection, row: Any, policies: Mapping[str, Policy]) -> Evaluation:
    """Evaluate again from the stored inputs; the policy must still hash as it did."""
    policy = find_policy(policies, row.policy_id)
    if (policy.version, policy.content_hash) != (row.policy_version, row.policy_hash):
        raise Conflict(
            f"the loaded {policy.id} is version {policy.version} ({policy.content_hash[:12]}), "
            f"the evaluation used {row.policy_version} ({row.policy_hash[:12]})"
        )
    sources = recorded_sources(connection, json.loads(row.inputs))
    exceptions = _exceptions_from_json(json.loads(row.exceptions))
    return evaluate(policy, sources, row.evaluated_on, exceptions)
