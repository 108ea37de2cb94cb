"""``/api/v1/learners``: opening accounts, the learner's own account, and consent."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, jsonify

from creditbank.api.access import (
    current_principal,
    require_institution_member,
    require_learner,
    require_reader_of,
)
from creditbank.api.bodies import json_object, load
from creditbank.api.openapi import choice, documented
from creditbank.api.params import choice_param
from creditbank.api.records import record_json
from creditbank.api.schemas.evaluations import TransferListOut, TransferOut
from creditbank.api.schemas.members import (
    AccountOut,
    ActivatedOut,
    ActivateIn,
    ConsentIn,
    ConsentListOut,
    ConsentOut,
    LearnerBatchIn,
    LearnerIdListOut,
    LearnerIn,
    MergedOut,
    MergeIn,
    OpenedListOut,
    OpenedOut,
    RegistrationOut,
)
from creditbank.api.schemas.records import RecordListOut
from creditbank.auth.access_log import ReadKind
from creditbank.clock import utc_now
from creditbank.errors import FieldProblem, InvalidInput
from creditbank.evaluations.transfers import TransferView, learner_transfers
from creditbank.identity.documents import IdentityDocument, parse_document
from creditbank.identity.passwords import check_password_strength
from creditbank.identity.principals import Role
from creditbank.learners import credentials, service
from creditbank.learners.merging import merge_accounts
from creditbank.learners.registration import ACCEPTED, register_self
from creditbank.operations.expiry import expired_certificates
from creditbank.records.moves import move_records
from creditbank.records.service import learner_records
from creditbank.storage.database import read_connection
from creditbank.wiring import services

blueprint = Blueprint("learners", __name__, url_prefix="/api/v1/learners")
consents_blueprint = Blueprint("consents", __name__, url_prefix="/api/v1/consents")


def document_of(data: dict[str, Any], *, index: int | None = None) -> IdentityDocument:
    """Validate an identity document, naming ``document.<field>`` (and the item) on error."""
    try:
        return parse_document(
            data["kind"], data["number"], country=data.get("country"), today=utc_now().date()
        )
    except InvalidInput as exc:
        problems = [
            FieldProblem(f"document.{p.field.removeprefix('document_')}", p.reason, index)
            for p in exc.problems
        ]
        raise InvalidInput(exc.detail, problems=problems) from None


def _new_learner(
    item: dict[str, Any], index: int | None, *, self_service: bool
) -> service.NewLearner:
    document = document_of(item["document"], index=index)
    password = item.get("password")
    if self_service and password is None:
        raise InvalidInput(
            "a learner opening their own account must choose a password",
            problems=[FieldProblem("password", "is required", index)],
        )
    if password is not None:
        check_password_strength(password)
    return service.NewLearner(item["name"], document, password)


def _opened(accounts: list[service.OpenedAccount]) -> list[dict[str, Any]]:
    return [
        OpenedOut().dump(
            {
                "id": a.learner_id,
                "created": a.created,
                "ledger_index": a.ledger_index,
                "activation_code": a.activation_code,
            }
        )
        for a in accounts
    ]


@blueprint.post("")
@documented(
    "Open a verified account (institution) or register one's own unverified one (anonymous)",
    status=201,
    request=LearnerIn,
    response=OpenedOut,
    auth="optional",
    errors=(400, 409),
    also=((200, OpenedOut), (202, RegistrationOut)),
)
def open_account() -> tuple[Response, int]:
    """Open one account: by an institution (poster or admin), or by the learner themself.

    An institution gets the account id (201 new, 200 when its document and name match an
    account already verified; 409 ``name-mismatch`` when the name does not). An anonymous
    learner gets 202 and the same words whether or not the document has an account.
    """
    principal = current_principal()
    data = load(LearnerIn(), json_object())
    s = services()
    if principal is None:
        person = _new_learner(data, None, self_service=True)
        register_self(s.ledger, s.sealer, person, now=utc_now())
        return jsonify(RegistrationOut().dump({"status": "accepted", "detail": ACCEPTED})), 202
    client, code = require_institution_member(Role.POSTER)
    person = _new_learner(data, None, self_service=False)
    [account] = service.open_accounts(
        s.ledger, s.sealer, [person], opened_by=code, actor=client.actor, now=utc_now()
    )
    return jsonify(_opened([account])[0]), 201 if account.created else 200


@blueprint.post("/bulk")
@documented(
    "Open many accounts at once (集体开户)",
    status=201,
    request=LearnerBatchIn,
    response=OpenedListOut,
    auth="bearer",
    errors=(400, 409),
)
def open_accounts() -> tuple[Response, int]:
    """Open many accounts at once (集体开户): all valid or none opened."""
    client, code = require_institution_member(Role.POSTER)
    data = load(LearnerBatchIn(), json_object())
    people: list[service.NewLearner] = []
    problems: list[FieldProblem] = []
    for index, item in enumerate(data["learners"]):
        try:
            people.append(_new_learner(item, index, self_service=False))
        except InvalidInput as exc:
            problems.extend(
                FieldProblem(f"learners.{index}.{p.field}", p.reason, index) for p in exc.problems
            )
    if problems:
        raise InvalidInput(
            f"{len({p.index for p in problems})} of {len(data['learners'])} learners are invalid; "
            "nothing was opened",
            problems=problems,
        )
    s = services()
    accounts = service.open_accounts(
        s.ledger, s.sealer, people, opened_by=code, actor=client.actor, now=utc_now()
    )
    return jsonify({"learners": _opened(accounts)}), 201


@blueprint.post("/activate")
@documented(
    "Set a first password with an activation code",
    request=ActivateIn,
    response=ActivatedOut,
    errors=(400, 401),
)
def activate() -> Response:
    """Choose a first password with an activation code (no sign-in needed)."""
    data = load(ActivateIn(), json_object())
    document = document_of(data["document"])
    s = services()
    learner_id = credentials.activate(
        s.engine, s.sealer, document, data["activation_code"], data["password"]
    )
    return jsonify({"id": learner_id, "activated": True})


def _account(learner_id: str) -> dict[str, Any]:
    s = services()
    with read_connection(s.engine) as connection:
        view = service.read_account(connection, s.sealer, learner_id)
    return dict(AccountOut().dump(asdict(view)))


@blueprint.get("/me")
@documented("The signed-in learner's account", response=AccountOut, auth="bearer", errors=())
def me() -> Response:
    """The signed-in learner's own account."""
    return jsonify(_account(require_learner().learner_id))


