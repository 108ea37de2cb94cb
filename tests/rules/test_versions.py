"""Choosing the version of a policy that applies to a learner, and each version's period."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from creditbank.errors import InvalidInput, NotFound
from creditbank.rules.loader import PolicyError, load_policy, parse_policy
from creditbank.rules.policy import AppliesBy
from creditbank.rules.versions import choose, intake_start, periods

POLICIES = Path(__file__).resolve().parents[2] / "policies"
V2026 = load_policy(POLICIES / "cq-five-year-computer-applications.toml")
V2027 = load_policy(POLICIES / "cq-five-year-computer-applications.2027.toml")


def test_each_version_is_in_force_until_the_next_one_starts() -> None:
    found = [(p.policy.version, p.start, p.until) for p in periods([V2027, V2026])]
    assert found == [
        ("2026.1", date(2026, 9, 1), date(2027, 8, 31)),
        ("2027.1", date(2027, 9, 1), None),
    ]
    ended = replace(V2026, effective_until=date(2027, 6, 30))
    assert periods([ended, V2027])[0].until == date(2027, 6, 30)


def test_the_intake_chooses_and_is_what_the_window_is_checked_on() -> None:
    assert V2026.applies_by is AppliesBy.INTAKE
    late = choose([V2026, V2027], on=date(2028, 3, 1), intake=2026)
    assert (late.policy.version, late.applies_on) == ("2026.1", date(2026, 9, 1))
    new = choose([V2026, V2027], on=date(2028, 3, 1), intake=2027)
    assert (new.policy.version, new.applies_on) == ("2027.1", date(2027, 9, 1))
    with pytest.raises(InvalidInput) as missing:
        choose([V2026, V2027], on=date(2028, 3, 1))
    assert missing.value.problems[0].field == "intake"
    with pytest.raises(InvalidInput):  # before every version
        choose([V2026, V2027], on=date(2028, 3, 1), intake=2025)
    named = choose([V2026, V2027], on=date(2028, 3, 1), version="2026.1", intake=2027)
    assert (named.policy.version, named.applies_on) == ("2026.1", date(2027, 9, 1))
    with pytest.raises(NotFound):
        choose([V2026, V2027], on=date(2028, 3, 1), version="2025.1")


def test_by_entry_date_and_by_evaluation_date() -> None:
    first = replace(V2026, applies_by=AppliesBy.ENTRY_DATE)
    second = replace(V2027, applies_by=AppliesBy.ENTRY_DATE)
    chosen = choose([first, second], on=date(2030, 1, 1), entered_on=date(2027, 8, 31))
    assert (chosen.policy.version, chosen.applies_on) == ("2026.1", date(2027, 8, 31))
    plain = [replace(p, applies_by=AppliesBy.EVALUATION_DATE) for p in (V2026, V2027)]
    assert choose(plain, on=date(2027, 9, 1)).policy.version == "2027.1"
    assert choose(plain, on=date(2027, 9, 1)).applies_on is None
    # Before every version: the oldest, which then recognises nothing (not_effective).
    assert choose(plain, on=date(2020, 1, 1)).policy.version == "2026.1"


def test_an_intake_may_start_on_another_day() -> None:
    text = (POLICIES / "cq-five-year-computer-applications.toml").read_text(encoding="utf-8")
    march = parse_policy(
        text.replace('applies_by = "intake"', 'applies_by = "intake"\nintake_starts = "03-01"'),
        "march.toml",
    )
    assert intake_start(march, 2027) == date(2027, 3, 1)
    with pytest.raises(PolicyError) as bad:
        parse_policy(text.replace('applies_by = "intake"', 'intake_starts = "02-30"'), "x.toml")
    assert {p.field for p in bad.value.problems} == {"x.toml:intake_starts"}
