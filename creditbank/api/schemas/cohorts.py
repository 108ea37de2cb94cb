"""Schemas of cohort evaluations."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from creditbank.cohorts import MAX_LEARNERS


class CohortIn(Schema):
    """A cohort: a policy, a date, and learners (default: all who gave evaluate consent)."""

    class Meta:
        unknown = RAISE

    policy = fields.String(required=True, validate=validate.Length(min=1, max=80))
    on = fields.Date(load_default=None)
    intake = fields.Integer(
        load_default=None,
        strict=True,
        validate=validate.Range(min=1990, max=2200),
        metadata={"description": "the cohort's intake year, for a policy applying by it"},
    )
    version = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    learners = fields.List(
        fields.String(validate=validate.Length(min=1, max=36)),
        load_default=None,
        validate=validate.Length(min=1, max=MAX_LEARNERS),
    )


class CohortOut(Schema):
    """A cohort job's progress."""

    id = fields.String()
    institution = fields.String()
    policy_id = fields.String()
    policy_version = fields.String(allow_none=True)
    applies_on = fields.Date(allow_none=True)
    evaluated_on = fields.Date()
    status = fields.String()
    total = fields.Integer()
    done = fields.Integer()
    submitted_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    error = fields.String(allow_none=True)


PUBLISHED: tuple[type[Schema], ...] = (CohortIn, CohortOut)
