"""did:web resolution by its specification, and DID documents that speak only for themselves."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditbank.errors import InvalidInput, UntrustedIssuer
from creditbank.transcripts.did import (
    did_document,
    did_web,
    did_web_origin,
    did_web_url,
    resolved_keys,
)
from tests.transcripts.test_trust_list import sample_keys


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
        ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
        ("did:web:example.com%3A3000", "https://example.com:3000/.well-known/did.json"),
        ("did:web:example.com%3a3000:user", "https://example.com:3000/user/did.json"),
        ("did:web:Creditbank.CQ.edu.cn", "https://creditbank.cq.edu.cn/.well-known/did.json"),
        ("did:web:localhost%3A8443:a:b:c", "https://localhost:8443/a/b/c/did.json"),
    ],
)
def test_the_document_url_of_a_did_web(did: str, url: str) -> None:
    assert did_web_url(did) == url


@pytest.mark.parametrize(
    "did",
    [
        "did:key:z6Mk",  # another method
        "did:web:",  # no host
        "did:web:exa mple.com",
        "did:web:example..com",
        "did:web:example.com/path",  # the path is ':'-separated
        "did:web:example.com#key-1",
        "did:web:example.com?x=1",
        "did:web:example.com%3A0",
        "did:web:example.com%3A65536",
        "did:web:example.com%3A%C2%B2",  # a superscript two is not a port digit
        "did:web:example.com%3A",
        "did:web:example.com::a",  # an empty segment
        "did:web:example.com:..",
        "did:web:example.com:%2E%2E",
        "did:web:example.com%2Fevil.org",  # an encoded '/' is not part of a domain name
    ],
)
def test_what_is_not_a_did_web_is_refused_by_name(did: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        did_web_url(did)
    assert repr(did) in raised.value.detail
    assert did_web_origin(did) is None


@pytest.mark.parametrize(
    ("public_url", "did", "origin"),
    [
        (
            "https://creditbank.cq.edu.cn",
            "did:web:creditbank.cq.edu.cn",
            "https://creditbank.cq.edu.cn",
        ),
        ("https://cb.example:8443/", "did:web:cb.example%3A8443", "https://cb.example:8443"),
        ("https://cb.example/bank/cq", "did:web:cb.example:bank:cq", "https://cb.example"),
    ],
)
def test_the_banks_did_resolves_to_where_it_serves(public_url: str, did: str, origin: str) -> None:
    assert did_web(public_url) == did
    assert did_web_origin(did) == origin
    assert did_web_url(did).startswith(origin + "/")


@given(
    host=st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z][a-z0-9-]{0,10}){1,3}", fullmatch=True),
    port=st.one_of(st.none(), st.integers(1, 65535)),
    path=st.lists(st.from_regex(r"[a-z0-9_~-]{1,8}", fullmatch=True), max_size=3),
)
def test_a_public_url_and_its_did_web_go_round(
    host: str, port: int | None, path: list[str]
) -> None:
    authority = host if port is None else f"{host}:{port}"
    public_url = "/".join([f"https://{authority}", *path])
    did = did_web(public_url)
    expected = "/".join([f"https://{authority}", *(path or [".well-known"]), "did.json"])
    assert did_web_url(did) == expected


KEYS = sample_keys()


def _document(did: str) -> dict[str, Any]:
    return did_document(did, KEYS)


def test_a_resolved_document_must_be_the_dids_own() -> None:
    did = "did:web:creditbank.cq.edu.cn"
    assert set(resolved_keys(did, _document(did))) == {f"{did}#{key.multibase}" for key in KEYS}
    with pytest.raises(UntrustedIssuer, match=re.escape("has id 'did:web:evil.example'")):
        resolved_keys(did, _document("did:web:evil.example"))


def test_a_method_controlled_by_another_did_is_refused() -> None:
    did = "did:web:creditbank.cq.edu.cn"
    document = _document(did)
    document["verificationMethod"][0]["controller"] = "did:web:evil.example"
    with pytest.raises(UntrustedIssuer, match=re.escape("controller 'did:web:evil.example'")):
        resolved_keys(did, document)
    document = _document(did)
    foreign = "did:web:evil.example#" + document["verificationMethod"][0]["publicKeyMultibase"]
    document["verificationMethod"][0]["id"] = foreign
    document["assertionMethod"][0] = foreign
    with pytest.raises(UntrustedIssuer, match="not the DID document's own"):
        resolved_keys(did, document)
