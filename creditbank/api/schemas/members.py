"""Schemas of institutions, API clients, signing keys, learner accounts and consents."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from creditbank.api.schemas.strict_fields import Text
from creditbank.institutions.service import CODE_PATTERN, CODE_RULE, INSTITUTION_KINDS, LEVELS
from creditbank.text import INSTITUTION_NAME, LABEL, PERSON_NAME, REASON, line_policy

ROLES = ("poster", "registrar", "admin")
DOCUMENT_KINDS = (
    "resident_id",
    "passport",
    "hk_macao_permit",
    "taiwan_permit",
    "hmt_residence_permit",
)


class Strict(Schema):
    """Unknown fields are an error, never silently dropped."""

    class Meta:
        unknown = RAISE


class InstitutionIn(Strict):
    """Register a member institution."""

    code = fields.String(
        required=True,
        validate=validate.Regexp(CODE_PATTERN, error=CODE_RULE),
    )
    name_zh = Text(INSTITUTION_NAME, required=True)
    name_en = Text(INSTITUTION_NAME, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(INSTITUTION_KINDS))
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    region = Text(line_policy(32), required=True)
    require_signed_batches = fields.Boolean(load_default=False)


class InstitutionOut(Schema):
    """A member institution."""

    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    kind = fields.String()
    level = fields.String()
    region = fields.String()
    require_signed_batches = fields.Boolean()
    registered_at = fields.DateTime()
    ledger_index = fields.Integer()
    left_at = fields.DateTime(allow_none=True)  # set when it left the bank


class InstitutionListOut(Schema):
    """Every member institution."""

    institutions = fields.List(fields.Nested(InstitutionOut))


class InstitutionSettingsIn(Strict):
    """Change an institution's settings."""

    require_signed_batches = fields.Boolean(required=True)


class ClientIn(Strict):
    """Issue an API key."""

    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    label = Text(LABEL, required=True)


class ClientOut(Schema):
    """An API key's public part, with who issued, accepted and revoked it (ledger actors)."""

    key_id = fields.String()
    institution = fields.String(allow_none=True)
    role = fields.String()
    label = fields.String()
    status = fields.String(
        metadata={"enum": ["pending", "bootstrap", "active", "revoked"]},
    )
    issuer = fields.String(
        metadata={
            "description": "operator (the bank's), institution (its own admin) or legacy",
            "enum": ["operator", "institution", "legacy"],
        }
    )
    issued_by = fields.String(metadata={"description": "the ledger actor that issued the key"})
    issued_index = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    accepted_at = fields.DateTime(allow_none=True)
    accepted_by = fields.String(allow_none=True)
    accepted_index = fields.Integer(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    revoked_by = fields.String(allow_none=True)
    revoked_index = fields.Integer(allow_none=True)


class IssuedClientOut(ClientOut):
    """An API key just issued: the secret appears here once and is never shown again."""

    secret = fields.String()


class ClientListOut(Schema):
    """An institution's API keys."""

    clients = fields.List(fields.Nested(ClientOut))


class SigningKeyIn(Strict):
    """Register an Ed25519 batch-signing key (raw 32 bytes, standard base64)."""

    public_key = fields.String(required=True, validate=validate.Length(min=1, max=100))


class SigningKeyOut(Schema):
    """A batch-signing key."""

    key_id = fields.String()
    institution = fields.String()
    public_key = fields.String()
    added_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)


class SigningKeyListOut(Schema):
    """An institution's batch-signing keys."""

    keys = fields.List(fields.Nested(SigningKeyOut))


# --- learners -------------------------------------------------------------------------------


class DocumentIn(Strict):
    """An identity document."""

    kind = fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS))
    number = fields.String(required=True, validate=validate.Length(min=1, max=40))
    country = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^[A-Z]{3}$", error="an ISO 3166-1 alpha-3 code"),
    )


class LearnerIn(Strict):
    """Open one learner account."""

    name = Text(PERSON_NAME, required=True)
    document = fields.Nested(DocumentIn, required=True)
    password = fields.String(load_default=None, validate=validate.Length(max=200))


