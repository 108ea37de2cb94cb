"""``/api/v1/policies`` and ``/api/v1/evaluations``: what-if and committed evaluations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, Response, jsonify, request

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
from creditbank.errors import Forbidden, NotFound
from creditbank.evaluations import listing, service
from creditbank.evaluations.listing import ListedPolicy, ListedVersion
from creditbank.evaluations.sealed_results import read_result
from creditbank.evaluations.transfers import transfer_ids
from creditbank.identity.principals import ClientPrincipal, LearnerPrincipal, Role
from creditbank.rules.evaluate import Evaluation
from creditbank.rules.guide import describe
from creditbank.rules.loader import Quarantined
from creditbank.storage.database import read_connection
from creditbank.transcripts.revocation import DependentTranscripts
from creditbank.wiring import services

policies_blueprint = Blueprint("policies", __name__, url_prefix="/api/v1/policies")
blueprint = Blueprint("evaluations", __name__, url_prefix="/api/v1/evaluations")


def _version(item: ListedVersion) -> dict[str, Any]:
    return {
        "version": item.policy.version,
        "content_hash": item.policy.content_hash,
        "effective_from": item.policy.effective_from,
        "effective_until": item.policy.effective_until,
        "in_force_until": item.until,
        "published": item.published,
        "published_index": item.published_index,
        "origin": item.version.origin,
    }


def _policy(listed: ListedPolicy) -> dict[str, Any]:
    policy, current = listed.current, listed.current_version
    return {
        "id": policy.id,
        "version": policy.version,
        "title_zh": policy.title_zh,
        "title_en": policy.title_en,
        "pathway": policy.pathway,
        "programme": policy.programme.code,
        "institution": policy.programme.institution,
        "content_hash": policy.content_hash,
        "published": current.published,
        "published_index": current.published_index,
        "applies_by": policy.applies_by.value,
        "versions": [_version(v) for v in listed.versions],
    }


def quarantined_json(items: Sequence[Quarantined]) -> list[dict[str, Any]]:
    """Files set aside, with their errors, as the listing and /healthz show them."""
    return [
        {"source": item.source, "errors": [p.as_dict() for p in item.problems]} for item in items
    ]


@policies_blueprint.get("")
@documented(
    "Loaded policies, each with its versions, their periods and publication",
    response=PolicyListOut,
    errors=(),
)
def list_policies() -> Response:
    """List the policies this service applies (public: rules are public)."""
    s = services()
    listed = listing.list_policies(s.engine, s.catalogue, utc_now().date())
    body = {
        "policies": [_policy(item) for item in listed],
        "quarantined": quarantined_json(s.catalogue.quarantined()),
    }
    return jsonify(PolicyListOut().dump(body))


def _listed(policy_id: str) -> dict[str, Any]:
    s = services()
    for item in listing.list_policies(s.engine, s.catalogue, utc_now().date()):
        if item.current.id == policy_id:
            return dict(PolicyOut().dump(_policy(item)))
    raise NotFound(f"no policy {policy_id!r}")


@policies_blueprint.post("/<policy_id>/publish")
@documented(
    "Publish a loaded policy version (a log entry holds its hash); ?version= names one",
    response=PolicyOut,
    auth="bearer",
    errors=(404, 409),
)
def publish(policy_id: str) -> Response:
    """Publish a version of a policy from the policies folder (the bank's operators)."""
    principal = require_operator()
    s = services()
    asked = request.args.get("version")
    if asked is None:
        current = s.catalogue.current(utc_now().date()).get(policy_id)
        if current is None:
            raise NotFound(f"no policy {policy_id!r}")
        version = s.catalogue.version(policy_id, current.version)
    else:
        version = s.catalogue.version(policy_id, asked)
    service.publish_policy(
        s.ledger,
        version.policy,
        actor=principal.actor,
        now=utc_now(),
        text=version.text,
        fmt=version.format,
        source=version.source,
        by=principal.key_id,
    )
    s.catalogue.refresh(force=True)
    return jsonify(_listed(policy_id))


@policies_blueprint.get("/<policy_id>/guide")
@documented("A policy in words (the public transfer guide), zh and en", errors=(404,))
def guide(policy_id: str) -> Response:
    """What the policy recognises, for how much and under which conditions (public)."""
    described = describe(service.find_policy(services().policies, policy_id))
    policy = described.policy

    def pair(words: tuple[str, str]) -> dict[str, str]:
        return {"zh": words[0], "en": words[1]}

    return jsonify(
        {
            "id": policy.id,
            "version": policy.version,
            "institution": policy.programme.institution,
            "programme": policy.programme.code,
            "conditions": [pair(c) for c in described.conditions],
            "courses": [
                {
                    "code": c.course.code,
                    "title_zh": c.course.title_zh,
                    "title_en": c.course.title_en,
                    "credits": str(c.course.credits),
                    "ways": [pair(w) for w in c.ways],
                    "catch_all": c.catch_all,
                }
                for c in described.recognisable
            ],
            "caps": [pair(c) for c in described.caps],
            "not_recognised_when": [pair(c) for c in described.refusals],
        }
    )


@policies_blueprint.post("/<policy_id>/what-if")
@documented(
    "A learner's own what-if against any policy (no consent, nothing recorded)",
    response=EvaluationOut,
    auth="bearer",
    errors=(404,),
)
def learner_what_if(policy_id: str) -> Response:
    """What would count if the learner went there: only the learner sees it."""
    learner = require_learner()
    s = services()
    policy = service.find_policy(s.policies, policy_id)
    with read_connection(s.engine) as connection:
        result = service.learner_what_if(connection, learner.learner_id, policy, utc_now().date())
    return jsonify(_answer(None, None, result))


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
    now = utc_now()
    on = data["on"] or now.date()
    chosen = service.choose_policy(
        s.catalogue,
        data["policy"],
        on=on,
        entered_on=data["entered_on"],
        intake=data["intake"],
        version=data["version"],
    )
    policy = chosen.policy
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
        applies_on=chosen.applies_on,
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
        result = read_result(connection, row)
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
        again = service.rerun(connection, row, s.catalogue)
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
    "An appeal (复核): a new evaluation linked to this one, as of the appealed evaluation's "
    "date unless the institution's registrar states another",
    status=201,
    request=AppealIn,
    response=EvaluationOut,
    auth="bearer",
    errors=(400, 403, 404, 409),
)
def appeal(evaluation_id: str) -> tuple[Response, int]:
    """Re-evaluate, linked to the appealed evaluation: the learner's appeal or a registrar's.

    The learner appeals their own evaluation as of its date; a registrar of the evaluation's
    institution (with the learner's evaluate consent) may state another date. Either may
    name the records to reconsider.
    """
    principal = require_principal()
    asked = load(AppealIn(), json_object())
    s = services()
    revoke = DependentTranscripts(s.issuer_identity()).of_transfer
    if isinstance(principal, LearnerPrincipal):
        if asked["on"] is not None:
            raise Forbidden("only the institution's registrar states another date for an appeal")
        row, committed = service.learner_appeal(
            s.ledger,
            s.catalogue,
            evaluation_id,
            learner_id=principal.learner_id,
            actor=principal.actor,
            reason=asked["why"].strip(),
            records=asked["records"],
            now=utc_now(),
            revoke_dependents=revoke,
        )
    else:
        client, code = require_institution_member(Role.REGISTRAR)
        with read_connection(s.engine) as connection:
            row = service.read_evaluation(connection, evaluation_id)
        committed = service.decide_appeal(
            s.ledger,
            row,
            institution=code,
            actor=client.actor,
            by=client.key_id,
            policy=service.own_version(s.catalogue, row),
            records=asked["records"],
            on=asked["on"],
            reason=asked["why"].strip(),
            now=utc_now(),
            revoke_dependents=revoke,
        )
    answer = _answer(
        committed.id, committed.ledger_index, committed.evaluation, row.id, committed.transfers
    )
    return jsonify(answer), 201
