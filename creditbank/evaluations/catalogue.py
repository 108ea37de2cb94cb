"""Every policy version a serving process applies: the folder's files and the published texts.

At start-up the policies folder is read once; a bad file is quarantined (kept out, with its
errors) and the others load. Versions published through the service are stored in
``policy_publication`` with their text, so every process loads them from the database.

How a process learns of a publication made by another one, without a restart: before it
answers from its versions, it reads the publication counter, ``count(*)`` and
``max(ledger_index)`` of ``policy_publication`` (a table of a few rows per policy, never
updated or deleted), at most once every ``refresh_seconds`` (1 s by default), and reloads the
stored texts only when that pair changed. A lookup of a version it does not know (a
registrar naming the version just published elsewhere) reads it at once, whatever the
interval. The publishing process refreshes itself when it publishes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from creditbank.errors import FieldProblem, NotFound
from creditbank.evaluations.tables import PolicyPublication
from creditbank.rules.loader import Folder, PolicyError, Quarantined, load_folder, parse_policy
from creditbank.rules.policy import Policy
from creditbank.rules.versions import in_force, ordered
from creditbank.storage.database import read_connection

publication_t = PolicyPublication.__table__  # type: ignore[attr-defined]

FILE = "file"
DATABASE = "database"


@dataclass(frozen=True)
class Version:
    """One loaded version: the policy, its text, and where it came from."""

    policy: Policy
    text: str
    format: str
    source: str  # the file's name, or the uploaded file's
    origin: str  # FILE or DATABASE


@dataclass(frozen=True)
class _View:
    """An immutable snapshot: versions by id (oldest first) and what was set aside."""

    versions: Mapping[str, tuple[Version, ...]] = field(default_factory=dict)
    quarantined: tuple[Quarantined, ...] = ()


def _merge(folder: Folder, stored: list[Version], bad_stored: list[Quarantined]) -> _View:
    by_key: dict[tuple[str, str], Version] = {(v.policy.id, v.policy.version): v for v in stored}
    quarantined = list(folder.quarantined) + bad_stored
    for item in folder.loaded:
        key = (item.policy.id, item.policy.version)
        published = by_key.get(key)
        if published is not None:
            if published.policy.content_hash != item.policy.content_hash:
                quarantined.append(
                    Quarantined(
                        item.path.name,
                        (
                            FieldProblem(
                                f"{item.path.name}:version",
                                f"{key[0]} version {key[1]} was published with other content; "
                                "the published one applies",
                            ),
                        ),
                    )
                )
            continue
        by_key[key] = Version(item.policy, item.text, "toml", item.path.name, FILE)
    grouped: dict[str, list[Version]] = {}
    for version in by_key.values():
        grouped.setdefault(version.policy.id, []).append(version)
    versions = {}
    for policy_id, listed in sorted(grouped.items()):
        order = {id(p): n for n, p in enumerate(ordered([v.policy for v in listed]))}
        versions[policy_id] = tuple(sorted(listed, key=lambda v: order[id(v.policy)]))
    return _View(versions, tuple(quarantined))


class PolicyCatalogue:
    """The versions this process applies, kept in step with the publications table."""

    def __init__(
        self,
        engine: Engine | None,
        folder: Path | None,
        *,
        refresh_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._folder = (
            load_folder(folder) if folder is not None and folder.is_dir() else Folder((), ())
        )
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._token: tuple[int, int] | None = None
        self._checked = float("-inf")
        self._view = _merge(self._folder, [], [])

    # --- keeping in step --------------------------------------------------------------------

    def refresh(self, *, force: bool = False) -> None:
        """Read the publication counter (if due, or ``force``) and reload what changed."""
        if self._engine is None:
            return
        now = self._clock()
        if not force and now - self._checked < self._refresh_seconds:
            return
        with self._lock:
            if not force and now - self._checked < self._refresh_seconds:
                return
            with read_connection(self._engine) as connection:
                count, last = connection.execute(
                    select(func.count(), func.coalesce(func.max(publication_t.c.ledger_index), -1))
                ).one()
                token = (int(count), int(last))
                if token != self._token:
                    rows = connection.execute(
                        select(publication_t).where(publication_t.c.content.is_not(None))
                    ).all()
                    self._view = self._load(rows)
                    self._token = token
            self._checked = self._clock()

    def _load(self, rows: Sequence[Any]) -> _View:
        stored: list[Version] = []
        bad: list[Quarantined] = []
        for row in rows:
            source = f"{row.source or row.policy_id} (published {row.version})"
            try:
                policy = parse_policy(row.content, source, row.format or "toml")
            except PolicyError as exc:
                bad.append(Quarantined(source, exc.problems))
                continue
            if policy.content_hash != row.content_hash:
                bad.append(
                    Quarantined(
                        source,
                        (FieldProblem(source, "the stored text no longer hashes as published"),),
                    )
                )
                continue
            stored.append(
                Version(policy, row.content, row.format or "toml", row.source or "", DATABASE)
            )
        return _merge(self._folder, stored, bad)

    # --- reading ----------------------------------------------------------------------------

    def versions(self, policy_id: str) -> tuple[Version, ...]:
        """Every loaded version of ``policy_id``, oldest first (404 when there is none)."""
        self.refresh()
        found = self._view.versions.get(policy_id)
        if found is None:
            self.refresh(force=True)
            found = self._view.versions.get(policy_id)
        if found is None:
            raise NotFound(f"no policy {policy_id!r}")
        return found

    def policies(self, policy_id: str) -> list[Policy]:
        """Every loaded version of ``policy_id`` as policies, oldest first."""
        return [v.policy for v in self.versions(policy_id)]

    def version(self, policy_id: str, version: str) -> Version:
        """One exact version (404 when it is not loaded)."""
        for _ in range(2):
            for item in self._view.versions.get(policy_id, ()):
                if item.policy.version == version:
                    return item
            self.refresh(force=True)
        raise NotFound(f"no version {version!r} of policy {policy_id!r} is loaded")

    def all_versions(self) -> dict[str, tuple[Version, ...]]:
        """Every loaded version of every policy, by id."""
        self.refresh()
        return dict(self._view.versions)

    def current(self, today: date) -> dict[str, Policy]:
        """Each policy's version in force today (else the latest started, else the oldest)."""
        self.refresh()
        found = {}
        for policy_id, listed in self._view.versions.items():
            policies = [v.policy for v in listed]
            started = [p for p in policies if p.effective_from <= today]
            found[policy_id] = in_force(policies, today) or (
                started[-1] if started else policies[0]
            )
        return found

    def quarantined(self) -> tuple[Quarantined, ...]:
        """Files (and stored texts) set aside, with their errors."""
        self.refresh()
        return self._view.quarantined
