"""The HTTP API: one blueprint per resource, errors mapped once to RFC 9457 problems."""

from __future__ import annotations

from flask import Flask

from creditbank.api import (
    applications,
    closure,
    cohorts,
    delegations,
    edge,
    evaluations,
    health,
    institutions,
    learners,
    log,
    metrics,
    openapi,
    operations,
    policy_drafts,
    problems,
    recognition,
    records,
    rights,
    sessions,
    transcripts,
    witnesses,
)


def init_app(app: Flask) -> None:
    """Register the error handlers and every blueprint."""
    problems.init_app(app)
    edge.init_app(app)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(log.blueprint)
    app.register_blueprint(institutions.blueprint)
    app.register_blueprint(delegations.blueprint)
    app.register_blueprint(learners.blueprint)
    app.register_blueprint(learners.consents_blueprint)
    app.register_blueprint(rights.blueprint)
    app.register_blueprint(rights.institution_blueprint)
    app.register_blueprint(closure.blueprint)
    app.register_blueprint(records.blueprint)
    app.register_blueprint(sessions.blueprint)
    app.register_blueprint(policy_drafts.blueprint)
    app.register_blueprint(evaluations.policies_blueprint)
    app.register_blueprint(evaluations.blueprint)
    app.register_blueprint(cohorts.blueprint)
    app.register_blueprint(recognition.transfers_blueprint)
    app.register_blueprint(applications.blueprint)
    app.register_blueprint(applications.public_blueprint)
    app.register_blueprint(applications.objections_blueprint)
    app.register_blueprint(applications.settings_blueprint)
    app.register_blueprint(transcripts.blueprint)
    app.register_blueprint(transcripts.verify_blueprint)
    app.register_blueprint(transcripts.public_blueprint)
    app.register_blueprint(operations.blueprint)
    app.register_blueprint(metrics.blueprint)
    app.register_blueprint(witnesses.blueprint)
    app.register_blueprint(openapi.blueprint)
