"""The words for codes: every vocabulary of the code, member by member, in zh and en."""

from __future__ import annotations

import enum
from pathlib import Path

import pytest

from creditbank import labels
from creditbank.config import Settings
from creditbank.institutions.clients import KeyStatus
from creditbank.notices.kinds import NoticeKind, words
from creditbank.records.vocabulary import Level
from creditbank.rules.reasons import Reason, worded
from creditbank.wiring import Services, scheduled_jobs
from tests.web.browser.audit import enums


def _needs_words(vocabulary: type[enum.StrEnum]) -> bool:
    # A vocabulary whose codes are Chinese words already (a policy's course categories).
    return all(str(member).isascii() for member in vocabulary)


def test_every_vocabulary_of_the_code_is_labelled_member_by_member() -> None:
    found = [v for v in enums() if _needs_words(v)]
    assert len(found) >= 20  # the walk found the vocabularies, not an empty list
    missing = [
        f"{vocabulary.__name__}.{member.name}"
        for vocabulary in found
        for member in vocabulary
        if not labels.has_label(member)
    ]
    assert missing == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_label_is_empty_or_the_code_itself_in_chinese(lang: labels.Lang) -> None:
    for vocabulary, entries in labels.CATALOGUE.items():
        for code in entries:
            words_ = labels.label(code, lang, vocabulary)
            assert words_.strip(), (vocabulary, code)
            if lang == "zh":
                assert words_ != code, (vocabulary, code)


def test_a_label_is_read_by_member_or_by_code_and_vocabulary() -> None:
    assert labels.label(Level.GAOZHI, "zh") == Level.GAOZHI.label("zh") == "高职/专科"
    assert labels.label(KeyStatus.PENDING, "en") == "pending acceptance"
    assert labels.label("one_plus_x", "en", "CertificateType").startswith("1+X")
    assert labels.label("unheard_of", "zh", "Role") == "unheard_of"
    assert labels.label(None) == "—"


def test_every_scheduled_job_has_a_title(tmp_path: Path) -> None:
    settings = Settings(instance_path=tmp_path, database_url="sqlite://")

    def unopened() -> Services:
        raise AssertionError("listing the jobs opens nothing")

    names = [spec.name for spec in scheduled_jobs(settings, unopened)]
    assert names
    assert [n for n in names if not labels.has_label(n, "Job")] == []


def test_notices_and_reasons_say_codes_in_words() -> None:
    _, body = words(NoticeKind.KEY_ISSUED, {"key_id": "k1", "role": "poster", "label": "x"}, "en")
    assert (
        "role poster" in body
        and "登记员"
        in words(NoticeKind.KEY_ISSUED, {"key_id": "k1", "role": "poster", "label": "x"}, "zh")[1]
    )
    reason = Reason.of("cert_level", level="chuji", minimum="zhongji").to_json()
    assert worded(reason, "zh") == "证书等级 初级 低于要求的 中级"
    assert worded(reason, "en") == "certificate level elementary is below the required intermediate"
    # The sentence inside the result (which its hash covers) keeps what the engine wrote.
    assert reason["zh"] == "证书等级 chuji 低于要求的 zhongji"
