"""The rendered transcript read back: A4, text, fonts, QR code, page breaks, odd input."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from decimal import Decimal

import pytest
import zxingcpp

from creditbank.errors import InvalidInput
from creditbank.records.vocabulary import CertificateLevel, CompetitionLevel, Level
from creditbank.transcripts.pdf import labels, render_transcript_pdf
from creditbank.transcripts.view import RecordLine

from . import reading, samples

DASH = "—"


@pytest.fixture(scope="module")
def ten_zh() -> bytes:
    return render_transcript_pdf(samples.view(10), language="zh")


@pytest.fixture(scope="module")
def ten_en() -> bytes:
    return render_transcript_pdf(samples.view(10), language="en")


@pytest.fixture(scope="module")
def long_zh() -> bytes:
    return render_transcript_pdf(samples.view(200))


def _text(data: bytes) -> str:
    """All pages' text, each run of whitespace as one space (PDFium folds spaces anyway)."""
    return re.sub(r"\s+", " ", " ".join(reading.page_texts(data)))


def _squash(text: str) -> str:
    """Text without whitespace: a name wrapped inside its cell reads back with a line break."""
    return re.sub(r"\s+", "", text)


def test_every_page_is_a4_and_the_file_parses(ten_zh: bytes, long_zh: bytes) -> None:
    for data in (ten_zh, long_zh):
        for width, height in reading.page_sizes(data):
            assert width == pytest.approx(reading.A4_POINTS[0], abs=0.1)
            assert height == pytest.approx(reading.A4_POINTS[1], abs=0.1)


def test_the_text_shows_records_totals_learner_and_code(ten_zh: bytes) -> None:
    view = samples.view(10)
    text = _text(ten_zh)
    for line in view.records:
        assert _squash(line.name_zh) in _squash(text)
        if line.name_en is not None:
            # Long English names may wrap inside their cell: compare word by word.
            assert all(word in text for word in line.name_en.split())
    assert view.total_credits == Decimal(22)
    assert view.total_hours == 480
    assert "合计 Total (10 项) 22 480" in text
    assert "合计 Total: 22 学分 credits · 480 学时 hours" in text
    for value in (view.learner_name, view.learner_reference, view.verification_code):
        assert value in text
    assert "成渝地区双城经济圈学分银行" in text and "Chengdu-Chongqing Credit Bank" in text
    # Validity in Beijing time: 08:30 UTC is 16:30 in UTC+8.
    assert "2026-12-02 16:30 (UTC+8) – 2027-03-02 16:30 (UTC+8)" in text
    assert f"条目数 size {view.checkpoint_size}" in text
    assert view.checkpoint_root_b64 in text
    assert "第 1 页 / 共 1 页" in text


def test_the_language_chooses_which_leads(ten_zh: bytes, ten_en: bytes) -> None:
    zh, en = _text(ten_zh), _text(ten_en)
    assert zh.index("学习成果证明") < zh.index("Transcript of Learning Outcomes")
    assert en.index("Transcript of Learning Outcomes") < en.index("学习成果证明")
    assert "姓名 Name" in zh and "Name 姓名" in en
    assert "Page 1 of 1 · 第 1 页 / 共 1 页" in en
    # Each grade with its scale, in the leading language.
    assert "92 百分制" in zh and "92 /100" in en
    # The English transcript gives the learner's name in Pinyin beside the Chinese.
    assert "李明 (Li Ming)" in en and "Li Ming" not in zh


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(InvalidInput, match="language 'fr'"):
        render_transcript_pdf(samples.view(1), language="fr")


def test_the_font_is_embedded_as_a_small_subset(ten_zh: bytes) -> None:
    fonts = reading.embedded_fonts(ten_zh)
    assert fonts, "no fonts found"
    for name, embedded in fonts:
        assert embedded, name
        assert re.fullmatch(r"/[A-Z]{6}\+NotoSansSC", name), name
    # The whole face is 8 MB; the subset for one page is a few tens of kilobytes.
    assert len(ten_zh) < 150_000


def test_the_qr_code_decodes_to_the_verification_url(ten_zh: bytes, ten_en: bytes) -> None:
    for data in (ten_zh, ten_en):
        found = zxingcpp.read_barcodes(reading.render(data, 0, dpi=200))
        assert [(code.format, code.text) for code in found] == [
            (zxingcpp.BarcodeFormat.QRCode, samples.VERIFICATION_URL)
        ]