@blueprint.get("/<learner_id>")
@documented("A learner's account", response=AccountOut, auth="bearer", errors=(404,))
def show(learner_id: str) -> Response:
    """An account, for the learner or an institution the learner consented to."""
    require_reader_of(learner_id)
    return jsonify(_account(learner_id))


@blueprint.get("/<learner_id>/records")
@documented("A learner's records", response=RecordListOut, auth="bearer", errors=())
def records(learner_id: str) -> Response:
    """A learner's records as they stand, for the learner or a consented institution."""
    require_reader_of(learner_id, kind=ReadKind.RECORDS)
    with read_connection(services().engine) as connection:
        found = learner_records(connection, learner_id)
        expired = expired_certificates(connection, [v.id for v in found if v.kind == "certificate"])
    return jsonify({"records": [record_json(view, expired) for view in found]})


@blueprint.post("/<learner_id>/merge")
@documented(
    "Merge another account of the same person into this one (registrar, with a reason)",
    status=201,
    request=MergeIn,
    response=MergedOut,
    auth="bearer",
    errors=(400, 409),
)
def merge(learner_id: str) -> tuple[Response, int]:
    """One person, two documents: the ``alias`` account's records move to this account.

    A registrar (or admin) of an institution holding ``read`` consent on both accounts; the
    merge and each moved record are log entries, with the reason and no personal data.
    """
    client, code = require_institution_member(Role.REGISTRAR)
    data = load(MergeIn(), json_object())
    merged = merge_accounts(
        services().ledger,
        alias=data["alias"],
        into=learner_id,
        institution=code,
        actor=client.actor,
        reason=data["reason"],
        now=utc_now(),
        move_records=move_records,
    )
    return jsonify(MergedOut().dump(asdict(merged))), 201


