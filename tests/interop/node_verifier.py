"""Run the third-party Node.js verifier (``tests/interop/verify.mjs``) from pytest.

The verifier is built only from pinned npm packages (``package-lock.json``), which
``scripts/test`` installs with ``npm ci``. Where node, or the installed packages, are missing the
tests that need them skip with :data:`NODE_ABSENT` saying which.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
VERIFY = HERE / "verify.mjs"
MIN_NODE = 18


def _absent_reason() -> str | None:
    node = shutil.which("node")
    if node is None:
        return "node is not installed: the Node.js interoperability verifier cannot run"
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    match = re.fullmatch(r"v(\d+)\..*", version)
    if match is None or int(match.group(1)) < MIN_NODE:
        return f"node {version or '(unknown version)'} is older than v{MIN_NODE}"
    if not (HERE / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        return "tests/interop/node_modules is not installed: scripts/test installs it (npm ci)"
    return None


NODE_ABSENT = _absent_reason()
requires_node = pytest.mark.skipif(NODE_ABSENT is not None, reason=NODE_ABSENT or "")


def run_verifier(
    credentials: Iterable[Any] | None = None,
    *,
    files: Iterable[Path] = (),
    args: Iterable[str] = (),
) -> tuple[int, list[dict[str, Any]]]:
    """Verify ``credentials`` (sent on standard input as one JSON array) or ``files``.

    Returns the exit status and one result per credential, outer ones first and each followed
    by its nested credentials. A usage error (status 2) fails the calling test at once.
    """
    command = ["node", str(VERIFY), *args, *(str(path) for path in files)]
    stdin = None
    if credentials is not None:
        command.append("-")
        stdin = json.dumps(list(credentials), ensure_ascii=False)
    done = subprocess.run(
        command, input=stdin, capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode in (0, 1), f"verify.mjs failed to run: {done.stderr}"
    results = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return done.returncode, results


def describe(results: list[dict[str, Any]]) -> str:
    """One line per failed credential: its path and the verifier's reasons (for assertions)."""
    return "\n".join(
        f"{result['path']}: {'; '.join(result['errors'])}"
        for result in results
        if not result["verified"]
    )
