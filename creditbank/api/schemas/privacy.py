"""Schemas of closing an account (the learner's own, or by a registrar on a legal ground)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from creditbank.api.schemas.members import Strict
from creditbank.api.schemas.strict_fields import Text
from creditbank.privacy.closure import REGISTRAR_GROUNDS
from creditbank.text import REASON


class OwnClosureIn(Strict):
    """The learner closes their own account; ``confirm`` must be true."""

    confirm = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="must be true: closing leads to erasure"),
    )


class ClosureIn(Strict):
    """A registrar closes an account on a legal ground (PIPL art. 47), with an optional note."""

    ground = fields.String(
        required=True, validate=validate.OneOf([ground.value for ground in REGISTRAR_GROUNDS])
    )
    note = Text(REASON, load_default=None)


class ClosureOut(Schema):
    """A closed account: when, by whom, why, and when its personal data is erased."""

    id = fields.String()
    closed_at = fields.DateTime()
    closed_by = fields.String()
    ground = fields.String()
    erase_after = fields.DateTime()
    ledger_index = fields.Integer()
    erased_at = fields.DateTime(allow_none=True)
