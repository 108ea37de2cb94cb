"""Why a credit was or was not recognised, in Chinese and in English.

A reason is a code and its parameters; the texts are here, in one table, so every decision
the engine makes is explained the same way wherever it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

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
    "waived": ("教务人员 {who} 免修：{why}", "waived by registrar {who}: {why}"),
}


@dataclass(frozen=True)
class Reason:
    """One explanation: a code and its parameters."""

    code: str
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, code: str, **params: Any) -> Reason:
        """Build a reason, checking the code exists."""
        if code not in TEXTS:
            raise KeyError(code)
        return cls(code, tuple(sorted((k, str(v)) for k, v in params.items())))

    def text(self, lang: str = "zh") -> str:
        """The reason as a sentence in ``zh`` or ``en``."""
        zh, en = TEXTS[self.code]
        return (zh if lang == "zh" else en).format(**dict(self.params))

    def to_json(self) -> dict[str, Any]:
        """Code, parameters and both sentences."""
        return dict(_rendered(self))


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
