"""A forger's kit: re-sign a genuine transcript with one's own key under the bank's DID.

The forger renames the learner (a learner's name is not in the committed payload, so the
ledger evidence still opens), signs every record and the transcript with a key of their own
named under the bank's ``did:web``, and publishes a DID document with that id listing their
key and a log key of their own. Nothing but the verifier's trust anchors can tell.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from werkzeug.serving import make_server

from creditbank.clock import utc_now
from creditbank.ledger.note import NoteSigner
from creditbank.transcripts.cryptosuite import sign_document, unsecured
from creditbank.transcripts.did import did_document
from creditbank.transcripts.keys import IssuerKey
from creditbank.transcripts.multikey import encode_public_key

WSGI = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class Forgery:
    """The forged transcript, the forger's DID document, and their method id."""

    credential: dict[str, Any]
    did_document: dict[str, Any]
    method: str


def forge(
    credential: dict[str, Any],
    *,
    bank_did: str,
    bank_keys: list[IssuerKey],
    log_keys: list[str],
    name: str,
) -> Forgery:
    """Rename the learner to ``name`` and re-sign everything with a forger's key.

    The forger's DID document lists the bank's real keys and log keys beside their own, so it
    also vouches for everything genuine (the status lists among it).
    """
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    method = f"{bank_did}#{encode_public_key(public)}"
    text = json.dumps(credential, ensure_ascii=False)
    old_name = _learner_name(credential)
    forged = json.loads(text.replace(old_name, name))
    now = utc_now()
    nested = forged["credentialSubject"]["verifiableCredential"]
    for position, item in enumerate(nested):
        nested[position] = sign_document(
            unsecured(item), private, verification_method=method, created=now
        )
    signed = sign_document(unsecured(forged), private, verification_method=method, created=now)
    forger_log = NoteSigner.generate("forger.example/log").verifier.verifier_key()
    key = IssuerKey(public, now - timedelta(days=1), None)
    document = did_document(bank_did, [*bank_keys, key], [*log_keys, forger_log])
    return Forgery(signed, document, method)


def _learner_name(credential: dict[str, Any]) -> str:
    for identifier in credential["credentialSubject"]["identifier"]:
        if identifier.get("identityType") == "name":
            return str(identifier["identityHash"])
    raise AssertionError("the transcript names no learner")


def with_did_document(app: WSGI, document: dict[str, Any]) -> WSGI:
    """``app``, but answering ``/.well-known/did.json`` with ``document`` (the forger's site)."""
    body = json.dumps(document).encode()

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/.well-known/did.json":
            start_response("200 OK", [("Content-Type", "application/did+json")])
            return [body]
        return app(environ, start_response)

    return serve


@contextmanager
def serving(app: WSGI) -> Iterator[str]:
    """Serve ``app`` on a free local port; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
