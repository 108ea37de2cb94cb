"""``/api/v1/policies`` and ``/api/v1/evaluations``: what-if and committed evaluations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, Response, jsonify

from creditbank.api.access import (
    require_institution_member,
    require_learner,
    require_operator,
    require_principal,
)
from creditbank.api.bodies import json_object, load
from creditbank.api.openapi import documented
from creditbank.api.schemas.evaluations import (
    AppealIn,
    EvaluationIn,
    EvaluationOut,
    PolicyListOut,
    PolicyOut,
    RerunOut,
)
from creditbank.clock import utc_now
from creditbank.errors import Forbidden
from creditbank.evaluations import service
from creditbank.evaluations.transfers import transfer_ids
from creditbank.identity.principals import ClientPrincipal, LearnerPrincipal, Role
from creditbank.rules.evaluate import Evaluation
from creditbank.rules.policy import Policy
from creditbank.storage.database import read_connection
from creditbank.transcripts.revocation import DependentTranscripts
from creditbank.wiring import services

policies_blueprint = Blueprint("policies", __name__, url_prefix="/api/v1/policies")
blueprint = Blueprint("evaluations", __name__, url_prefix="/api/v1/evaluations")


def _policy(policy: Policy, published: dict[tuple[str, str], tuple[str, int]]) -> dict[str, Any]:
    entry = published.get((policy.id, policy.version))
    return {
        "id": policy.id,
        "version": policy.version,
        "title_zh": policy.title_zh,
        "title_en": policy.title_en,
        "pathway": policy.pathway,
        "programme": policy.programme.code,
        "institution": policy.programme.institution,
        "content_hash": policy.content_hash,
        "published": entry is not None and entry[0] == policy.content_hash,
        "published_index": None if entry is None else entry[1],
    }


@policies_blueprint.get("")
@documented(
    "Loaded policies and whether each version is published", response=PolicyListOut, errors=()
)
def list_policies() -> Response:
    """List the policies this service applies (public: rules are public)."""
    s = services()
    with read_connection(s.engine) as connection:
        published = service.publications(connection)
    return jsonify(
        {
            "policies": [
                _policy(p, published) for p in sorted(s.policies.values(), key=lambda p: p.id)
            ]
        }
    )


@policies_blueprint.post("/<policy_id>/publish")
@documented(
    "Publish a policy version (a log entry holds its hash)",
    response=PolicyOut,
    auth="bearer",
    errors=(404, 409),
)
def publish(policy_id: str) -> Response:
    """Make the loaded version of a policy active (the bank's operators)."""
    principal = require_operator()
    s = services()
    policy = service.find_policy(s.policies, policy_id)
    service.publish_policy(s.ledger, policy, actor=principal.actor, now=utc_now())
    with read_connection(s.engine) as connection:
        return jsonify(_policy(policy, service.publications(connection)))


def _answer(
    evaluation_id: str | None,
    index: int | None,
    evaluation: Evaluation,
    appeal_of: str | None = None,
    transfers: Sequence[str] = (),
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": evaluation_id,
        "ledger_index": index,
        "result_hash": evaluation.result_hash,
        "appeal_of": appeal_of,
        "result": evaluation.body,
        "transfers": list(transfers),
    }
    return dict(EvaluationOut().dump(body))


def _run(data: dict[str, Any], *, commit: bool) -> tuple[Response, int]:
    client, code = require_institution_member(Role.REGISTRAR)
    s = services()
    policy = service.find_policy(s.policies, data["policy"])
    now = utc_now()
    on = data["on"] or now.date()
    done = service.run_evaluation(
        s.ledger,
        learner_id=data["learner_id"],
        institution=code,
        actor=client.actor,
        by=client.key_id,
        policy=policy,
        on=on,
        exceptions=data["exceptions"],
        commit_it=commit,
        now=now,
        revoke_dependents=DependentTranscripts(s.issuer_identity()).of_transfer,
    )
    if done.committed is None:
        return jsonify(_answer(None, None, done.evaluation)), 200
    committed = done.committed
    answer = _answer(
        committed.id,
        committed.ledger_index,
        committed.evaluation,
        transfers=committed.transfers,
    )
    return jsonify(answer), 201


@blueprint.post("/what-if")
@documented(
    "Evaluate without recording anything",
    request=EvaluationIn,
    response=EvaluationOut,
    auth="bearer",
    errors=(400, 404),
)
def what_if() -> tuple[Response, int]:
    """Run an evaluation for a consenting learner; nothing is recorded."""
    return _run(load(EvaluationIn(), json_object()), commit=False)


@blueprint.post("")
@documented(
    "Evaluate and commit (a log entry holds the policy and result hashes)",
    status=201,
    request=EvaluationIn,
    response=EvaluationOut,
    auth="bearer",
    errors=(400, 404, 409),
)
def commit() -> tuple[Response, int]:
    """Run and commit an evaluation for a consenting learner."""
    return _run(load(EvaluationIn(), json_object()), commit=True)


def _readable(row: Any) -> None:
    principal = require_principal()
    if isinstance(principal, LearnerPrincipal) and principal.learner_id == row.learner:
        return
    if isinstance(principal, ClientPrincipal) and principal.institution == row.institution:
        return
    raise Forbidden("only the learner and the evaluating institution may read an evaluation")


@blueprint.get("/<evaluation_id>")
@documented("A committed evaluation", response=EvaluationOut, auth="bearer", errors=(404,))
def show(evaluation_id: str) -> Response:
    """A committed evaluation, for the learner or the evaluating institution."""
    require_principal()
    with read_connection(services().engine) as connection:
        row = service.read_evaluation(connection, evaluation_id)
        transfers = transfer_ids(connection, row.id)
        _readable(row)
        result = service.read_result(connection, row)
    body = {
        "id": row.id,
        "ledger_index": row.ledger_index,
        "result_hash": row.result_hash,
        "appeal_of": row.appeal_of,
        "result": result,
        "transfers": transfers,
    }
    return jsonify(EvaluationOut().dump(body))


@blueprint.post("/<evaluation_id>/rerun")
@documented(
    "Run a committed evaluation again from its recorded inputs",
    response=RerunOut,
    auth="bearer",
    errors=(404, 409),
)
def rerun(evaluation_id: str) -> Response:
    """Re-run from the recorded inputs and compare the result hash."""
    require_principal()
    s = services()
    with read_connection(s.engine) as connection:
        row = service.read_evaluation(connection, evaluation_id)
        _readable(row)
        again = service.rerun(connection, row, s.policies)
    return jsonify(
        RerunOut().dump(
            {
                "id": row.id,
                "stored_hash": row.result_hash,
                "rerun_hash": again.result_hash,
                "identical": again.result_hash == row.result_hash,
            }
        )
    )


@blueprint.post("/<evaluation_id>/appeal")
@documented(
    "A learner's appeal (复核): a new evaluation linked to this one",
    status=201,
    request=AppealIn,
    response=EvaluationOut,
    auth="bearer",
    errors=(400, 404, 409),
)
def appeal(evaluation_id: str) -> tuple[Response, int]:
    """Re-evaluate on the learner's current records, linked to the appealed evaluation."""
    learner = require_learner()
    asked = load(AppealIn(), json_object())
    s = services()
    now = utc_now()
    with read_connection(s.engine) as connection:
        row = service.read_evaluation(connection, evaluation_id)
    if row.learner != learner.learner_id:
        raise Forbidden("a learner may appeal only their own evaluations")
    policy = service.find_policy(s.policies, row.policy_id)
    committed = service.commit_appeal(
        s.ledger,
        row,
        actor=learner.actor,
        by="learner",
        policy=policy,
        records=asked["records"],
        now=now,
        revoke_dependents=DependentTranscripts(s.issuer_identity()).of_transfer,
    )
    answer = _answer(
        committed.id, committed.ledger_index, committed.evaluation, row.id, committed.transfers
    )
    return jsonify(answer), 201
