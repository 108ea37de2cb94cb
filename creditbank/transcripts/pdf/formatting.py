"""How values print: dashes for what is missing, dates, decimals, times in Beijing time."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from creditbank.clock import as_utc

DASH = "—"
# China Standard Time has no daylight saving, so a fixed offset needs no time zone database.
BEIJING = timezone(timedelta(hours=8), "UTC+8")


def text(value: str | None) -> str:
    """The value, or a dash when it is missing or blank."""
    return value.strip() if value and value.strip() else DASH


def number(value: Decimal | int | None) -> str:
    """A number without trailing zeros (2.50 → 2.5, 3.0 → 3), or a dash."""
    if value is None:
        return DASH
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def day(value: date | None) -> str:
    """An ISO date (2025-07-01), or a dash."""
    return DASH if value is None else value.isoformat()


def moment(value: datetime) -> str:
    """A time to the minute in Beijing time; a naive time is taken as UTC, as stored."""
    return as_utc(value).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M (UTC+8)")
