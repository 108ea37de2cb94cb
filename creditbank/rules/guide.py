"""A policy in words, for the public transfer guide: what is recognised, for how much, when.

Everything here is read from the policy's own data, so the guide cannot drift from what the
engine applies; where the engine explains a refusal (too old, wrong level, region, grade), the
guide states the same condition with the engine's reason texts (:mod:`creditbank.rules.reasons`)
as the "not recognised when" list.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from creditbank.records.vocabulary import CertificateLevel, Vocabulary
from creditbank.rules.policy import (
    CertificateRule,
    CourseRule,
    Policy,
    Rule,
    TargetCourse,
    TrainingRule,
)
from creditbank.rules.reasons import TEXTS

Words = tuple[str, str]  # (zh, en)


@dataclass(frozen=True)
class CourseGuide:
    """One course of the target programme and the ways to have it recognised."""

    course: TargetCourse
    ways: tuple[Words, ...]
    catch_all: bool


@dataclass(frozen=True)
class PolicyGuide:
    """A policy in words."""

    policy: Policy
    courses: tuple[CourseGuide, ...]
    conditions: tuple[Words, ...]
    caps: tuple[Words, ...]
    refusals: tuple[Words, ...]  # the engine's reasons an outcome is not recognised

    @property
    def recognisable(self) -> tuple[CourseGuide, ...]:
        """The courses some rule (or the catch-all) can fill."""
        return tuple(c for c in self.courses if c.ways or c.catch_all)


def _n(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _label(value: Vocabulary | str | None, lang: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str) and value in {level.value for level in CertificateLevel}:
        value = CertificateLevel(value)
    if isinstance(value, Vocabulary):
        return value.label("en" if lang == "en" else "zh")
    return str(value)


def _sources(rule: CourseRule) -> Words:
    zh = []
    en = []
    for match in rule.sources:
        if match.code and match.title:
            zh.append(f"{match.title}（{match.code}）")
            en.append(f"{match.title} ({match.code})")
        else:
            zh.append(match.code or match.title or "")
            en.append(match.code or match.title or "")
    return "、".join(zh), ", ".join(en)


def _grade(minimum: Decimal | None) -> Words:
    if minimum is None:
        return "", ""
    return (
        f"，成绩不低于 {_n(minimum)} 分（百分制折算）",
        f", with a grade of {_n(minimum)} or more",
    )


def rule_words(rule: Rule, course: TargetCourse) -> Words:
    """How one rule fills ``course``, in Chinese and English."""
    credits = _n(course.credits)
    if isinstance(rule, CourseRule):
        zh_src, en_src = _sources(rule)
        zh_g, en_g = _grade(rule.min_grade)
        return (
            f"修读课程 {zh_src}{zh_g}，认定 {credits} 学分（规则 {rule.id}）",
            f"the course {en_src}{en_g}: {credits} credits (rule {rule.id})",
        )
    if isinstance(rule, CertificateRule):
        level_zh = f"{_label(rule.min_level, 'zh')}及以上" if rule.min_level else ""
        level_en = f" at level {_label(rule.min_level, 'en')} or above" if rule.min_level else ""
        titles = "、".join(rule.titles)
        if rule.credits is None:
            return (
                f"取得 {titles} 证书{level_zh}，免修免考（{credits} 学分，规则 {rule.id}）",
                f"the certificate {titles}{level_en}: exempt, {credits} credits (rule {rule.id})",
            )
        given = _n(rule.credits)
        return (
            f"取得 {titles} 证书{level_zh}，认定 {given} 学分（规则 {rule.id}）",
            f"the certificate {titles}{level_en}: {given} credits (rule {rule.id})",
        )
    if isinstance(rule, TrainingRule):
        about_zh = f"名称含“{rule.title_contains}”的" if rule.title_contains else ""
        about_en = f" whose title contains “{rule.title_contains}”" if rule.title_contains else ""
        hours = _n(rule.hours_per_credit)
        most = _n(rule.max_credits)
        return (
            f"{about_zh}培训，每 {hours} 学时折 1 学分，最多 {most} 学分（规则 {rule.id}）",
            f"training{about_en}: 1 credit per {hours} hours, at most {most} credits "
            f"(rule {rule.id})",
        )
    ranks_zh = "、".join(_label(r, "zh") for r in rule.ranks)
    ranks_en = ", ".join(_label(r, "en") for r in rule.ranks)
    given = _n(rule.credits)
    level_zh = _label(rule.min_level, "zh")
    return (
        f"{level_zh}及以上技能大赛 {ranks_zh}，认定 {given} 学分（规则 {rule.id}）",
        f"a skills competition at {_label(rule.min_level, 'en')} level or above, {ranks_en}: "
        f"{given} credits (rule {rule.id})",
    )


def _conditions(policy: Policy) -> list[Words]:
    found: list[Words] = []
    levels_zh = "、".join(level.label("zh") for level in policy.source_levels)
    levels_en = ", ".join(level.label("en") for level in policy.source_levels)
    found.append((f"来源层次：{levels_zh}", f"Outcomes from: {levels_en}"))
    if policy.regions:
        found.append(
            (
                f"来源地区：{'、'.join(policy.regions)}",
                f"From the regions: {', '.join(policy.regions)}",
            )
        )
    if policy.institutions:
        found.append(
            (
                f"来源机构：{'、'.join(policy.institutions)}",
                f"From the institutions: {', '.join(policy.institutions)}",
            )
        )
    if policy.max_outcome_age_years is not None:
        years = policy.max_outcome_age_years
        found.append(
            (f"成果取得不超过 {years} 年", f"Outcomes earned no more than {years} years ago")
        )
    until = policy.effective_until.isoformat() if policy.effective_until else None
    found.append(
        (
            f"生效：{policy.effective_from.isoformat()} 起" + (f"，至 {until}" if until else ""),
            f"In effect from {policy.effective_from.isoformat()}"
            + (f" until {until}" if until else ""),
        )
    )
    return found


def _caps(policy: Policy) -> list[Words]:
    caps = policy.caps
    found: list[Words] = []
    if caps.total_credits is not None:
        total = _n(caps.total_credits)
        found.append((f"合计最多认定 {total} 学分", f"At most {total} credits in all"))
    for kind, credits in caps.per_kind:
        found.append(
            (
                f"{kind.label('zh')}最多 {_n(credits)} 学分",
                f"At most {_n(credits)} credits from {kind.label('en')} outcomes",
            )
        )
    if caps.per_institution is not None:
        most = _n(caps.per_institution)
        found.append(
            (f"每个来源机构最多 {most} 学分", f"At most {most} credits from one institution")
        )
    if caps.per_academic_year is not None:
        most = _n(caps.per_academic_year)
        found.append((f"每学年最多 {most} 学分", f"At most {most} credits per academic year"))
    if caps.certificates is not None:
        found.append(
            (
                f"最多使用 {caps.certificates} 个证书",
                f"At most {caps.certificates} certificates count",
            )
        )
    for cap in caps.per_category:
        most = _n(cap.credits)
        found.append(
            (
                f"“{cap.category.value}”类课程最多 {most} 学分",
                f"At most {most} credits into {cap.category.value} courses",
            )
        )
    programme = policy.programme
    residency = _n(programme.total_credits - programme.residency_credits)
    found.append(
        (
            f"在本校修读不少于 {_n(programme.residency_credits)} 学分，即最多认定 {residency} 学分",
            f"At least {_n(programme.residency_credits)} credits must be taken here: at most "
            f"{residency} recognised",
        )
    )
    return found


def _refusals(policy: Policy) -> list[Words]:
    """The engine's own reasons, with this policy's figures where it has them."""
    found: list[Words] = []
    codes = ["no_rule", "level", "grade", "duplicate", "cap"]
    if policy.regions:
        codes.insert(2, "region")
    if policy.institutions:
        codes.insert(2, "institution")
    if policy.max_outcome_age_years is not None:
        codes.insert(1, "too_old")
    years = str(policy.max_outcome_age_years)
    for code in codes:
        zh, en = TEXTS[code]
        found.append((_generic(zh, "zh", years), _generic(en, "en", years)))
    return found


def _generic(text: str, lang: str, years: str) -> str:
    """An engine reason with this policy's figures, and its other parameters named."""
    names = {
        "zh": {
            "date": "（取得日期）",
            "years": years,
            "level": "（层次）",
            "region": "（地区）",
            "institution": "（机构）",
            "grade": "（成绩）",
            "converted": "折算分",
            "minimum": "最低要求",
            "other": "另一成果",
            "cap": "（上限）",
        },
        "en": {
            "date": "(date)",
            "years": years,
            "level": "(level)",
            "region": "(region)",
            "institution": "(institution)",
            "grade": "(grade)",
            "converted": "the",
            "minimum": "the minimum",
            "other": "another outcome",
            "cap": "(a cap)",
        },
    }[lang]
    return text.format_map(names)


def describe(policy: Policy) -> PolicyGuide:
    """The guide to one policy."""
    courses = []
    for course in policy.programme.courses:
        ways = tuple(
            rule_words(rule, course) for rule in policy.rules if course.code in rule.targets
        )
        courses.append(CourseGuide(course, ways, policy.catch_all == course.code))
    return PolicyGuide(
        policy,
        tuple(courses),
        tuple(_conditions(policy)),
        tuple(_caps(policy)),
        tuple(_refusals(policy)),
    )
