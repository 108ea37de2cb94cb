"""The printed page: an A4 document laid out from a :class:`TranscriptView`.

Page one opens with the issuer, the learner, the validity period and the QR code; the table of
records follows, its header repeated on every page; the totals, a note on verification and the
ledger checkpoint close it. Every page carries a running head after the first and a footer with
the verification code and "第 n 页 / 共 m 页".
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from creditbank.identity.pinyin_names import romanised_name
from creditbank.transcripts.pdf import fonts, labels, qr
from creditbank.transcripts.pdf import formatting as fmt
from creditbank.transcripts.pdf.labels import Language, Words
from creditbank.transcripts.pdf.table import Style, Table
from creditbank.transcripts.view import RecordLine, TranscriptView

MARGIN = 12.0  # mm, left, right and top
BOTTOM = 16.0  # mm kept free for the footer
INK = (20, 20, 20)
GREY = (100, 100, 100)
RULE = (150, 150, 150)
ACCENT = (150, 30, 30)  # the deep red of Chinese official documents, for the title and rules
HEAD_FILL = (232, 232, 232)
STRIPE_FILL = (246, 246, 246)
QR_SIZE = 34.0  # mm, quiet zone included

# Column widths in mm, in the order of labels.COLUMNS; they add up to the 186 mm between margins.
COLUMN_WIDTHS = (13.5, 47.5, 36.0, 11.5, 11.0, 10.0, 10.0, 16.0, 15.0, 15.5)
# Credits, 学时 and the ledger index align right, so their digits line up.
RIGHT_ALIGNED = frozenset({5, 6, 9})
TABLE_SIZE = 6.8  # pt
SMALL = 6.5  # pt


class TranscriptDocument(FPDF):
    """An A4 transcript; :meth:`build` lays out the whole document."""

    def __init__(self, view: TranscriptView, language: Language) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.view = view
        self.language: Language = language
        fonts.register(self)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=BOTTOM)
        self.alias_nb_pages()
        # The same view gives the same bytes: no "now" in the file.
        self.set_creation_date(view.issued_at)
        self.set_title(f"{labels.TITLE.inline(language)} {fonts.printable(view.learner_name)}")
        self.set_author(labels.Words(view.issuer_name_zh, view.issuer_name_en).inline(language))
        self.set_subject(view.credential_id)
        self.set_lang("zh-CN" if language == "zh" else "en")
        self.set_text_color(*INK)

    # -- page furniture ---------------------------------------------------------------------

    def header(self) -> None:
        """Running head on every page after the first, so a loose page still names its owner."""
        if self.page_no() == 1:
            return
        self._font(fonts.SANS, 7.5, GREY)
        head = "  ·  ".join(
            (
                labels.CONTINUED.inline(self.language),
                fonts.printable(self.view.learner_name),
                fonts.printable(self.view.learner_reference),
                self._issuer_lead(),
            )
        )
        self._line(5, head)
        self._rule(ACCENT)
        self.ln(2)

    def footer(self) -> None:
        """Verification code on the left, the page number on the right."""
        self.set_y(-11)
        self._rule(RULE)
        self.ln(1)
        self._font(fonts.SANS, 7, GREY)
        code = f"{labels.CODE.inline(self.language)}: {self.view.verification_code}"
        width = self.epw / 2
        self.cell(width, 4, code, align=Align.L)
        pages = labels.page_number(self.language, str(self.page_no()), self.str_alias_nb_pages)
        self.cell(width, 4, pages, align=Align.R)

    # -- the document -----------------------------------------------------------------------

    def build(self) -> bytes:
        """Lay out every section and return the PDF's bytes."""
        self.add_page()
        self._masthead()
        self._particulars()
        self._records()
        self._closing()
        return bytes(self.output())

    def _masthead(self) -> None:
        view, language = self.view, self.language
        issuer = Words(view.issuer_name_zh, view.issuer_name_en)
        self._font(fonts.SANS, 10.5)
        self._line(5.5, fonts.printable(issuer.lead(language)))
        self._font(fonts.SANS, 8, GREY)
        self._line(4.5, fonts.printable(issuer.second(language)))
        self.ln(2)
        self._font(fonts.SANS, 19, ACCENT)
        self._line(9, labels.TITLE.lead(language), align=Align.C)
        self._font(fonts.SANS, 10.5, ACCENT)
        self._line(5.5, labels.TITLE.second(language), align=Align.C)
        self.ln(2)
        self._rule(ACCENT, width=0.5)
        self.ln(3)

    def _learner_name(self) -> str:
        """The name as the bank holds it; in English followed by its Pinyin (GB/T 28039)."""
        name = fmt.text(self.view.learner_name)
        latin = romanised_name(self.view.learner_name or "") if self.language == "en" else None
        return f"{name} ({latin})" if latin else name

    def _particulars(self) -> None:
        """Who, by whom, when and for how long, beside the QR code."""
        view, language = self.view, self.language
        top = self.get_y()
        qr_x = self.w - MARGIN - QR_SIZE
        qr.draw(self, view.verification_url, x=qr_x, y=top, size=QR_SIZE)
        self.set_xy(qr_x, top + QR_SIZE)
        self._font(fonts.SANS, SMALL, GREY)
        self.multi_cell(QR_SIZE, 3, labels.SCAN.stacked(language), align=Align.C)

        issuer = Words(view.issuer_name_zh, view.issuer_name_en)
        validity = f"{fmt.moment(view.valid_from)} – {fmt.moment(view.valid_until)}"
        rows = (
            (labels.LEARNER, self._learner_name(), 11.0),
            (labels.REFERENCE, fmt.text(view.learner_reference), 9.0),
            (labels.ISSUER, issuer.inline(language), 9.0),
            (labels.ISSUED, fmt.moment(view.issued_at), 9.0),
            (labels.VALIDITY, validity, 9.0),
            (labels.CREDENTIAL, view.credential_id, 8.0),
            (labels.CODE, view.verification_code, 12.0),
        )
        label_width = 42.0
        value_width = qr_x - MARGIN - label_width - 3
        self.set_xy(MARGIN, top)
        for words, value, size in rows:
            y = self.get_y()
            self._font(fonts.SANS, 7.5, GREY)
            self.set_xy(MARGIN, y + 0.6)
            self.cell(label_width, 4, words.inline(language))
            self._font(fonts.SANS, size)
            self.set_xy(MARGIN + label_width, y)
            self.multi_cell(value_width, size * 0.5, fonts.printable(value), align=Align.L)
            self.set_y(max(self.get_y(), y + 5) + 0.6)
        url_y = max(self.get_y(), top + QR_SIZE + 7)
        self.set_xy(MARGIN, url_y)
        self._font(fonts.SANS, SMALL, GREY)
        self.multi_cell(self.epw, 3, fonts.printable(view.verification_url), align=Align.R)
        self.ln(2)

    def _records(self) -> None:
        """The table of records, its header row repeated on every page it spans."""
        language = self.language
        self._font(fonts.SANS, 9)
        count = len(self.view.records)
        items = Words(f"{count} {labels.ITEMS.zh}", f"{count} {labels.ITEMS.en}")
        self._line(6, f"{labels.RECORDS.inline(language)}  ({items.lead(language)})")
        style = Style(
            font=fonts.SANS,
            size_pt=TABLE_SIZE,
            line_height=TABLE_SIZE * 0.45,
            padding=0.9,
            ink=INK,
            rule=RULE,
            head_fill=HEAD_FILL,
            stripe_fill=STRIPE_FILL,
        )
        heading = [fonts.printable_lines(words.stacked(language)) for words in labels.COLUMNS]
        table = Table(self, COLUMN_WIDTHS, heading, style, right_aligned=RIGHT_ALIGNED)
        for line in self.view.records:
            table.row(_cells(line, language))
        view = self.view
        words = labels.TOTAL_EARNED if view.has_transfers else labels.TOTAL
        total = f"{words.inline(language)}  ({items.lead(language)})"
        table.row(
            (total, fmt.number(view.total_credits), fmt.number(view.total_hours), ""),
            spans=(5, 1, 1, 3),
            right=frozenset({0}),
        )
        if view.has_transfers:
            table.row(
                (labels.RECOGNISED.inline(language), fmt.number(view.total_recognised), "", ""),
                spans=(5, 1, 1, 3),
                right=frozenset({0}),
            )

    def _closing(self) -> None:
        """Totals in words, how to verify, and the checkpoint the records were proven against."""
        view, language = self.view, self.language
        if self.will_page_break(34):
            self.add_page()
        self.ln(4)
        self._font(fonts.SANS, 9)
        totals = (
            f"{labels.TOTAL.inline(language)}:  "
            f"{fmt.number(view.total_credits)} {labels.CREDITS.inline(language)}  ·  "
            f"{fmt.number(view.total_hours)} {labels.HOURS.inline(language)}"
        )
        if view.has_transfers:
            totals += (
                f"  ·  {labels.RECOGNISED.inline(language)}:  "
                f"{fmt.number(view.total_recognised)} {labels.CREDITS.inline(language)}"
            )
        self._line(5, totals)
        self.ln(2)
        for text, size in ((labels.NOTE.lead(language), 8.0), (labels.NOTE.second(language), 7.5)):
            self._font(fonts.SANS, size, GREY)
            self.multi_cell(0, size * 0.5, text, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(1)
        self.ln(1)
        self._font(fonts.SANS, 6, GREY)
        checkpoint = (
            f"{labels.CHECKPOINT.inline(language)}: "
            f"{labels.TREE_SIZE.inline(language)} {view.checkpoint_size} · "
            f"{labels.ROOT.inline(language)} {view.checkpoint_root_b64}"
        )
        self.multi_cell(0, 3, fonts.printable(checkpoint), align=Align.L)

    # -- helpers ----------------------------------------------------------------------------

    def _issuer_lead(self) -> str:
        issuer = Words(self.view.issuer_name_zh, self.view.issuer_name_en)
        return fonts.printable(issuer.lead(self.language))

    def _line(self, height: float, text: str, *, align: Align = Align.L) -> None:
        """Text across the page, wrapped if too long; what follows starts below it."""
        self.multi_cell(0, height, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _font(self, family: str, size: float, color: tuple[int, int, int] = INK) -> None:
        self.set_font(family, size=size)
        self.set_text_color(*color)

    def _rule(self, color: tuple[int, int, int], width: float = 0.2) -> None:
        with self.local_context(draw_color=color, line_width=width):
            y = self.get_y()
            self.line(MARGIN, y, self.w - MARGIN, y)


def _cells(line: RecordLine, language: Language) -> tuple[str, ...]:
    """One record as the table's cells, in column order; missing values print as a dash."""

    def value(text: str | None) -> str:
        return fmt.text(None if text is None else fonts.printable(text))

    def both(zh: str | None, en: str | None) -> str:
        # Each name on its own line: line breaks inside a name were made spaces first.
        return Words(value(zh), value(en)).stacked(language)

    def institution() -> str:
        # The source, and the member that posted it under delegation when that differs.
        source = both(line.institution_zh, line.institution_en)
        if line.posted_by_zh is None:
            return source
        poster = Words(
            f"{labels.POSTED_BY.zh} {value(line.posted_by_zh)}",
            f"{labels.POSTED_BY.en} {value(line.posted_by_en or line.posted_by_zh)}",
        )
        return f"{source}\n{poster.stacked(language)}"

    def result() -> str:
        # A grade says little without its scale: 85 on 百分制 is not 85 on anything else.
        if line.result is None or line.result_scale is None:
            return value(line.result)
        return f"{value(line.result)}\n{labels.scale(line.result_scale).lead(language)}"

    kind = labels.kind(line.kind)
    return (
        both(kind.zh, kind.en),
        both(line.name_zh, line.name_en),
        institution(),
        value(level.lead(language) if (level := labels.level(line.level)) else None),
        result(),
        fmt.number(line.credits),
        fmt.number(line.hours),
        value(line.term),
        fmt.day(line.awarded_on),
        str(line.ledger_index),
    )
