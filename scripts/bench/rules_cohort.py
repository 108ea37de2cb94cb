"""Benchmark: evaluating a cohort of synthetic learners against a large synthetic policy.

Prints learner evaluations per second on one core (this process), and how the cost grows
with the number of rules and with outcomes per learner. Learners and policy are generated
from a seed, so runs are comparable.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from creditbank.records.parsing import parse_outcome
from creditbank.rules.candidates import SourceOutcome
from creditbank.rules.evaluate import evaluate
from creditbank.rules.loader import parse_policy
from creditbank.rules.policy import Policy

ON = date(2026, 9, 1)
CERTIFICATES = [f"证书{n:02d}" for n in range(20)]
SKILLS = [f"工种{n:02d}" for n in range(8)]
SKILL_LEVELS = ["五级", "四级", "三级", "二级", "一级"]
TRACKS = [f"赛项{n}" for n in range(6)]


def synthetic_policy(rules: int, seed: int = 7) -> Policy:
    """A policy with ``rules`` rules over a programme of ``rules // 2 + 10`` courses."""
    rng = random.Random(seed)
    courses = rules // 2 + 10
    lines = [
        'id = "bench-policy"',
        'version = "1"',
        'title_zh = "基准"',
        'title_en = "bench"',
        'pathway = "3+2"',
        'source_levels = ["zhongzhi"]',
        'target_level = "gaozhi"',
        'effective_from = "2020-01-01"',
        "max_outcome_age_years = 6",
        "max_age_years = { certificate = 4 }",
        'catch_all = "T000"',
        "[programme]",
        'code = "P"',
        'title_zh = "专业"',
        'institution = "CQ-GZ-001"',
        "total_credits = 400",
        "residency_credits = 50",
        "[ladders.skill]",
        f"steps = {json.dumps(SKILL_LEVELS, ensure_ascii=False)}",
        "[competitions.national]",
        'names = ["全国职业院校技能大赛"]',
        'tier = "A"',
        "tracks = ["
        + ", ".join(
            f'{{ name = "{t}", team = {str(n % 2 == 0).lower()} }}' for n, t in enumerate(TRACKS)
        )
        + "]",
        "[[gates]]",
        'id = "transfer-exam"',
        'title_zh = "转段考核"',
        'title_en = "transfer assessment"',
        'kind = "course"',
        'title = "转段考核"',
        "min_grade = 60",
        "[grade_rounding]",
        'mode = "half_up"',
        "[makeup]",
        "grade = 60",
        'record_as = "及格"',
        "[residency]",
        'per_category = { "实践" = 4 }',
        "[grade_conversion.five_level]",
        'words = { "优秀" = 95, "良好" = 85, "中等" = 75, "及格" = 65, "不及格" = 0 }',
        "[min_grade]",
        "course = 60",
    ]
    for n in range(courses):
        lines += [
            "[[programme.courses]]",
            f'code = "T{n:03d}"',
            f'title_zh = "目标课程{n}"',
            f"credits = {rng.choice([2, 3, 4])}",
            f'category = "{"实践" if n % 7 == 6 else "专业核心"}"',
        ]
    for n in range(rules):
        targets = f'["T{rng.randrange(1, courses):03d}"]'
        lines.append("[[rules]]")
        lines.append(f'id = "R{n:03d}"')
        if n % 10 == 9:
            lines += [
                'kind = "certificate"',
                f'title = "{rng.choice(CERTIFICATES)}"',
                f'min_level = "{rng.choice(["chuji", "zhongji"])}"',
                f"targets = {targets}",
            ]
        elif n % 20 == 3:
            lines += [
                'kind = "certificate"',
                f'title = "{rng.choice(SKILLS)}"',
                'ladder = "skill"',
                f'min_level = "{rng.choice(SKILL_LEVELS[:3])}"',
                f"targets = {targets}",
            ]
        elif n % 20 == 7:
            lines += [
                'kind = "training"',
                'title_contains = "安全"',
                'accumulate = { unit = "hours", fill_at = 32, below = "proportional" }',
                f"targets = {targets}",
            ]
        elif n % 20 == 13:
            lines += [
                'kind = "award"',
                'competitions = ["national"]',
                f'tracks = ["{rng.choice(TRACKS)}"]',
                'min_level = "national"',
                'ranks = ["first_prize", "second_prize", "third_prize"]',
                "credits = 3",
                "team_credits = 2",
                f"targets = {targets}",
            ]
        else:
            size = 2 if n % 5 == 0 else 1
            sources = ", ".join(f'{{ title = "课程{rng.randrange(rules)}" }}' for _ in range(size))
            lines += ['kind = "course"', f"sources = [{sources}]", f"targets = {targets}"]
    lines += [
        "[caps]",
        "total_fraction = 0.5",
        "certificates = 3",
        "per_kind = { certificate = 20 }",
        "per_academic_year = 60",
        'per_category = { "专业核心" = { fraction = 0.4 } }',
    ]
    return parse_policy("\n".join(lines) + "\n", "bench-policy.toml")


