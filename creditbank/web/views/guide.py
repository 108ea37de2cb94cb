"""The public transfer guide: every policy in words, a learner's own what-if, and 公示.

Anyone reads what each policy recognises, for how much and under which conditions. A signed-in
learner can run their own records against any policy before consenting to anything (only they
see it; nothing is recorded). Applications on public notice are listed without personal data,
and anyone may object to one with a reason.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from creditbank.clock import utc_now
from creditbank.evaluations import application_views, applications
from creditbank.evaluations import service as evaluations
from creditbank.identity.principals import LearnerPrincipal
from creditbank.rules.guide import describe
from creditbank.storage.database import read_connection
from creditbank.text import REASON
from creditbank.web.auth import signed_in
from creditbank.web.common import Reply, text_field, web_blueprint
from creditbank.web.i18n import tr
from creditbank.web.outcomes import institution_names
from creditbank.wiring import services

blueprint = web_blueprint("web_guide", "/guide")


@blueprint.get("")
def index() -> str:
    """Every policy, by the institution that applies it."""
    s = services()
    with read_connection(s.engine) as connection:
        published = evaluations.publications(connection)
    by_institution: dict[str, list[object]] = {}
    for policy in sorted(s.policies.values(), key=lambda p: (p.programme.institution, p.id)):
        by_institution.setdefault(policy.programme.institution, []).append(policy)
    return render_template(
        "web/guide/index.html",
        by_institution=by_institution,
        published={key for key, (digest, _) in published.items()},
        names=institution_names(),
    )


def _policy_page(policy_id: str, result: object = None) -> str:
    s = services()
    policy = evaluations.find_policy(s.policies, policy_id)
    return render_template(
        "web/guide/policy.html",
        guide=describe(policy),
        policy=policy,
        names=institution_names(),
        can_try=isinstance(signed_in(), LearnerPrincipal),
        result=result,
        today=utc_now().date(),
    )


@blueprint.get("/policies/<policy_id>")
def policy_page(policy_id: str) -> str:
    """One policy in words."""
    return _policy_page(policy_id)


@blueprint.post("/policies/<policy_id>/what-if")
def what_if(policy_id: str) -> str:
    """A signed-in learner's own records against this policy; nothing is recorded."""
    principal = signed_in()
    if not isinstance(principal, LearnerPrincipal):
        return redirect(url_for("web_home.sign_in"))  # type: ignore[return-value]
    s = services()
    policy = evaluations.find_policy(s.policies, policy_id)
    with read_connection(s.engine) as connection:
        result = evaluations.learner_what_if(
            connection, principal.learner_id, policy, utc_now().date()
        )
    return _policy_page(policy_id, result.body)


@blueprint.get("/notices")
def notices() -> str:
    """Applications on public notice (公示): masked names, credits, courses; objections."""
    s = services()
    with read_connection(s.engine) as connection:
        found = application_views.public_notices(connection)
    return render_template(
        "web/guide/notices.html",
        notices=found,
        policies=s.policies,
        names=institution_names(),
        now=utc_now(),
    )


@blueprint.post("/notices/<application_id>/objections")
def object_to(application_id: str) -> Reply:
    """Anyone objects to an application on notice, with a reason."""
    applications.lodge_objection(
        services().ledger,
        application_id,
        reason=text_field("reason", REASON),
        now=utc_now(),
    )
    flash(
        tr("异议已提交，认定机构将予以处理。", "Objection lodged; the institution will resolve it.")
    )
    return redirect(url_for("web_guide.notices"))
