"""Why a credit was or was not recognised, in Chinese and in English.

A reason is a code and its parameters; the texts are here, in one table, so every decision
the engine makes is explained the same way wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from creditbank.labels import Lang, label

TEXTS: dict[str, tuple[str, str]] = {
    "recognised": ("按规则 {rule} 认定", "recognised by rule {rule}"),
    "catch_all": ("超出部分计入 {course}", "excess credits go to {course}"),
    "no_rule": ("没有适用于该成果的规则", "no rule applies to this outcome"),
    "no_source": ("没有满足规则 {rule} 的成果", "no outcome satisfies rule {rule}"),
    "too_old": (
        "成果取得于 {date}，超过 {years} 年有效期",
        "earned on {date}, older than {years} years",
    ),
    "level": (
        "来源层次 {level} 不在本政策范围内",
        "source level {level} is not covered by this policy",
    ),
    "institution": (
        "来源机构 {institution} 不在认可名单内",
        "source institution {institution} is not accepted",
    ),
    "region": ("来源地区 {region} 不在认可范围内", "source region {region} is not accepted"),
    "grade": (
        "成绩 {grade}（折合 {converted}）低于 {minimum}",
        "grade {grade} ({converted} converted) is below {minimum}",
    ),
    "makeup": (
        "补考成绩 {grade} 按政策不予认定",
        "a make-up exam (补考) grade, {grade}, is not recognised by this policy",
    ),
    "makeup_grade": (
        "补考成绩 {grade} 按 {counted} 计，低于 {minimum}",
        "a make-up exam (补考) grade, {grade}, counts as {counted}, below {minimum}",
    ),
    "no_conversion": (
        "政策未给出 {scale} 的成绩换算",
        "the policy gives no conversion for {scale}",
    ),
    "cert_level": (
        "证书等级 {level} 低于要求的 {minimum}",
        "certificate level {level} is below the required {minimum}",
    ),
    "duplicate": (
        "与成果 {other} 为同一课程，只计一次",
        "the same course as {other}: counted once",
    ),
    "outcome_used": ("成果已用于规则 {rule}", "the outcome is already used by rule {rule}"),
    "target_filled": (
        "课程 {course} 已由规则 {rule} 认定",
        "course {course} is already filled by rule {rule}",
    ),
    "cap": ("超出上限：{cap}", "over the cap: {cap}"),
    "not_effective": ("政策在 {date} 不生效", "the policy is not in effect on {date}"),
    "unfilled": ("尚需修读", "still to be taken"),
    "zero_credits": (
        "按 {hours} 学时折算不足最小学分单位",
        "{hours} hours give less than one credit step",
    ),
    "forced": ("教务人员 {who} 强制认定：{why}", "forced by registrar {who}: {why}"),
    "forced_parts": (
        "教务人员 {who} 强制认定的部分学分与规则 {rule} 的部分学分累加：{why}",
        "credits forced by registrar {who} add up with rule {rule}'s parts: {why}",
    ),
    "excluded": (
        "教务人员 {who} 将该成果排除在本次认定之外：{why}",
        "excluded from this evaluation by registrar {who}: {why}",
    ),
    "registrar_cap": (
        "超出教务人员 {who} 为该学习者设定的上限 {cap}：{why}",
        "over the cap {cap} registrar {who} set for this learner: {why}",
    ),
    "residency_cap": (
        "超出驻校修读要求允许转入的学分：{cap}",
        "over what the residency requirement lets transfer: {cap}",
    ),
    "category_cap": ("超出课程类别上限：{cap}", "over the course category cap: {cap}"),
    "expired": ("证书已于 {date} 过期", "the certificate expired on {date}"),
    "lower_level": (
        "同一证书已持有更高等级（成果 {other}），{level} 不再计入",
        "the same certificate is held at a higher level ({other}); {level} does not count",
    ),
    "same_track": (
        "同一赛项已有更高奖项（成果 {other}），只计一次",
        "the same track has a better prize ({other}): counted once",
    ),
    "same_part": (
        "与成果 {other} 同名，只累计一次",
        "the same title as {other}: its part counts once",
    ),
    "parts_enough": (
        "课程 {course} 已由其他部分学分累计满足",
        "course {course} is already filled by other parts",
    ),
    "below_fill": (
        "累计 {amount} 未达到课程 {course} 的认定标准 {fill_at}",
        "the parts add up to {amount}, short of {fill_at} for course {course}",
    ),
    "gate_unmet": (
        "未满足前提条件「{zh}」，规则不适用",
        'the precondition "{en}" is not met, so the rules do not apply',
    ),
    "short_hours": (
        "来源课程 {hours} 学时，少于要求的 {required} 学时",
        "the source has {hours} hours, fewer than the required {required}",
    ),
    "short_credits": (
        "来源课程 {credits} 学分，少于要求的 {required} 学分",
        "the source has {credits} credits, fewer than the required {required}",
    ),
    "no_agreement": (
        "来源机构 {institution} 不在规则所列合作协议内",
        "source institution {institution} is under none of the rule's partner agreements",
    ),
    "agreement_dates": (
        "成果取得于 {date}，不在机构 {institution} 合作协议的有效期内",
        "earned on {date}, outside the dates of {institution}'s partner agreement",
    ),
    "competition": (
        "竞赛 {competition} 不在规则所列竞赛内",
        "competition {competition} is not one the rule names",
    ),
    "competition_tier": (
        "竞赛 {competition} 不属于 {tier} 类竞赛",
        "competition {competition} is not of tier {tier}",
    ),
    "unrelated_track": (
        "赛项 {track} 与所免课程无关",
        "track {track} is unrelated to the course",
    ),
    "award_level": (
        "竞赛级别 {level} 低于要求的 {minimum}",
        "competition level {level} is below the required {minimum}",
    ),
    "award_rank": ("奖项 {rank} 不在规则认可范围内", "prize {rank} is not one the rule accepts"),
    "waived": ("教务人员 {who} 免修：{why}", "waived by registrar {who}: {why}"),
}


@dataclass(frozen=True)
class Reason:
    """One explanation: a code and its parameters."""

    code: str
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, code: str, **params: Any) -> Reason:
        """Build a reason, checking the code exists (equal reasons are one shared instance)."""
        items = tuple(sorted(params.items()))
        try:
            return _reason(code, items)
        except TypeError:  # an unhashable parameter: built afresh
            return _build(code, items)

    def text(self, lang: str = "zh") -> str:
        """The reason as a sentence in ``zh`` or ``en``."""
        zh, en = TEXTS[self.code]
        return (zh if lang == "zh" else en).format(**dict(self.params))

    def to_json(self) -> dict[str, Any]:
        """Code, parameters and both sentences (a new dict; its ``params`` is shared: read it)."""
        return dict(self._rendered)

    @cached_property
    def _rendered(self) -> dict[str, Any]:
        # Rendered once per instance: Reason.of shares instances, so once per distinct reason.
        return dict(_rendered(self))


# Params that hold a code, by reason: the vocabulary whose words replace them for a reader.
_CODED: dict[str, dict[str, str]] = {
    "level": {"level": "Level"},
    "cert_level": {"level": "CertificateLevel", "minimum": "CertificateLevel"},
    "lower_level": {"level": "CertificateLevel"},
    "award_level": {"level": "CompetitionLevel", "minimum": "CompetitionLevel"},
    "award_rank": {"rank": "AwardRank"},
    "no_conversion": {"scale": "GradeScale"},
    "region": {"region": "Region"},
}


def worded(reason: Mapping[str, Any], lang: str = "zh") -> str:
    """A reason (as :meth:`Reason.to_json` gives it) for a reader: its codes in words.

    The sentences inside a result are part of what its hash covers, so they keep the codes as
    the engine wrote them; pages and files for people say them with this instead.
    """
    code = str(reason.get("code", ""))
    if code not in TEXTS:
        return str(reason.get(lang) or reason.get("zh") or code)
    language: Lang = "en" if lang == "en" else "zh"
    coded = _CODED.get(code, {})
    params = {
        name: label(str(value), language, coded[name]) if name in coded else value
        for name, value in dict(reason.get("params") or {}).items()
    }
    zh, en = TEXTS[code]
    try:
        return (en if language == "en" else zh).format(**params)
    except (KeyError, IndexError):
        return str(reason.get(language) or code)


def _build(code: str, items: tuple[tuple[str, Any], ...]) -> Reason:
    if code not in TEXTS:
        raise KeyError(code)
    return Reason(code, tuple((k, str(v)) for k, v in items))


_reason = lru_cache(maxsize=65536)(_build)  # the same reasons recur across a cohort


@lru_cache(maxsize=16384)  # the same reasons recur across a cohort: render each once
def _rendered(reason: Reason) -> tuple[tuple[str, Any], ...]:
    return (
        ("code", reason.code),
        ("params", dict(reason.params)),
        ("zh", reason.text("zh")),
        ("en", reason.text("en")),
    )


@lru_cache(maxsize=4096)
def no_source(rule_id: str) -> Reason:
    """The no_source reason of a rule (asked for every rule of every evaluation: cached)."""
    return Reason.of("no_source", rule=rule_id)