def synthetic_learner(
    rng: random.Random, outcomes: int, rules: int, number: int
) -> list[SourceOutcome]:
    """``outcomes`` outcomes: mostly courses whose titles some rules name, and the rest.

    A few certificates (some on a level ladder, some expired), trainings and awards by
    track, some courses passed at a 补考; first, the gate's transfer assessment, which nine
    learners in ten pass.
    """
    sources = []
    for n in range(outcomes):
        year = rng.randrange(2020, 2025)
        if n == 0:
            item: dict[str, Any] = {
                "kind": "course",
                "course_code": "ZD",
                "title_zh": "转段考核",
                "source_institution": "CQ-ZZ-001",
                "level": "zhongzhi",
                "programme": "机电",
                "term": "2024-2025-2",
                "hours": 0,
                "credits": "0",
                "grade": {
                    "scale": "percent",
                    "value": rng.choice(
                        ["59.5", "65", "70", "75", "80", "85", "88", "90", "95", "55"]
                    ),
                },
                "completed_on": "2025-06-30",
            }
        elif n % 10 == 4:
            item = {
                "kind": "certificate",
                "certificate_type": "vocational_qualification",
                "title": rng.choice(SKILLS) + rng.choice(SKILL_LEVELS),
                "certificate_number": f"S{number}-{n}",
                "awarding_organisation": "鉴定中心",
                "issued_on": f"{year}-06-30",
                "expires_on": rng.choice(["2026-06-30", "2028-06-30"]),
            }
        elif n % 10 == 6:
            item = {
                "kind": "training",
                "provider": "培训中心",
                "title": rng.choice(["安全生产培训", "消防安全培训", "钳工培训"]),
                "hours": rng.randrange(8, 33),
                "result": {"scale": "two_level", "value": "合格"},
                "started_on": f"{year}-07-01",
                "completed_on": f"{year}-07-05",
            }
        elif n % 10 == 8:
            item = {
                "kind": "award",
                "competition": "全国职业院校技能大赛",
                "level": "national",
                "rank": rng.choice(["first_prize", "second_prize", "third_prize"]),
                "awarded_on": f"{year}-05-20",
                "track": rng.choice(TRACKS),
            }
        elif n % 10 == 9:
            item = {
                "kind": "certificate",
                "certificate_type": "one_plus_x",
                "title": rng.choice(CERTIFICATES),
                "level": rng.choice(["chuji", "zhongji", "gaoji"]),
                "certificate_number": f"X{number}-{n}",
                "awarding_organisation": "评价组织",
                "issued_on": f"{year}-06-30",
            }
        else:
            item = {
                "kind": "course",
                "course_code": f"C{n}",
                "title_zh": f"课程{rng.randrange(rules)}",
                "source_institution": "CQ-ZZ-001",
                "level": "zhongzhi",
                "programme": "机电",
                "term": f"{year}-{year + 1}-1",
                "hours": 64,
                "credits": rng.choice(["2", "3", "4"]),
                "grade": rng.choice(
                    [
                        {"scale": "percent", "value": str(rng.randrange(50, 100))},
                        {"scale": "five_level", "value": rng.choice(["优秀", "良好", "及格"])},
                    ]
                ),
                "completed_on": f"{year + 1}-01-10",
            }
            if n % 10 == 7:  # a 补考 pass, counted as the policy says
                item["attempt"] = "makeup"
        sources.append(
            SourceOutcome(f"L{number}-{n}", "CQ-ZZ-001", "重庆", parse_outcome(item, today=ON))
        )
    return sources


def measure(rules: int, outcomes: int, learners: int, seed: int) -> dict[str, Any]:
    """Evaluate ``learners`` learners; return learners/s and the mean recognised credits."""
    policy = synthetic_policy(rules, seed)
    rng = random.Random(seed)
    cohort = [synthetic_learner(rng, outcomes, rules, n) for n in range(learners)]
    started, cpu = time.perf_counter(), time.process_time()
    total = Decimal(0)
    for sources in cohort:
        total += evaluate(policy, sources, ON).recognised_credits
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu
    return {
        "rules": rules,
        "outcomes": outcomes,
        "learners": learners,
        "learners_per_s": learners / seconds,
        # On a shared machine the process's own CPU time stands for one quiet core better
        # than the wall clock, which counts the time other processes held the core.
        "learners_per_cpu_s": learners / cpu_seconds,
        "mean_credits": float(total / learners),
    }


def main() -> None:
    """Run the headline cohort and the growth series; print medians of the repeats."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--outcomes", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--series-learners", type=int, default=1000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = []

    def median_of(rules: int, outcomes: int, learners: int) -> dict[str, Any]:
        runs = [measure(rules, outcomes, learners, seed) for seed in range(args.repeats)]
        best = dict(runs[0])
        best["learners_per_s"] = statistics.median(r["learners_per_s"] for r in runs)
        best["learners_per_cpu_s"] = statistics.median(r["learners_per_cpu_s"] for r in runs)
        return best

    headline = median_of(args.rules, args.outcomes, args.learners)
    print(
        f"cohort: {headline['learners']} learners x {args.outcomes} outcomes, {args.rules} rules: "
        f"{headline['learners_per_s']:.0f} learners/s (median of {args.repeats}; one core; "
        f"{headline['learners_per_cpu_s']:.0f} per CPU second), "
        f"{headline['mean_credits']:.1f} credits recognised on average",
        flush=True,
    )
    rows.append(headline)
    for rules in (50, 100, 200, 400):
        row = median_of(rules, args.outcomes, args.series_learners)
        rows.append(row)
        print(
            f"  rules {rules:>4}, outcomes {args.outcomes}: "
            f"{row['learners_per_s']:7.0f} learners/s ({row['learners_per_cpu_s']:.0f} per CPU s)",
            flush=True,
        )
    for outcomes in (10, 20, 40, 80):
        row = median_of(args.rules, outcomes, args.series_learners)
        rows.append(row)
        print(
            f"  rules {args.rules}, outcomes {outcomes:>4}: "
            f"{row['learners_per_s']:7.0f} learners/s ({row['learners_per_cpu_s']:.0f} per CPU s)",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
