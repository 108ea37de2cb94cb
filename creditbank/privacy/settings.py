"""Retention periods per kind of data, and the grace period before a closed account is erased.

``CREDITBANK_RETENTION`` lists ``kind=days`` pairs (comma or space separated) that replace the
defaults below; a kind not named keeps its default. Unknown kinds and negative or fractional
days are refused when the service starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from creditbank.errors import InvalidInput


class RetentionKind(StrEnum):
    """What the retention job deletes once it is older than its period."""

    # A closed account's personal data: erased (its key destroyed) this long after closure.
    CLOSED_ACCOUNT = "closed_account"
    # Notices to learners and institutions (and their e-mails), counted from when made.
    NOTICE = "notice"
    # Learners' sign-in tokens, counted from when they expired or were revoked.
    LEARNER_TOKEN = "learner_token"  # noqa: S105 (a kind's name, not a secret)
    # Accounts an institution opened that were never activated, counted from opening: closed
    # (then erased after the grace period like any closed account).
    UNACTIVATED_ACCOUNT = "unactivated_account"


DEFAULT_DAYS: Mapping[RetentionKind, int] = {
    RetentionKind.CLOSED_ACCOUNT: 30,
    RetentionKind.NOTICE: 365,
    RetentionKind.LEARNER_TOKEN: 30,
    RetentionKind.UNACTIVATED_ACCOUNT: 3 * 365,
}


@dataclass(frozen=True)
class RetentionSettings:
    """Days each kind of data is kept (see :class:`RetentionKind`)."""

    days: Mapping[RetentionKind, int] = field(default_factory=lambda: dict(DEFAULT_DAYS))

    def period(self, kind: RetentionKind) -> timedelta:
        """How long ``kind`` is kept."""
        return timedelta(days=self.days.get(kind, DEFAULT_DAYS[kind]))

    @property
    def grace(self) -> timedelta:
        """Between closing an account and erasing it."""
        return self.period(RetentionKind.CLOSED_ACCOUNT)


def parse_retention(text: str) -> RetentionSettings:
    """Read ``kind=days`` pairs over the defaults."""
    days = dict(DEFAULT_DAYS)
    for item in text.replace(",", " ").split():
        name, _, raw = item.partition("=")
        try:
            kind = RetentionKind(name.strip())
        except ValueError:
            known = ", ".join(k.value for k in RetentionKind)
            raise InvalidInput(
                f"CREDITBANK_RETENTION: unknown kind {name!r} (known: {known})"
            ) from None
        if not raw.strip().isdigit():
            raise InvalidInput(f"CREDITBANK_RETENTION: {name} must be a whole number of days")
        days[kind] = int(raw)
    return RetentionSettings(days)


def retention_from_env(environ: Mapping[str, str]) -> RetentionSettings:
    """The retention settings of ``CREDITBANK_RETENTION`` (defaults when unset)."""
    return parse_retention(environ.get("CREDITBANK_RETENTION", ""))
