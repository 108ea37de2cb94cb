"""The versions a process applies: the folder's files, the stored texts, and what is set aside."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import update

from creditbank.clock import utc_now
from creditbank.evaluations.catalogue import DATABASE, FILE, PolicyCatalogue, publication_t
from creditbank.evaluations.service import publish_policy
from creditbank.rules.loader import parse_policy
from creditbank.storage.database import write_transaction
from creditbank.wiring import Services

POLICIES = Path(__file__).resolve().parents[2] / "policies"
FIVE_YEAR = "cq-five-year-computer-applications"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_stored_versions_win_and_conflicting_files_are_set_aside(
    services: Services, engine_name: str, tmp_path: Path
) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    shutil.copy(POLICIES / f"{FIVE_YEAR}.toml", folder)
    clock = Clock()
    catalogue = PolicyCatalogue(services.engine, folder, refresh_seconds=10, clock=clock)
    assert [v.origin for v in catalogue.versions(FIVE_YEAR)] == [FILE]

    # Another process publishes 2027.1 with its text, and 2026.1 with other content.
    text = (POLICIES / f"{FIVE_YEAR}.2027.toml").read_text(encoding="utf-8")
    publish_policy(
        services.ledger, parse_policy(text, "up.toml"), actor="bank", now=utc_now(), text=text
    )
    other = (POLICIES / f"{FIVE_YEAR}.toml").read_text(encoding="utf-8")
    changed = other.replace("per_academic_year = 8", "per_academic_year = 9")
    publish_policy(
        services.ledger, parse_policy(changed, "c.toml"), actor="bank", now=utc_now(), text=changed
    )
    assert [v.policy.version for v in catalogue.versions(FIVE_YEAR)] == ["2026.1"]  # not due
    clock.now = 10
    loaded = catalogue.versions(FIVE_YEAR)
    assert [(v.policy.version, v.origin) for v in loaded] == [
        ("2026.1", DATABASE),
        ("2027.1", DATABASE),
    ]
    assert loaded[0].text == changed  # the published content applies, not the file's
    [(source, problems)] = [(q.source, q.problems) for q in catalogue.quarantined()]
    assert source == f"{FIVE_YEAR}.toml"
    assert "published with other content" in problems[0].reason

    # A stored text that no longer hashes as published is set aside too, never applied.
    with write_transaction(services.engine) as connection:
        connection.execute(
            update(publication_t)
            .where(publication_t.c.version == "2027.1")
            .values(content=text.replace("per_academic_year = 10", "per_academic_year = 11"))
        )
    fresh = PolicyCatalogue(services.engine, folder, refresh_seconds=0)
    assert [v.policy.version for v in fresh.versions(FIVE_YEAR)] == ["2026.1"]
    assert any("no longer hashes" in q.problems[0].reason for q in fresh.quarantined())
