"""The public transparency endpoints under ``/api/v1/log`` (a contract: see ARCHITECTURE.md)."""

from __future__ import annotations

import base64

from flask import Blueprint, Response, jsonify, request

from creditbank.api.openapi import COUNT, documented
from creditbank.api.params import int_param
from creditbank.api.schemas.records import (
    ConsistencyProofOut,
    ErasuresOut,
    InclusionProofOut,
    KeyRotationsOut,
    LogEntriesOut,
)
from creditbank.clock import as_utc
from creditbank.errors import InvalidParameter
from creditbank.ledger.envelope import format_time
from creditbank.ledger.erasure import erased_at
from creditbank.numerals import natural
from creditbank.storage.database import read_connection
from creditbank.wiring import services

blueprint = Blueprint("log", __name__, url_prefix="/api/v1/log")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _text(body: str) -> Response:
    response = Response(body, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get("/checkpoint")
@documented("The latest signed checkpoint (C2SP signed note)", response="text", errors=())
def checkpoint() -> Response:
    """Serve the latest signed checkpoint (a C2SP signed note)."""
    return _text(services().ledger.current_checkpoint().note)


@blueprint.get("/key")
@documented("The log's note verifier keys, newest first", response="text", errors=())
def key() -> Response:
    """Serve the note verifier keys, newest first."""
    return _text(services().ledger.keyring.verifier_keys_text())


@blueprint.get("/key-rotations")
@documented(
    "The log's key rotation statements, each signed by the old key and the new",
    response=KeyRotationsOut,
    errors=(),
)
def key_rotations() -> Response:
    """Serve every key rotation statement, oldest first, for witnesses to follow."""
    return jsonify({"rotations": services().ledger.keyring.rotation_statements()})


@blueprint.get("/entries")
@documented(
    "A page of entry bytes",
    response=LogEntriesOut,
    query=(("start", COUNT, True), ("end", COUNT, True)),
)
def entries() -> Response:
    """Serve a page of entry bytes for ``start <= index < end``."""
    start, end = int_param("start"), int_param("end")
    page = services().ledger.entries(start, end)
    return jsonify({"entries": [{"index": idx, "data": _b64(data)} for idx, data in page]})


@blueprint.get("/proofs/inclusion")
@documented(
    "An inclusion proof",
    response=InclusionProofOut,
    query=(("index", COUNT, True), ("size", COUNT, True)),
)
def inclusion() -> Response:
    """Serve the inclusion proof of ``index`` in the tree of ``size``."""
    index, size = int_param("index"), int_param("size")
    hashes = services().ledger.inclusion_proof(index, size)
    return jsonify({"index": index, "size": size, "hashes": [_b64(h) for h in hashes]})


@blueprint.get("/proofs/consistency")
@documented(
    "A consistency proof",
    response=ConsistencyProofOut,
    query=(("first", COUNT, True), ("second", COUNT, True)),
)
def consistency() -> Response:
    """Serve the consistency proof between tree sizes ``first`` and ``second``."""
    first, second = int_param("first"), int_param("second")
    hashes = services().ledger.consistency_proof(first, second)
    return jsonify({"first": first, "second": second, "hashes": [_b64(h) for h in hashes]})


MAX_ERASURE_INDICES = 200


@blueprint.get("/erasures")
@documented(
    "Which of the given entries' openings were erased (a learner's data), and when",
    response=ErasuresOut,
    query=(("indices", {"type": "string"}, True),),
)
def erasures() -> Response:
    """Serve the erasure time of each of ``indices`` (comma-separated) that was erased.

    Verifiers ask it for the entries a transcript's evidence names: a transcript whose learner
    was erased is then said to be erased, not valid. Only indices and times, nothing personal.
    """
    raw = request.args.get("indices", "")
    parts = [part for part in raw.split(",") if part]
    indices = [natural(part) for part in parts]
    if not parts or len(parts) > MAX_ERASURE_INDICES or any(i is None for i in indices):
        raise InvalidParameter(
            "indices", f"must be 1 to {MAX_ERASURE_INDICES} comma-separated log indices"
        )
    with read_connection(services().engine) as connection:
        found = erased_at(connection, [i for i in indices if i is not None])
    return jsonify(
        {
            "erasures": [
                {"index": index, "erased_at": format_time(as_utc(moment))}
                for index, moment in sorted(found.items())
            ]
        }
    )