def transfer_json(view: TransferView) -> dict[str, Any]:
    """A recognised transfer as the API answers it."""
    payload = view.payload
    return dict(
        TransferOut().dump(
            {
                "id": view.id,
                "evaluation": view.evaluation,
                "institution": view.institution,
                "programme": payload["programme"],
                "pathway": payload["pathway"],
                "policy": payload["policy"],
                "on": payload["on"],
                "course": payload["course"],
                "recognised_credits": payload["recognised_credits"],
                "basis": payload["basis"],
                "ledger_index": view.ledger_index,
                "status": "standing" if view.standing else "superseded",
                "superseded_by": view.superseded_by,
            }
        )
    )


@blueprint.get("/<learner_id>/transfers")
@documented("A learner's recognised transfers", response=TransferListOut, auth="bearer", errors=())
def transfers(learner_id: str) -> Response:
    """Courses committed evaluations recognised, for the learner or a consented institution.

    Their ids can be chosen for a transcript like record ids.
    """
    require_reader_of(learner_id, kind=ReadKind.TRANSFERS)
    with read_connection(services().engine) as connection:
        found = learner_transfers(connection, learner_id)
    return jsonify({"transfers": [transfer_json(view) for view in found]})


def _consent(view: service.ConsentView) -> dict[str, Any]:
    return dict(ConsentOut().dump({**asdict(view), "active": view.active(utc_now())}))


@blueprint.get("/me/consents")
@documented("The learner's consents", response=ConsentListOut, auth="bearer", errors=())
def my_consents() -> Response:
    """The learner's consents, newest first."""
    learner = require_learner()
    with read_connection(services().engine) as connection:
        found = service.list_consents(connection, learner.learner_id)
    return jsonify({"consents": [_consent(c) for c in found]})


@blueprint.post("/me/consents")
@documented(
    "Grant an institution access",
    status=201,
    request=ConsentIn,
    response=ConsentOut,
    auth="bearer",
    errors=(400, 404),
)
def grant() -> tuple[Response, int]:
    """Grant an institution access to the account for a scope and a period."""
    learner = require_learner()
    data = load(ConsentIn(), json_object())
    view = service.grant_consent(
        services().ledger,
        learner.learner_id,
        data["institution"],
        service.ConsentScope(data["scope"]),
        data["valid_until"],
        now=utc_now(),
    )
    return jsonify(_consent(view)), 201


@blueprint.post("/me/consents/<consent_id>/withdraw")
@documented("Withdraw a consent", response=ConsentOut, auth="bearer", errors=(404,))
def withdraw(consent_id: str) -> Response:
    """Withdraw a consent; the institution loses access at once."""
    learner = require_learner()
    view = service.withdraw_consent(
        services().ledger, learner.learner_id, consent_id, now=utc_now()
    )
    return jsonify(_consent(view))


@consents_blueprint.get("")
@documented(
    "Learners who consented to the caller's institution",
    response=LearnerIdListOut,
    auth="bearer",
    query=(("scope", choice("read", "evaluate"), False),),
)
def consenting() -> Response:
    """Learners with an active consent for the caller's institution (``scope`` read/evaluate)."""
    _, code = require_institution_member(Role.REGISTRAR, Role.POSTER)
    scope = service.ConsentScope(choice_param("scope", ("read", "evaluate"), "read"))
    with read_connection(services().engine) as connection:
        ids = service.consenting_learners(connection, code, scope, now=utc_now())
    return jsonify(LearnerIdListOut().dump({"learners": ids}))
