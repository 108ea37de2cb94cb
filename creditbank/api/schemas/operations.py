"""Schemas of the operations endpoints (scheduled jobs and their runs, for operators)."""

from __future__ import annotations

from marshmallow import Schema, fields


class JobRunOut(Schema):
    """One recorded run of a job."""

    id = fields.Integer()
    job = fields.String()
    slot = fields.String(allow_none=True)
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    status = fields.String()  # running | ok | error | abandoned
    detail = fields.String(allow_none=True)
    host = fields.String()
    pid = fields.Integer()
    holder = fields.String()


class JobOut(Schema):
    """A registered job, when it runs, and its latest run."""

    name = fields.String()
    description = fields.String()
    schedule = fields.String()
    leader_only = fields.Boolean()
    last_run = fields.Nested(JobRunOut, allow_none=True)


class LeaderOut(Schema):
    """The scheduler lease."""

    holder = fields.String()
    host = fields.String()
    pid = fields.Integer()
    acquired_at = fields.DateTime()
    renewed_at = fields.DateTime()
    expires_at = fields.DateTime()
    valid = fields.Boolean()


class JobsOut(Schema):
    """Every job, and who leads."""

    leader = fields.Nested(LeaderOut, allow_none=True)
    jobs = fields.List(fields.Nested(JobOut))


class JobRunsOut(Schema):
    """Recent runs, newest first."""

    runs = fields.List(fields.Nested(JobRunOut))


PUBLISHED: tuple[type[Schema], ...] = (JobRunOut, JobOut, LeaderOut, JobsOut, JobRunsOut)
