"""transparency-dev/merkle's inclusion and consistency probes, read in place from ../shared."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from creditbank.errors import ProofError
from creditbank.ledger.proof_checks import verify_consistency, verify_inclusion
from tests.shared_vectors import requires_shared, shared_dir, vector_params

TESTDATA = "vectors/merkle/testdata"


def _bytes(value: str | None) -> bytes:
    # The probes write an empty byte string as null or "".
    return base64.b64decode(value, validate=True) if value else b""


def _proof(value: list[str] | None) -> list[bytes]:
    return [_bytes(element) for element in value or []]


def _load(path: Path) -> dict[str, Any]:
    probe: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(probe["wantErr"], bool)
    return probe


@requires_shared
def test_all_probes_are_there() -> None:
    # Guards against a renamed or emptied directory turning the parametrised tests into no-ops.
    base = shared_dir() / TESTDATA
    assert len(list((base / "inclusion").rglob("*.json"))) == 98
    assert len(list((base / "consistency").rglob("*.json"))) == 98


@pytest.mark.parametrize("path", vector_params(TESTDATA, "inclusion"))
def test_inclusion_probe(path: Path) -> None:
    probe = _load(path)

    def check() -> None:
        verify_inclusion(
            probe["leafIdx"],
            probe["treeSize"],
            _bytes(probe["leafHash"]),
            _proof(probe["proof"]),
            _bytes(probe["root"]),
        )

    if probe["wantErr"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()


@pytest.mark.parametrize("path", vector_params(TESTDATA, "consistency"))
def test_consistency_probe(path: Path) -> None:
    probe = _load(path)

    def check() -> None:
        verify_consistency(
            probe["size1"],
            probe["size2"],
            _bytes(probe["root1"]),
            _bytes(probe["root2"]),
            _proof(probe["proof"]),
        )

    if probe["wantErr"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()
