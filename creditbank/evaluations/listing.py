"""Policies as listed (API and pages): each with its versions, their periods and publication."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine

from creditbank.evaluations.catalogue import PolicyCatalogue, Version
from creditbank.evaluations.service import publications
from creditbank.rules.policy import Policy
from creditbank.rules.versions import periods
from creditbank.storage.database import read_connection


@dataclass(frozen=True)
class ListedVersion:
    """One version, the period it is in force, and its publication (hash and index)."""

    version: Version
    start: date
    until: date | None
    published_index: int | None

    @property
    def policy(self) -> Policy:
        """The version's policy."""
        return self.version.policy

    @property
    def published(self) -> bool:
        """Published with this very content."""
        return self.published_index is not None


@dataclass(frozen=True)
class ListedPolicy:
    """A policy id: the version in force today and every version, oldest first."""

    current: Policy
    versions: tuple[ListedVersion, ...]

    @property
    def current_version(self) -> ListedVersion:
        """The listed version in force today."""
        return next(v for v in self.versions if v.policy.version == self.current.version)


def list_policies(engine: Engine, catalogue: PolicyCatalogue, today: date) -> list[ListedPolicy]:
    """Every loaded policy id, sorted, with its versions."""
    with read_connection(engine) as connection:
        published = publications(connection)
    current = catalogue.current(today)
    listed = []
    for policy_id, versions in sorted(catalogue.all_versions().items()):
        by_policy = {id(v.policy): v for v in versions}
        rows = []
        for period in periods([v.policy for v in versions]):
            entry = published.get((policy_id, period.policy.version))
            index = entry[1] if entry and entry[0] == period.policy.content_hash else None
            version = by_policy[id(period.policy)]
            rows.append(ListedVersion(version, period.start, period.until, index))
        listed.append(ListedPolicy(current.get(policy_id, versions[-1].policy), tuple(rows)))
    return listed
