"""A policy's sample cases (``policies/<id>.cases.toml``): learners and expected decisions.

Each case lists outcomes in the API's JSON shape (plus ``id``, ``institution`` and
``region``), the evaluation date, and what must come out: the credits recognised, which rule
fills each filled course (exactly those), and for chosen outcomes a reason code they must be
refused with. ``first_match_credits`` records what a first-match reading would give.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from creditbank.records.parsing import parse_outcome
from creditbank.rules.candidates import SourceOutcome


@dataclass(frozen=True)
class PolicyCase:
    """One sample learner and the expected evaluation."""

    name: str
    on: date
    sources: tuple[SourceOutcome, ...]
    recognised_credits: Decimal
    filled: dict[str, str]
    unused: dict[str, str]
    first_match_credits: Decimal | None


def _source(raw: dict[str, Any], on: date) -> SourceOutcome:
    item = dict(raw)
    record_id, institution, region = item.pop("id"), item.pop("institution"), item.pop("region")
    return SourceOutcome(record_id, institution, region, parse_outcome(item, today=on))


def load_cases(path: Path) -> list[PolicyCase]:
    """Read a cases file."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    cases = []
    for raw in data["case"]:
        on = raw["on"] if isinstance(raw["on"], date) else date.fromisoformat(raw["on"])
        first = raw.get("first_match_credits")
        cases.append(
            PolicyCase(
                name=raw["name"],
                on=on,
                sources=tuple(_source(item, on) for item in raw.get("outcomes", [])),
                recognised_credits=Decimal(raw["recognised_credits"]),
                filled=dict(raw.get("filled", {})),
                unused=dict(raw.get("unused", {})),
                first_match_credits=None if first is None else Decimal(first),
            )
        )
    return cases
