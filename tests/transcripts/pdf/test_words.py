"""The printed transcript says every code in words: no vocabulary value stands raw on it."""

from __future__ import annotations

import pytest

from creditbank.transcripts.pdf import render_transcript_pdf
from tests.web.browser import audit

from . import reading, samples


@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_internal_code_is_printed(language: str) -> None:
    pdf = render_transcript_pdf(samples.view(10), language=language)  # type: ignore[arg-type]
    text = " ".join(reading.page_texts(pdf))
    assert text.strip()
    # Both languages print both texts, so only codes no English reader would take for words
    # (snake_case, dotted, pinyin) are looked for.
    assert audit.codes_in(text, "en") == []


def test_the_check_reads_the_printed_text() -> None:
    assert audit.codes_in("层次 gaozhi · Level gaozhi", "en") != []
