"""Why a row was refused, in Chinese for a Chinese reader.

The checks that refuse a row (documents, outcomes, grades, the text policy) word their
reasons in English, with the offending values in them; a registry clerk reading Chinese gets
the same reason in Chinese. Each pattern below keeps the values it matched; a reason no
pattern knows is shown as it is, never dropped.
"""

from __future__ import annotations

import re
from typing import Literal

from creditbank.imports.columns import ALIASES, BY_KIND, IDENTITY, REPORT

Lang = Literal["zh", "en"]

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), zh)
    for pattern, zh in (
        (r"Missing data for required field\.", "必填，不能为空"),
        (r"missing column", "缺少此列"),
        (r"is empty", "不能为空"),
        (r"Unknown field\.", "不是此类成果的字段（列名有误或多余）"),
        (r"Not a valid integer\.", "应为整数"),
        (r"must be a decimal number", "应为数字（可带小数）"),
        (r"must be a date written YYYY-MM-DD", "日期应写作 YYYY-MM-DD，例如 2025-06-30"),
        (r"(?:must be one of|Must be one of:) (.+?)\.?", r"应为以下之一：\1"),
        (r"must be (\d+) characters, got (\d+)", r"应为 \1 位，实际 \2 位"),
        (r"(\S+) is in the future \(today is (\S+)\)", r"\1 晚于今天（\2）"),
        (r"must look like 2024-2025-1 .*", "学期应写作 2024-2025-1（学年-学期，学期为 1 或 2）"),
        (r"must be an institution code: .*", "应为机构代码：2–32 位大写字母、数字或连字符"),
        (r"'(.*)' is not a number; (.*)", r"“\1”不是数字；\2"),
        (r"must be between (\S+) and (\S+)", r"应在 \1 到 \2 之间"),
        (r"must be after (\S+)", r"应晚于 \1"),
        (r"must not be before (\S+)", r"不应早于 \1"),
        (r"the row has more cells than the header", "此行的单元格多于表头的列"),
        (
            r"Excel stored this as a number and lost digits: .*",
            "Excel 把它存成了数字，位数已丢失：请把该列设为“文本”格式后重新填写",
        ),
        (r"the columns '(.*)' and '(.*)' both mean (\S+)", r"“\1”和“\2”两列含义相同（\3）"),
        (r"check digit is (\S+), expected (\S+)", r"校验位为 \1，应为 \2（号码有误）"),
        (r"the first 17 characters must be digits", "前 17 位应为数字"),
        (r"birth date (\S+) is not a date", r"出生日期 \1 不是有效日期"),
        (r"birth date (\S+) is in the future", r"出生日期 \1 晚于今天"),
    )
)


def reason_in(lang: Lang, reason: str) -> str:
    """``reason`` in ``lang``: English as written, Chinese when a pattern knows it."""
    if lang == "en":
        return reason
    for pattern, zh in _PATTERNS:
        found = pattern.fullmatch(reason)
        if found:
            return found.expand(zh)
    return reason


_ZH = {
    info.name: info.zh for info in (*IDENTITY, *REPORT, *(c for cs in BY_KIND.values() for c in cs))
}
# Columns whose Chinese header differs by outcome kind.
_ZH.update({"level": "层次/等级", "title": "名称", "file": "文件"})


def column_in(lang: Lang, field: str) -> str:
    """A column as the reader calls it: its Chinese header in Chinese (``grade.value`` → 成绩)."""
    if lang == "en":
        return field
    flat = field.replace(".", "_")
    name = ALIASES.get(flat, flat)
    return _ZH.get(name, field)
