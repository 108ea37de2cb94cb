"""The columns of a records file, by their English names or their Chinese headers.

A registry office may head its columns in English (``document_number``) or in Chinese
(``证件号码``), or write both as ``证件号码 (document_number)``; each header is mapped to its
English name before a row is read. The lists below are also what the templates, the README
and the upload page show.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from creditbank.errors import FieldProblem, InvalidInput
from creditbank.records.vocabulary import OutcomeKind


@dataclass(frozen=True)
class ColumnInfo:
    """One column: its English name, its Chinese header, and whether every row needs it."""

    name: str
    zh: str
    required: bool = True


IDENTITY = (
    ColumnInfo("document_kind", "证件类型"),
    ColumnInfo("document_number", "证件号码"),
    ColumnInfo("name", "姓名"),
    ColumnInfo("kind", "成果类别"),
)

BY_KIND: dict[OutcomeKind, tuple[ColumnInfo, ...]] = {
    OutcomeKind.COURSE: (
        ColumnInfo("course_code", "课程代码"),
        ColumnInfo("title_zh", "课程名称"),
        ColumnInfo("title_en", "英文课程名称", required=False),
        ColumnInfo("source_institution", "开课机构代码"),
        ColumnInfo("level", "层次"),
        ColumnInfo("programme", "专业"),
        ColumnInfo("term", "学期"),
        ColumnInfo("hours", "学时"),
        ColumnInfo("credits", "学分"),
        ColumnInfo("grade_scale", "成绩制"),
        ColumnInfo("grade_value", "成绩"),
        ColumnInfo("completed_on", "完成日期"),
        ColumnInfo("attempt", "考试性质", required=False),  # makeup: a 补考 grade
    ),
    OutcomeKind.CERTIFICATE: (
        ColumnInfo("certificate_type", "证书类型"),
        ColumnInfo("title", "证书名称"),
        ColumnInfo("level", "证书等级", required=False),
        ColumnInfo("certificate_number", "证书编号"),
        ColumnInfo("awarding_organisation", "发证机构"),
        ColumnInfo("issued_on", "发证日期"),
        ColumnInfo("expires_on", "有效期至", required=False),
    ),
    OutcomeKind.TRAINING: (
        ColumnInfo("provider", "培训机构"),
        ColumnInfo("title", "培训项目"),
        ColumnInfo("hours", "学时"),
        ColumnInfo("result_scale", "结果制"),
        ColumnInfo("result_value", "培训结果"),
        ColumnInfo("started_on", "开始日期"),
        ColumnInfo("completed_on", "完成日期"),
    ),
    OutcomeKind.AWARD: (
        ColumnInfo("competition", "竞赛名称"),
        ColumnInfo("level", "竞赛级别"),
        ColumnInfo("rank", "奖项等级"),
        ColumnInfo("awarded_on", "获奖日期"),
        ColumnInfo("track", "赛项", required=False),
    ),
}

# Columns of a bad-rows report, which a clerk may correct and upload again as it is.
REPORT = (ColumnInfo("line", "行号"), ColumnInfo("field", "字段"), ColumnInfo("reason", "原因"))
REPORT_NAMES = frozenset(c.name for c in REPORT)


def columns_of(kind: OutcomeKind) -> tuple[ColumnInfo, ...]:
    """The identity columns and those of ``kind``, in template order."""
    return IDENTITY + BY_KIND[kind]


def _aliases() -> dict[str, str]:
    found: dict[str, str] = {}
    for info in (*IDENTITY, *REPORT, *(c for cs in BY_KIND.values() for c in cs)):
        found[info.name] = info.name
        found[info.zh] = info.name
    return found


ALIASES = _aliases()
_BOTH = re.compile(r"(.+?)\s*[(（]\s*([^()（）]+?)\s*[)）]")


def english_name(header: str) -> str:
    """The English name of a header cell, or the header itself (stripped) when unknown."""
    text = header.strip().lstrip("\ufeff")
    if text.lower() in ALIASES:
        return ALIASES[text.lower()]
    if text in ALIASES:
        return ALIASES[text]
    both = _BOTH.fullmatch(text)
    if both:
        for part in both.groups():
            if part in ALIASES or part.lower() in ALIASES:
                return ALIASES.get(part) or ALIASES[part.lower()]
    return text


def english_header(header: Sequence[str]) -> list[str]:
    """Map each header cell to its English name; two cells meaning one column are refused."""
    names = [english_name(cell or "") for cell in header]
    seen: dict[str, str] = {}
    problems: list[FieldProblem] = []
    for raw, name in zip(header, names, strict=True):
        if name and name in seen:
            problems.append(
                FieldProblem(name, f"the columns {seen[name]!r} and {raw!r} both mean {name}")
            )
        seen.setdefault(name, raw)
    missing = [c.name for c in IDENTITY if c.name not in seen]
    problems += [FieldProblem(name, "missing column") for name in missing]
    if problems:
        raise InvalidInput(
            "the header is not usable: " + "; ".join(f"{p.field}: {p.reason}" for p in problems),
            problems=problems,
        )
    return names
