"""Issued transcripts against the 1EdTech JSON schemas in ../shared/schemas."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from creditbank.transcripts.contexts import creditbank_context_bytes, creditbank_terms
from creditbank.wiring import Services
from tests.shared_vectors import requires_shared, shared_dir
from tests.transcripts.helpers import issue, populate, recognise_transfers

pytestmark = requires_shared


def _schema(path: str) -> Any:
    return json.loads((shared_dir() / "schemas" / path).read_text(encoding="utf-8"))


@pytest.fixture
def credential(services: Services) -> dict[str, Any]:
    """A transcript with every record kind and recognised transfers."""
    bank = populate(services, courses=2)
    recognise_transfers(bank)
    issued = issue(bank).credential
    kinds = {
        n["credentialSubject"]["recordKind"]
        for n in issued["credentialSubject"]["verifiableCredential"]
    }
    assert kinds == {"course", "certificate", "training", "award", "transfer"}
    return issued


# The VC 2.0 schema (proof as an array, as it asks); the draft-04 conversions are further down.
def test_every_record_is_a_valid_achievement_credential(credential: dict[str, Any]) -> None:
    schema = _schema("ob_v3p0/achievementcredential.json")
    validator = jsonschema.validators.validator_for(schema)(
        schema, format_checker=jsonschema.FormatChecker()
    )
    nested = credential["credentialSubject"]["verifiableCredential"]
    assert nested
    for item in nested:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(item)]
        assert errors == []


def test_an_altered_record_is_refused_by_the_schema(credential: dict[str, Any]) -> None:
    schema = _schema("ob_v3p0/achievementcredential.json")
    item = credential["credentialSubject"]["verifiableCredential"][0]
    item["credentialSubject"]["creditsEarned"] = "four"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(item, schema)


# The draft-04 conversions (the 1EdTech validator's copies of the first publication) predate
# VC 2.0 and OB 3.0.3. Against them a transcript differs in exactly these ways, each a rule the
# later VC 2.0 schema above changed; anything else they report is a real defect.
_DRAFT4_DIFFERENCES = {
    ("required", "'issuanceDate' is a required property"),  # VC 1.1; VC 2.0 has validFrom
    # BitstringStatusListEntry (VC 2.0) was not among the VC 1.1 status types.
    ("additionalProperties", "credentialStatus"),
    ("anyOf", "identityType"),  # "name" joined IdentifierTypeEnum later
    # Extension properties on AchievementSubject (hours, recordKind, transferRecognition…):
    # the later schema allows additional properties there.
    ("additionalProperties", "credentialSubject"),
}


def _draft4_findings(schema: Any, document: Any) -> set[tuple[str, str]]:
    validator = jsonschema.Draft4Validator(schema)
    found = set()
    for error in validator.iter_errors(document):
        path = [p for p in error.absolute_path if isinstance(p, str)]
        if error.validator == "required":
            found.add(("required", error.message))
        else:
            found.add((str(error.validator), path[-1] if path else ""))
    return found


@pytest.mark.parametrize(
    ("schema_path", "part"),
    [
        ("clr_v2p0/clr_v2p0_clrcredential_schema_draft4.json", "transcript"),
        ("ob_v3p0/ob_v3p0_achievementcredential_schema_draft4.json", "records"),
    ],
)
def test_against_the_draft4_schemas_only_the_known_vc1_differences_remain(
    credential: dict[str, Any], schema_path: str, part: str
) -> None:
    schema = _schema(schema_path)
    documents = (
        [credential]
        if part == "transcript"
        else credential["credentialSubject"]["verifiableCredential"]
    )
    for document in documents:
        findings = _draft4_findings(schema, document)
        assert findings <= _DRAFT4_DIFFERENCES, findings - _DRAFT4_DIFFERENCES
        assert ("required", "'issuanceDate' is a required property") in findings
    # The check can fail: a broken structure is a finding outside the known differences.
    altered = json.loads(json.dumps(documents[-1]))
    if part == "transcript":
        altered["credentialSubject"]["verifiableCredential"] = []  # a CLR holds credentials
    else:
        altered["credentialSubject"]["creditsEarned"] = "four"
    assert _draft4_findings(schema, altered) - _DRAFT4_DIFFERENCES


def test_every_term_of_ours_is_defined_by_the_project_context(credential: dict[str, Any]) -> None:
    standard = _standard_terms()
    used: set[str] = set()
    ours = json.loads(creditbank_context_bytes())["@context"]
    literals = {k for k, v in ours.items() if isinstance(v, dict) and v.get("@type") == "@json"}
    assert {"ledgerPayload", "transferRecognition"} <= literals

    def walk(value: Any, skip: bool = False) -> None:
        if skip:
            return
        if isinstance(value, dict):
            for key, inner in value.items():
                if not key.startswith("@"):
                    used.add(key)
                # @json values are literals: their keys are not terms.
                walk(inner, key in literals)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(credential)
    undefined = used - standard - creditbank_terms()
    assert undefined == set()


def _standard_terms() -> set[str]:
    terms: set[str] = set()

    def collect(context: Any) -> None:
        if isinstance(context, dict):
            for key, value in context.items():
                if not key.startswith("@"):
                    terms.add(key)
                if isinstance(value, dict) and "@context" in value:
                    collect(value["@context"])

    for name in (
        "credentials-v2.jsonld",
        "ob_v3p0_context-3.0.3.json",
        "clr_v2p0_context-2.0.1.json",
    ):
        collect(_schema(f"contexts/{name}")["@context"])
    return terms
