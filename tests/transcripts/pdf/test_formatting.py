"""How values print."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from creditbank.transcripts.pdf import formatting as fmt


def test_missing_and_blank_values_are_a_dash() -> None:
    assert fmt.text(None) == "—"
    assert fmt.text("  ") == "—"
    assert fmt.text(" 良好 ") == "良好"
    assert fmt.number(None) == "—"
    assert fmt.day(None) == "—"


def test_numbers_lose_trailing_zeros_but_not_magnitude() -> None:
    assert fmt.number(Decimal("2.50")) == "2.5"
    assert fmt.number(Decimal("3.0")) == "3"
    assert fmt.number(Decimal("100")) == "100"
    assert fmt.number(Decimal("0.00")) == "0"
    assert fmt.number(120) == "120"


def test_times_print_in_beijing_time_and_naive_ones_count_as_utc() -> None:
    assert fmt.moment(datetime(2026, 12, 31, 20, 5, tzinfo=UTC)) == "2027-01-01 04:05 (UTC+8)"
    assert fmt.moment(datetime(2026, 12, 31, 20, 5)) == "2027-01-01 04:05 (UTC+8)"
    assert fmt.day(date(2025, 7, 1)) == "2025-07-01"
