"""``/api/v1/policies/drafts``: upload a policy version, see its check and impact, publish it.

The upload (an operator, or the admin of the institution whose programme it is) is checked
and dry-run and its impact computed; nothing changes until the confirming ``…/publish``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, url_for

from creditbank.api.access import current_principal
from creditbank.api.bodies import json_object, load
from creditbank.api.openapi import documented
from creditbank.api.schemas.evaluations import PolicyDraftOut, PolicyUploadIn
from creditbank.auth import authorise
from creditbank.clock import utc_now
from creditbank.evaluations import publishing
from creditbank.evaluations.impact import impact_csv
from creditbank.identity.principals import Role
from creditbank.wiring import services

blueprint = Blueprint("policy_drafts", __name__, url_prefix="/api/v1/policies/drafts")


def uploader() -> publishing.Uploader:
    """The caller, who must be an operator or an institution's admin."""
    client = authorise.require_client(current_principal(), None, Role.ADMIN)
    return publishing.Uploader(
        client.actor, client.key_id, None if client.is_operator else client.institution
    )


def draft_json(draft: publishing.Draft) -> dict[str, Any]:
    """A draft as the API answers it."""
    policy = draft.policy
    body = {
        "id": draft.id,
        "policy": policy.id,
        "version": policy.version,
        "content_hash": policy.content_hash,
        "institution": policy.programme.institution,
        "effective_from": policy.effective_from,
        "effective_until": policy.effective_until,
        "applies_by": policy.applies_by.value,
        "format": draft.format,
        "source": draft.source,
        "cases_passed": draft.cases,
        "impact": draft.impact.as_json(),
        "published_index": draft.published_index,
        "impact_csv": url_for("policy_drafts.csv", draft_id=draft.id),
        "publish": url_for("policy_drafts.publish", draft_id=draft.id),
    }
    return dict(PolicyDraftOut().dump(body))


@blueprint.post("")
@documented(
    "Upload a policy version: validated, dry-run against its cases, its impact shown",
    status=201,
    request=PolicyUploadIn,
    response=PolicyDraftOut,
    auth="bearer",
    errors=(400, 403, 409),
)
def upload() -> tuple[Response, int]:
    """Check an uploaded version and keep it as a draft; nothing is published yet."""
    who = uploader()
    data = load(PolicyUploadIn(), json_object())
    fmt = data["format"]
    s = services()
    draft = publishing.upload(
        s.engine,
        s.catalogue,
        who,
        text=data["policy"],
        fmt=fmt,
        source=data["filename"] or f"upload.{fmt}",
        cases_text=data["cases"],
        now=utc_now(),
    )
    return jsonify(draft_json(draft)), 201


@blueprint.get("/<draft_id>")
@documented(
    "An uploaded version and its impact", response=PolicyDraftOut, auth="bearer", errors=(404,)
)
def show(draft_id: str) -> Response:
    """A draft, for an operator or the owning institution's admin."""
    who = uploader()
    return jsonify(draft_json(publishing.read_draft(services().engine, draft_id, who)))


@blueprint.get("/<draft_id>/impact.csv")
@documented("The learners whose results would change, as CSV", auth="bearer", errors=(404,))
def csv(draft_id: str) -> Response:
    """The impact list (learner ids only for the owning institution's admin)."""
    who = uploader()
    draft = publishing.read_draft(services().engine, draft_id, who)
    response = Response(impact_csv(draft.impact), mimetype="text/csv")
    name = publishing.impact_filename(draft)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@blueprint.post("/<draft_id>/publish")
@documented(
    "Publish an uploaded version (a log entry holds its hash; every process loads it)",
    response=PolicyDraftOut,
    auth="bearer",
    errors=(404, 409),
)
def publish(draft_id: str) -> Response:
    """Confirm a draft: publish it."""
    who = uploader()
    s = services()
    draft = publishing.publish_draft(s.ledger, s.catalogue, draft_id, who, now=utc_now())
    return jsonify(draft_json(draft))
