"""The canonical forms a verification composes equal the encoder's, whatever the keys."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.canonical import Chunk, canonical_json
from creditbank.transcripts.canonical_forms import CanonicalForms, canonical_without_proof, digest

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=12,
)
# Keys that sort just before and after "proof" and the other keys the forms split at.
near_keys = st.sampled_from(
    [
        "@context",
        "id",
        "pro",
        "proo",
        "prooe",
        "proofValue",
        "proofs",
        "prooh",
        "type",
        "credentialSubject",
        "credentialStatus",
        "credentialSubjectX",
        "verifiableCredential",
        "verifiableCredentia",
        "verifiableCredentials",
        "evidence",
        "Z",
        "~",
    ]
)
ascii_keys = near_keys | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=5)
proofs = st.dictionaries(ascii_keys, values, max_size=3) | st.lists(values, max_size=2) | values


def _joined(chunks: Sequence[Chunk] | None) -> bytes | None:
    return None if chunks is None else b"".join(chunks)


def _payload(record: Any) -> Any:
    evidence = record.get("evidence")
    # The record's own evidence comes first; what shows its authorship may follow.
    if isinstance(evidence, list) and evidence and isinstance(evidence[0], dict):
        payload = evidence[0].get("ledgerPayload")
        return payload if isinstance(payload, dict) else None
    return None


def _check(forms: CanonicalForms, credential: Any, nested: Sequence[Any]) -> None:
    """Every form is the encoder's, or None where the shortcut does not apply."""
    expected = [canonical_without_proof(item) for item in nested]
    assert _joined(forms.outer) == canonical_without_proof(credential)
    assert [_joined(form) for form in forms.nested] == expected
    assert [digest(form) for form in forms.nested] == [hashlib.sha256(e).digest() for e in expected]
    payloads = [_payload(item) for item in nested]
    assert list(forms.payloads) == [None if p is None else canonical_json(p) for p in payloads]


# Evidence as records carry it (one object with a payload), or shaped otherwise.
evidence = (
    st.builds(
        lambda before, payload, after: [{**before, "ledgerPayload": payload, **after}],
        st.dictionaries(ascii_keys, values, max_size=2),
        st.dictionaries(ascii_keys, values, max_size=3),
        st.dictionaries(ascii_keys, values, max_size=2),
    )
    | st.lists(st.dictionaries(st.sampled_from(["ledgerPayload", "x"]), values), max_size=2)
    | values
)


@st.composite
def records(draw: st.DrawFn, keys: st.SearchStrategy[str] = ascii_keys) -> dict[str, Any]:
    record = draw(st.dictionaries(keys, values, max_size=5))
    if draw(st.booleans()):
        record["evidence"] = draw(evidence)
    if draw(st.booleans()):
        record["proof"] = draw(proofs)
    return record


@st.composite
def transcripts(draw: st.DrawFn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    nested = draw(st.lists(records(), max_size=4))
    subject = draw(st.dictionaries(ascii_keys, values, max_size=4))
    subject["verifiableCredential"] = nested
    credential = draw(st.dictionaries(ascii_keys, values, max_size=5))
    credential["credentialSubject"] = subject
    if draw(st.booleans()):
        credential["proof"] = draw(proofs)
    return credential, nested


@settings(max_examples=400, deadline=None)
@given(transcripts())
def test_forms_equal_the_encoder(drawn: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    credential, nested = drawn
    _check(CanonicalForms.of(credential, nested), credential, nested)


@settings(max_examples=200, deadline=None)
@given(st.lists(records() | records(st.text(max_size=3)), min_size=1, max_size=4))
def test_records_with_other_keys_fall_back(nested: list[dict[str, Any]]) -> None:
    # A record with a non-ASCII key is left to the encoder (None), and so is the transcript.
    credential = {"id": "t", "credentialSubject": {"verifiableCredential": nested}}
    forms = CanonicalForms.of(credential, nested)
    plain = [all(key.isascii() for key in item) for item in nested]
    for item, form, ascii_only in zip(nested, forms.nested, plain, strict=True):
        assert _joined(form) == (canonical_without_proof(item) if ascii_only else None)
    assert _joined(forms.outer) == (canonical_without_proof(credential) if all(plain) else None)


def test_edge_cases() -> None:
    cases: list[dict[str, Any]] = [
        {},
        {"proof": {"type": "DataIntegrityProof"}},  # nothing before or after the proof
        {"@context": ["a"], "id": "x", "proof": [1]},  # nothing after
        {"proof": [], "type": ["A"], "validFrom": "2026"},  # nothing before
        {"id": "x", "type": "A"},  # no proof
        {"proofValue": "z1", "pro": 1, "proof": None},
        {"credits": 3.5, "hours": 4.0, "big": 2**53 - 1, "proof": {"v": -0.0}},
        # Evidence with a payload; two evidence objects, a payload that is not an object.
        {"evidence": [{"ledgerPayload": {"课程": "计算机", "credits": "3.5"}, "x": 1}]},
        {"evidence": [{"ledgerPayload": {}}, {"ledgerPayload": {}}], "proof": {}},
        {"evidence": [{"ledgerPayload": ["not", "an", "object"]}]},
    ]
    subject = {"id": "learner", "verifiableCredential": cases}
    credential = {"@context": ["c"], "credentialSubject": subject, "proof": {"x": 1}}
    _check(CanonicalForms.of(credential, cases), credential, cases)
    # Only the subject's records: nothing before or after them in the subject or transcript.
    bare = {"credentialSubject": {"verifiableCredential": cases}}
    _check(CanonicalForms.of(bare, cases), bare, cases)
    # Records that are not the subject's own list, or not objects, are left to the encoder.
    assert CanonicalForms.of(credential, [dict(item) for item in cases]).outer is None
    assert CanonicalForms.of({"credentialSubject": {"verifiableCredential": ["x"]}}, ["x"]) == (
        CanonicalForms(None, (None,), (None,))
    )
    # A non-ASCII key in the transcript or its subject.
    for outer in (
        {"课程": 1, "credentialSubject": subject},
        {"credentialSubject": {**subject, "名": 1}},
    ):
        forms = CanonicalForms.of(outer, cases)
        assert forms.outer is None and digest(forms.outer) is None
        assert [_joined(form) for form in forms.nested] == [
            canonical_without_proof(item) for item in cases
        ]
