"""Cases files are checked by a schema of their own: errors name the file and the key path."""

from __future__ import annotations

import pytest

from creditbank.rules.cases import CasesError, parse_cases

GOOD = """
[[case]]
name = "one"
on = 2026-09-01
recognised_credits = "4"
filled = { "A" = "R1" }

[[case.exceptions]]
type = "exclude"
record = "c"
by = "reg"
why = "复核"

[[case.outcomes]]
id = "c"
institution = "CQ-ZZ-001"
region = "重庆"
kind = "certificate"
certificate_type = "other"
title = "电工四级"
certificate_number = "E-1"
awarding_organisation = "中心"
issued_on = "2025-06-30"
"""


def _fields(text: str) -> set[str]:
    with pytest.raises(CasesError) as caught:
        parse_cases(text, "x.cases.toml")
    assert caught.value.detail.startswith("x.cases.toml: ")
    return {p.field for p in caught.value.problems}


def test_a_good_file_loads_with_its_exceptions() -> None:
    (case,) = parse_cases(GOOD, "x.cases.toml")
    assert case.exceptions[0].record_id == "c"  # type: ignore[union-attr]
    assert [s.record_id for s in case.sources] == ["c"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (('name = "one"', 'name = "one"\nsurprise = 1'), "x.cases.toml:case.0.surprise"),
        (
            ('recognised_credits = "4"', "recognised_credits = 4"),
            "x.cases.toml:case.0.recognised_credits",
        ),
        (
            ('recognised_credits = "4"', 'recognised_credits = "four"'),
            "x.cases.toml:case.0.recognised_credits",
        ),
        (("on = 2026-09-01", 'on = "soon"'), "x.cases.toml:case.0.on"),
        (('type = "exclude"', 'type = "forget"'), "x.cases.toml:case.0.exceptions.0.type"),
        (('by = "reg"\n', ""), "x.cases.toml:case.0.exceptions.0.by"),
        (('region = "重庆"\n', ""), "x.cases.toml:case.0.outcomes.0.region"),
        (
            ('issued_on = "2025-06-30"', 'issued_on = "2025-13-30"'),
            "x.cases.toml:case.0.outcomes.0.issued_on",
        ),
    ],
)
def test_malformed_cases_name_the_key_path(change: tuple[str, str], field: str) -> None:
    old, new = change
    assert old in GOOD
    assert field in _fields(GOOD.replace(old, new))


def test_a_file_without_cases_is_refused() -> None:
    assert "x.cases.toml:case" in _fields("# nothing\n")
