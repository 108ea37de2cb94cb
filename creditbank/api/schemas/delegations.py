"""Schemas of delegations between members and of a member leaving the bank."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from creditbank.institutions.service import CODE_PATTERN, CODE_RULE
from creditbank.records.vocabulary import OutcomeKind

_REASON = validate.And(
    validate.Length(min=1, max=500), validate.Regexp(r"\S", error="must not be blank")
)
KINDS = tuple(kind.value for kind in OutcomeKind)


class DelegationIn(Schema):
    """Let another member post outcomes of these kinds from the delegating institution."""

    class Meta:
        unknown = RAISE

    delegate = fields.String(required=True, validate=validate.Regexp(CODE_PATTERN, error=CODE_RULE))
    kinds = fields.List(
        fields.String(validate=validate.OneOf(KINDS)),
        required=True,
        validate=validate.Length(min=1, max=len(KINDS)),
    )
    effective_from = fields.AwareDateTime(load_default=None)
    effective_until = fields.AwareDateTime(load_default=None)
    reason = fields.String(required=True, validate=_REASON)


class DelegationOut(Schema):
    """A delegation and the entries that granted and (perhaps) ended it."""

    id = fields.String()
    delegator = fields.String()
    delegate = fields.String()
    kinds = fields.List(fields.String())
    effective_from = fields.DateTime()
    effective_until = fields.DateTime(allow_none=True)
    reason = fields.String()
    granted_by = fields.String()
    granted_at = fields.DateTime()
    granted_index = fields.Integer()
    ended_at = fields.DateTime(allow_none=True)
    ended_by = fields.String(allow_none=True)
    ended_index = fields.Integer(allow_none=True)
    active = fields.Boolean()


class DelegationListOut(Schema):
    """The delegations a member granted or received."""

    delegations = fields.List(fields.Nested(DelegationOut))


class EndIn(Schema):
    """Why a delegation ends, or why a member leaves the bank."""

    class Meta:
        unknown = RAISE

    reason = fields.String(required=True, validate=_REASON)


class LeftOut(Schema):
    """A member that left the bank: when, and the entry that says so."""

    code = fields.String()
    left_at = fields.DateTime()
    left_index = fields.Integer()
    delegations_ended = fields.List(fields.String())


PUBLISHED: tuple[type[Schema], ...] = (
    DelegationIn,
    DelegationOut,
    DelegationListOut,
    EndIn,
    LeftOut,
)