def test_a_long_transcript_breaks_pages_and_repeats_the_header(long_zh: bytes) -> None:
    pages = reading.page_texts(long_zh)
    assert len(pages) >= 5
    for number, text in enumerate(pages, start=1):
        assert f"第 {number} 页 / 共 {len(pages)} 页" in text
        for label in ("类别", "名称", "机构", "学分", "学时", "账本序号", "Log index"):
            assert label in text, (number, label)
        if number > 1:
            assert "学习成果证明（续）" in text and "李明" in text
    # Every record is on exactly one page: none lost or repeated at a break.
    indices = re.findall(r"\b(\d{4})\b", "\n".join(pages))
    for line in samples.view(200).records:
        assert indices.count(str(line.ledger_index)) == 1, line.ledger_index
    assert "合计 Total (200 项)" in pages[-1]


def test_missing_optional_fields_print_as_a_dash() -> None:
    full = samples.record(0)
    bare = RecordLine(
        kind="course",
        name_zh="数控车床编程",
        name_en=None,
        institution_zh="重庆市工业学校",
        institution_en=None,
        level=None,
        result=None,
        credits=None,
        hours=None,
        term=None,
        awarded_on=None,
        ledger_index=77,
    )
    assert DASH not in _text(render_transcript_pdf(samples.view(0, records=(full,))))
    text = _text(render_transcript_pdf(samples.view(0, records=(bare,))))
    row = text[text.index("数控车床编程") :]
    assert row.count(DASH) >= 8  # English name and institution, level … date
    assert "合计 Total (1 项)" in text


def test_an_empty_transcript_still_renders() -> None:
    text = _text(render_transcript_pdf(samples.view(0)))
    assert "学习成果 Learning outcomes (0 项)" in text
    assert "合计 Total: 0 学分 credits · 0 学时 hours" in text


def test_rare_characters_print_without_crashing(caplog: pytest.LogCaptureFixture) -> None:
    # 𠀀 (CJK Extension B) is not in Noto Sans SC: it prints as 〓, the typesetter's mark for a
    # missing character, rather than an empty box; 々 and 㐀 are in the face and print as they are.
    line = replace(samples.record(0), name_zh="佐々木𠀀㐀课程", name_en="Line\none\x00")
    view = replace(samples.view(0, records=(line,)), learner_name="王𠀀々")
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        text = _text(render_transcript_pdf(view))
    assert "佐々木〓㐀课程" in text
    assert "王〓々" in text
    assert "𠀀" not in text
    assert "Line one" in text
    assert not [record for record in caplog.records if "missing" in record.getMessage()]


def test_the_same_view_gives_the_same_bytes(ten_zh: bytes) -> None:
    assert render_transcript_pdf(samples.view(10), language="zh") == ten_zh


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("learner_reference", "500112200403152312"),
        ("learner_reference", "ID ５００１１２２００４０３１５２３１２"),  # full-width digits
        ("learner_name", "李明 500112200403152312"),
    ],
)
def test_an_identity_number_is_never_printed(field: str, value: str) -> None:
    view = replace(samples.view(1), **{field: value})
    with pytest.raises(InvalidInput, match=f"{field} holds a resident identity number"):
        render_transcript_pdf(view)


def test_a_reference_of_eighteen_digits_that_is_no_identity_number_prints() -> None:
    # Same digits, wrong check character: not an identity number.
    view = replace(samples.view(0), learner_reference="500112200403152313")
    assert "500112200403152313" in _text(render_transcript_pdf(view))


def test_recognised_transfers_are_totalled_apart_and_levels_are_named() -> None:
    view = samples.view(4)
    first = view.records[0]
    transfer = replace(
        first,
        kind="transfer",
        name_zh="电工电子技术",
        name_en="Electrical and Electronic Technology",
        level="gaozhi",
        result=None,
        credits=Decimal(4),
        hours=None,
        term=None,
    )
    with_transfer = replace(view, records=(*view.records, transfer))
    text = _squash(_text(render_transcript_pdf(with_transfer, language="zh")))
    earned = with_transfer.total_credits
    assert earned == view.total_credits and with_transfer.total_recognised == 4
    assert "学分认定Transfer电工电子技术" in text and "高职/专科" in text and "gaozhi" not in text
    assert _squash(f"合计（不含认定学分） Total (without transfers) (5 项) {earned}") in text
    assert _squash("认定转换学分 Credits recognised by transfer 4") in text
    assert _squash(f"合计 Total: {earned} 学分 credits") in text
    assert _squash("认定转换学分 Credits recognised by transfer: 4 学分 credits") in text


def test_every_level_has_words_in_both_languages() -> None:
    for vocabulary in (Level, CertificateLevel, CompetitionLevel):
        for value in vocabulary:
            words = labels.level(value.value)
            assert words is not None and words.zh == value.label("zh")
            assert words.en and len(words.en) <= 11 and words.en != value.value
    assert labels.level("other") == labels.Words("other", "other")
    assert labels.level(None) is None
