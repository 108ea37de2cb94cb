"""The line of a key path in TOML and JSON texts, for validation errors."""

from __future__ import annotations

import json

from creditbank.rules.locate import json_lines, line_of, toml_lines

TOML = """\
id = "x"
[programme]
code = "p"

[[programme.courses]]
code = "A"

[[programme.courses]]
code = "B"
credits = 3

[[case]]
name = "one"

[[case.outcomes]]
id = "o1"

[[case]]
name = "two"
words = { "a" = 1,
  "b" = 2 }
after = 1

[[case.outcomes]]
id = "o2"
"""


def test_toml_paths_count_arrays_of_tables_per_parent() -> None:
    lines = toml_lines(TOML)
    assert lines["programme.code"] == 3
    assert lines["programme.courses.1.credits"] == 10
    assert lines["case.0.outcomes.0.id"] == 16
    assert lines["case.1"] == 18
    assert lines["case.1.outcomes.0.id"] == 25  # a value spanning lines is skipped whole
    assert lines["case.1.after"] == 22
    assert line_of(lines, "case.1.words.b") == 20
    assert line_of(lines, "programme.courses.0.missing") == 5
    assert line_of(lines, "nothing") is None


def test_json_paths() -> None:
    text = json.dumps(
        {"id": "x", "rules": [{"id": "R1"}, {"id": "R2", "min_grade": "y"}]}, indent=2
    )
    lines = json_lines(text)
    assert text.splitlines()[lines["rules.1.min_grade"] - 1].strip() == '"min_grade": "y"'
    assert json_lines("{not json") == {}
