"""Output schemas of the witness endpoints."""

from __future__ import annotations

from marshmallow import Schema, fields


class AcceptedCosignatureOut(Schema):
    """One cosignature the bank accepted."""

    witness = fields.String()
    timestamp = fields.Integer()


class CosignaturesAcceptedOut(Schema):
    """The checkpoint a submission cosigned and the cosignatures kept."""

    size = fields.Integer()
    root_hash = fields.String()
    accepted = fields.List(fields.Nested(AcceptedCosignatureOut))


class WitnessLatestOut(Schema):
    """The largest checkpoint a witness cosigned."""

    size = fields.Integer()
    timestamp = fields.Integer()
    time = fields.String()
    received_at = fields.String()


class WitnessOut(Schema):
    """A configured witness."""

    name = fields.String()
    key_id = fields.String()
    verifier_key = fields.String()
    latest = fields.Nested(WitnessLatestOut, allow_none=True)


class WitnessesOut(Schema):
    """Every configured witness and what it last cosigned."""

    witnesses = fields.List(fields.Nested(WitnessOut))


PUBLISHED: tuple[type[Schema], ...] = (
    AcceptedCosignatureOut,
    CosignaturesAcceptedOut,
    WitnessLatestOut,
    WitnessOut,
    WitnessesOut,
)
