"""The console's cohort download: worded headers, names where readable, nothing runnable."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from creditbank.cohorts.service import HEADER, NO_CONSENT
from creditbank.web.cohort_file import people_file

RESULTS = (
    ",".join(HEADER)
    + "\n"
    + "learner-a,12.0,8.0,C101 C102,abc,\n"
    + f"learner-b,,,,,{NO_CONSENT}\n"
    + "learner-c,3.0,17.0,C101,def,\n"
)


def _names(known: dict[str, str]) -> Callable[[set[str]], dict[str, str | None]]:
    """A name lookup that also checks it is asked only for the file's learners."""

    def names_of(ids: set[str]) -> dict[str, str | None]:
        assert ids == {"learner-a", "learner-b", "learner-c"}
        return {i: known[i] for i in ids if i in known}

    return names_of


def _rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_headers_in_words_and_names_of_readable_learners_only() -> None:
    rows = _rows(people_file(RESULTS, _names({"learner-a": "李明"}), "zh").body)
    assert rows[0] == [
        "学习者编号",
        "姓名",
        "已认定学分",
        "尚需学分",
        "尚缺课程",
        "结果哈希",
        "未评估原因",
    ]
    assert rows[1] == ["learner-a", "李明", "12.0", "8.0", "C101 C102", "abc", ""]
    assert rows[2][:2] == ["learner-b", ""] and rows[2][-1] == "评估时该学习者未授权本机构评估"
    assert rows[3][:2] == ["learner-c", ""]  # no read consent: no name


def test_english_headers_and_reason() -> None:
    rows = _rows(people_file(RESULTS, _names({}), "en").body)
    assert rows[0][:3] == ["learner id", "name", "recognised credits"]
    assert rows[2][-1] == "no evaluate consent for this institution"


def test_a_name_cannot_run_as_a_formula() -> None:
    rows = _rows(people_file(RESULTS, _names({"learner-a": "=HYPERLINK(1)"}), "en").body)
    assert not rows[1][1].startswith("=")