class LearnerBatchIn(Strict):
    """Open many learner accounts at once (集体开户), all or none."""

    learners = fields.List(
        fields.Nested(LearnerIn), required=True, validate=validate.Length(min=1, max=10_000)
    )


class OpenedOut(Schema):
    """An opened (or found) account."""

    id = fields.String()
    created = fields.Boolean()
    ledger_index = fields.Integer(allow_none=True)
    activation_code = fields.String(allow_none=True)


class OpenedListOut(Schema):
    """Accounts opened (or found) for a bulk request, in request order."""

    learners = fields.List(fields.Nested(OpenedOut))


class RegistrationOut(Schema):
    """A learner's own registration, answered alike whether or not the document has an account."""

    status = fields.String()
    detail = fields.String()


class AccountOut(Schema):
    """A learner account, with how its identity was established."""

    id = fields.String()
    name = fields.String(allow_none=True)
    document_kind = fields.String()
    document_masked = fields.String(allow_none=True)
    opened_by = fields.String()
    opened_at = fields.DateTime()
    ledger_index = fields.Integer(
        allow_none=True,
        metadata={"description": "The entry that opened the account; null when self-registered."},
    )
    has_password = fields.Boolean()
    assurance = fields.String(
        metadata={"enum": ["self_asserted", "institution_verified"]},
    )
    bound_by = fields.String(allow_none=True)
    bound_at = fields.DateTime(allow_none=True)
    set_aside_at = fields.DateTime(allow_none=True)
    merged_into = fields.String(allow_none=True)


class MergeIn(Strict):
    """Merge another account of the same person into this one (a registrar, with a reason)."""

    alias = fields.String(required=True, validate=validate.Length(min=1, max=36))
    reason = Text(REASON, required=True)


class MergedOut(Schema):
    """A recorded merge."""

    id = fields.String()
    ledger_index = fields.Integer()
    alias = fields.String()
    into = fields.String()
    records_moved = fields.Integer()


class ActivateIn(Strict):
    """Choose a first password with the activation code an institution handed out."""

    document = fields.Nested(DocumentIn, required=True)
    activation_code = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class SignInIn(Strict):
    """Sign in with the identity document and password."""

    document = fields.Nested(DocumentIn, required=True)
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenOut(Schema):
    """A bearer token for the learner's requests."""

    learner_id = fields.String()
    token = fields.String()
    expires_at = fields.DateTime()


class ConsentIn(Strict):
    """Grant an institution access for a scope until a time."""

    institution = fields.String(required=True, validate=validate.Regexp(CODE_PATTERN))
    scope = fields.String(required=True, validate=validate.OneOf(("read", "evaluate")))
    valid_until = fields.AwareDateTime(required=True)


class ConsentOut(Schema):
    """A consent."""

    id = fields.String()
    institution = fields.String()
    scope = fields.String()
    valid_from = fields.DateTime()
    valid_until = fields.DateTime()
    withdrawn_at = fields.DateTime(allow_none=True)
    granted_index = fields.Integer()
    withdrawn_index = fields.Integer(allow_none=True)
    active = fields.Boolean()


class ConsentListOut(Schema):
    """A learner's consents, newest first."""

    consents = fields.List(fields.Nested(ConsentOut))


class LearnerIdListOut(Schema):
    """Learners who consented to the caller's institution."""

    learners = fields.List(fields.String())


class ActivatedOut(Schema):
    """An account whose first password was set."""

    id = fields.String()
    activated = fields.Boolean()


PUBLISHED: tuple[type[Schema], ...] = (
    InstitutionIn,
    InstitutionOut,
    InstitutionListOut,
    InstitutionSettingsIn,
    ClientIn,
    ClientOut,
    IssuedClientOut,
    ClientListOut,
    SigningKeyIn,
    SigningKeyOut,
    SigningKeyListOut,
    DocumentIn,
    LearnerIn,
    LearnerBatchIn,
    OpenedOut,
    OpenedListOut,
    AccountOut,
    RegistrationOut,
    MergeIn,
    MergedOut,
    ActivateIn,
    ActivatedOut,
    SignInIn,
    TokenOut,
    ConsentIn,
    ConsentOut,
    ConsentListOut,
    LearnerIdListOut,
)
