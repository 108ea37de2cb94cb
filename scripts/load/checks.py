"""After the run: what the clients were told against what the database and the log hold."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine, create_engine, select

from creditbank.config import Settings
from creditbank.ledger.store import read_head, read_openings
from creditbank.records.tables import OutcomeRecord
from creditbank.storage.database import normalise_url
from creditbank.wiring import install_data_keys
from scripts.load.clients import BatchOutcome

INSTITUTION = "CQ-GZ-001"
PREFIX = "lt-"
record_t = OutcomeRecord.__table__  # type: ignore[attr-defined]


def _stored_records(engine: Engine) -> dict[str, list[str]]:
    """external_id → record ids in the records table."""
    found: dict[str, list[str]] = {}
    with engine.connect() as connection:
        rows = connection.execute(
            select(record_t.c.external_id, record_t.c.id).where(
                record_t.c.institution == INSTITUTION, record_t.c.external_id.like(f"{PREFIX}%")
            )
        )
        for external_id, record_id in rows:
            found.setdefault(external_id, []).append(record_id)
    return found


def _logged_records(engine: Engine) -> Counter[str]:
    """external_id → how many record entries of the log carry it (from the openings)."""
    counts: Counter[str] = Counter()
    with engine.connect() as connection:
        size = read_head(connection).size
        # Openings in clear and those sealed under learners' keys alike (read_openings opens
        # them with the key store installed on the engine).
        for start in range(0, size, 5000):
            openings = read_openings(connection, range(start, min(start + 5000, size)))
            for _, payload in openings.values():
                external_id = json.loads(payload).get("external_id")
                if isinstance(external_id, str) and external_id.startswith(PREFIX):
                    counts[external_id] += 1
    return counts


def check_records(env: dict[str, str], outcomes: Sequence[BatchOutcome]) -> list[str]:
    """Each acknowledged record stored and logged once, as answered; no batch half-written.

    ``env`` is the served instance's environment (its folder and database). Record entries'
    openings are sealed under learners' keys: the check opens them as the service does.
    """
    url = env["CREDITBANK_DATABASE_URL"]
    engine = create_engine(normalise_url(url))
    install_data_keys(engine, Settings(Path(env["CREDITBANK_INSTANCE"]), url))
    try:
        return _check_records(engine, outcomes)
    finally:
        engine.dispose()


def _check_records(engine: Engine, outcomes: Sequence[BatchOutcome]) -> list[str]:
    violations: list[str] = []
    stored = _stored_records(engine)
    logged = _logged_records(engine)
    attempted: set[str] = set()
    for outcome in outcomes:
        attempted.update(outcome.external_ids)
        present = [ext for ext in outcome.external_ids if ext in stored]
        if outcome.acknowledged:
            missing = len(outcome.external_ids) - len(present)
            if missing:
                violations.append(f"batch {outcome.key}: acknowledged, {missing} records missing")
            doubled = [ext for ext in outcome.external_ids if logged[ext] != 1]
            if doubled:
                violations.append(
                    f"batch {outcome.key}: {len(doubled)} records logged other than once "
                    f"(e.g. {doubled[0]}: {logged[doubled[0]]} times)"
                )
            assert outcome.response is not None
            answered = [record["id"] for record in outcome.response["records"]]
            kept = [stored.get(ext, ["?"])[0] for ext in outcome.external_ids]
            if answered != kept:
                violations.append(f"batch {outcome.key}: the record ids answered are not stored")
        elif present and len(present) != len(outcome.external_ids):
            violations.append(
                f"batch {outcome.key}: half-written, {len(present)} of "
                f"{len(outcome.external_ids)} records stored"
            )
    for ext, ids in stored.items():
        if len(ids) != 1:
            violations.append(f"record {ext} stored {len(ids)} times")
    phantom = sorted((set(stored) | set(logged)) - attempted)
    if phantom:
        violations.append(f"{len(phantom)} records stored that no client sent (e.g. {phantom[0]})")
    unlogged = sorted(set(stored) - set(logged))
    if unlogged:
        violations.append(f"{len(unlogged)} stored records have no log entry (e.g. {unlogged[0]})")
    return violations


def ledger_verify(env: dict[str, str], root: Path) -> tuple[bool, str]:
    """Run ``creditbank ledger verify`` on the instance; return success and its last line."""
    completed = subprocess.run(
        [str(root / ".venv/bin/creditbank"), "ledger", "verify"],
        env={**os.environ, **env},
        cwd=root,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    said = completed.stdout if completed.returncode == 0 else completed.stderr
    lines = [line.strip() for line in said.replace("\r", "\n").splitlines() if line.strip()]
    return completed.returncode == 0, lines[-1] if lines else f"exit {completed.returncode}"
