"""``creditbank import records``: good rows posted once however often it runs; bad rows listed."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from creditbank.cli import main
from creditbank.imports.columns import BY_KIND
from creditbank.imports.records_csv import _outcome_item
from creditbank.records.outcomes import CourseOutcome
from creditbank.records.parsing import parse_outcome
from creditbank.records.vocabulary import Attempt, OutcomeKind
from tests.api.world import resident_id
from tests.conftest import ORIGIN

HEADER = [
    "document_kind",
    "document_number",
    "name",
    "kind",
    "course_code",
    "title_zh",
    "source_institution",
    "level",
    "programme",
    "term",
    "hours",
    "credits",
    "grade_scale",
    "grade_value",
    "completed_on",
    "certificate_type",
    "title",
    "certificate_number",
    "awarding_organisation",
    "issued_on",
]


def _row(**values: str) -> list[str]:
    return [values.get(column, "") for column in HEADER]


def _course(number: str, name: str, **extra: str) -> list[str]:
    values = {
        "document_kind": "resident_id",
        "document_number": number,
        "name": name,
        "kind": "course",
        "course_code": "JX101",
        "title_zh": "机械制图",
        "source_institution": "CQ-GZ-001",
        "level": "gaozhi",
        "programme": "机电一体化技术",
        "term": "2024-2025-1",
        "hours": "64",
        "credits": "4",
        "grade_scale": "percent",
        "grade_value": "88",
        "completed_on": "2025-01-10",
    }
    values.update(extra)
    return _row(**values)


def test_import_twice_posts_good_rows_once_and_reports_bad_lines(tmp_path: Path) -> None:
    runner = CliRunner(
        env={"CREDITBANK_INSTANCE": str(tmp_path / "instance"), "CREDITBANK_LOG_ORIGIN": ORIGIN}
    )

    def run(*args: str) -> str:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        return f"{result.exit_code}|{result.output}"

    assert run("init").startswith("0|")
    assert run(
        "institutions",
        "add",
        "CQ-GZ-001",
        "--name-zh",
        "重庆工程职业技术学院",
        "--name-en",
        "CQVIE",
        "--kind",
        "gaozhi_college",
        "--level",
        "gaozhi",
        "--region",
        "重庆",
    ).startswith("0|registered CQ-GZ-001")
    li, wang = resident_id(sequence="311"), resident_id(sequence="422")
    bad_check = li[:-1] + ("1" if li[-1] != "1" else "2")
    rows = [
        _course(li, "李明"),
        _course(wang, "王芳", course_code="JX102", title_zh="电工基础"),
        _course(bad_check, "赵六"),  # line 4: bad check digit
        _course(li, "李明", grade_value="A+"),  # line 5: not a percent grade
        _row(
            document_kind="resident_id",
            document_number=wang,
            name="王芳",
            kind="certificate",
            certificate_type="one_plus_x",
            title="工业机器人操作与运维",
            certificate_number="X-2025-001",
            awarding_organisation="北京新奥时代科技有限责任公司",
            issued_on="2025-06-30",
        ),  # line 6: no level
    ]
    source = tmp_path / "records.csv"
    with source.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)

    first = run("import", "records", str(source), "--institution", "CQ-GZ-001")
    assert first.startswith("1|") and "5 rows: 2 posted, 0 posted before, 3 bad" in first
    report = list(
        csv.DictReader((tmp_path / "records.errors.csv").read_text("utf-8-sig").splitlines())
    )
    assert {(r["line"], r["field"]) for r in report} == {
        ("4", "document_number"),
        ("5", "grade.value"),
        ("6", "level"),
    }
    second = run("import", "records", str(source), "--institution", "CQ-GZ-001")
    assert "5 rows: 0 posted, 2 posted before, 3 bad" in second
    # The two people got one account each, plus the two records: four entries, and the
    # institution's registration: five. The second run added nothing.
    assert "ok: 5 entries" in run("ledger", "verify")


def test_an_unreadable_file_is_one_clear_line_and_a_failure(tmp_path: Path) -> None:
    runner = CliRunner(
        env={"CREDITBANK_INSTANCE": str(tmp_path / "instance"), "CREDITBANK_LOG_ORIGIN": ORIGIN}
    )

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        return result.exit_code, result.output

    assert run("init")[0] == 0
    registered = run(
        "institutions",
        "add",
        "CQ-GZ-001",
        "--name-zh",
        "重庆工程职业技术学院",
        "--name-en",
        "CQVIE",
        "--kind",
        "gaozhi_college",
        "--level",
        "gaozhi",
        "--region",
        "重庆",
    )
    assert registered[0] == 0
    huge = tmp_path / "huge.csv"
    with huge.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerow(_course(resident_id(sequence="311"), "李明", title_zh="图" * 140_000))
    status, output = run("import", "records", str(huge), "--institution", "CQ-GZ-001")
    assert status != 0
    assert output.startswith("error: line ") and "cannot be read as CSV" in output
    assert len(output.splitlines()) == 1 and "Traceback" not in output
    latin = tmp_path / "latin.csv"
    latin.write_bytes(",".join(HEADER).encode() + b"\n\xe9\n")
    status, output = run("import", "records", str(latin), "--institution", "CQ-GZ-001")
    assert status != 0 and output.startswith("error: latin.csv is not UTF-8")
    assert "ok: 1 entries" in run("ledger", "verify")[1]  # the registration alone


def test_a_name_unlike_the_accounts_is_a_bad_row_and_nothing_of_it_is_posted(
    tmp_path: Path,
) -> None:
    runner = CliRunner(
        env={"CREDITBANK_INSTANCE": str(tmp_path / "instance"), "CREDITBANK_LOG_ORIGIN": ORIGIN}
    )

    def run(*args: str) -> str:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        return f"{result.exit_code}|{result.output}"

    def write(name: str, rows: list[list[str]]) -> str:
        path = tmp_path / name
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            writer.writerows(rows)
        return str(path)

    run("init")
    run(
        "institutions", "add", "CQ-GZ-001", "--name-zh", "重庆工程职业技术学院",
        "--name-en", "CQVIE", "--kind", "gaozhi_college", "--level", "gaozhi", "--region", "重庆",
    )  # fmt: skip
    li, wang = resident_id(sequence="311"), resident_id(sequence="422")
    first = run(
        "import", "records", write("a.csv", [_course(li, "李明")]), "--institution", "CQ-GZ-001"
    )
    assert "1 rows: 1 posted" in first
    later = write(
        "b.csv",
        [
            _course(li, "李四", course_code="JX102", title_zh="电工基础"),  # line 2: not his name
            _course(wang, "王芳"),
            _course(resident_id(sequence="533"), "赵六"),
            _course(resident_id(sequence="533"), "赵七", course_code="JX103"),  # line 5
        ],
    )
    second = run("import", "records", later, "--institution", "CQ-GZ-001")
    assert "4 rows: 2 posted, 0 posted before, 2 bad" in second
    report = list(csv.DictReader((tmp_path / "b.errors.csv").read_text("utf-8-sig").splitlines()))
    assert [(r["line"], r["field"]) for r in report] == [("2", "name"), ("5", "name")]
    assert "李明" not in (tmp_path / "b.errors.csv").read_text("utf-8")


def test_a_course_row_may_say_its_grade_is_a_makeup() -> None:
    def outcome(attempt: str) -> CourseOutcome:
        cells = dict(zip([*HEADER, "attempt"], [*_course("x", "李明"), attempt], strict=True))
        read = parse_outcome(_outcome_item(cells), today=date(2026, 1, 1))
        assert isinstance(read, CourseOutcome)
        return read

    assert outcome("makeup").attempt is Attempt.MAKEUP
    assert outcome("").attempt is Attempt.REGULAR  # a blank cell: the regular exam
    assert "attempt" in {c.name for c in BY_KIND[OutcomeKind.COURSE] if not c.required}
