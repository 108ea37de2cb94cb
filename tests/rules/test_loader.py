"""Malformed policy files are refused with the file and the key path named."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from creditbank.rules.loader import (
    PolicyError,
    load_folder,
    load_policies,
    parse_policy,
    policy_set_hash,
)

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"

SOURCE = (
    Path(__file__).resolve().parents[2] / "policies" / "cq-3plus2-industrial-robotics.toml"
).read_text(encoding="utf-8")


def _problems(text: str) -> set[str]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "broken.toml")
    assert caught.value.detail.startswith("broken.toml: ")
    return {problem.field for problem in caught.value.problems}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (('pathway = "3+2"', 'pathway = "3+2"\nsurprise = 1'), "broken.toml:surprise"),
        (('kind = "training"', 'kind = "apprenticeship"'), "broken.toml:rules.5.kind"),
        (('targets = ["GZ-SJ302"]', 'targets = ["GZ-NOPE"]'), "broken.toml:rules.6.targets"),
        (
            ("[grade_conversion.gpa4]", "[grade_conversion.gpa9]"),
            "broken.toml:grade_conversion.gpa9.key",
        ),
        (('"良好" = 85', '"很好" = 85'), "broken.toml:grade_conversion.five_level.words.很好"),
        (('min_level = "zhongji"', 'min_level = "expert"'), "broken.toml:rules.4.min_level"),
        (
            ("hours_per_credit = 16", "hours_per_credit = 16\nranks = []"),
            "broken.toml:rules.5.ranks",
        ),
        (('catch_all = "GZ-XX900"', 'catch_all = "GZ-XX999"'), "broken.toml:catch_all"),
        (('category = "实践"', 'category = "其他"'), "broken.toml:programme.courses.6.category"),
        (
            ("total_fraction = 0.25", "total_fraction = 0.25\ntotal_credits = 30"),
            "broken.toml:caps",
        ),
        (('id = "R02"', 'id = "R01"'), "broken.toml:rules"),
        (('version = "2026.1"', ""), "broken.toml:version"),
    ],
)
def test_each_mistake_is_named(change: tuple[str, str], field: str) -> None:
    old, new = change
    assert old in SOURCE
    assert field in _problems(SOURCE.replace(old, new, 1))


def test_not_toml_at_all() -> None:
    assert "broken.toml:" in _problems("id = [unclosed")


def test_hash_follows_content_not_formatting() -> None:
    original = parse_policy(SOURCE, "a.toml")
    reformatted = parse_policy(
        SOURCE.replace("credits = 4\n", "credits    =    4  # four\n"), "b.toml"
    )
    changed = parse_policy(
        SOURCE.replace("hours_per_credit = 16", "hours_per_credit = 18"), "c.toml"
    )
    assert original.content_hash == reformatted.content_hash != changed.content_hash
    assert policy_set_hash([original]) != policy_set_hash([changed])


def test_the_same_policy_as_json_hashes_as_its_toml() -> None:
    text = (POLICIES_DIR / "cq-five-year-computer-applications.toml").read_text(encoding="utf-8")
    as_json = json.dumps(tomllib.loads(text), ensure_ascii=False, default=str)
    assert (
        parse_policy(as_json, "v.json", "json").content_hash
        == parse_policy(text, "v.toml").content_hash
    )


def test_a_bad_file_and_a_repeated_version_are_quarantined_the_others_load(
    tmp_path: Path,
) -> None:
    good = (POLICIES_DIR / "cq-five-year-computer-applications.toml").read_text(encoding="utf-8")
    (tmp_path / "a.toml").write_text(good, encoding="utf-8")
    (tmp_path / "b.toml").write_text(
        good.replace("max_outcome_age_years = 5", ""), encoding="utf-8"
    )
    (tmp_path / "c.toml").write_text(
        good.replace('version = "2026.1"', "version = 3"), encoding="utf-8"
    )
    (tmp_path / "a.cases.toml").write_text("not read here", encoding="utf-8")
    folder = load_folder(tmp_path)
    assert [item.path.name for item in folder.loaded] == ["a.toml"]
    found = {q.source: q.problems for q in folder.quarantined}
    assert "is also in a.toml" in found["b.toml"][0].reason
    assert found["c.toml"][0].field == "c.toml:version"
    assert found["c.toml"][0].line == 1 + good.splitlines().index('version = "2026.1"')
    with pytest.raises(PolicyError):
        load_policies(tmp_path)
