"""The transcript's words in Chinese and English, and which language leads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from creditbank.labels import label as catalogue_label
from creditbank.records.vocabulary import CertificateLevel, CompetitionLevel, Level, Vocabulary

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")


@dataclass(frozen=True)
class Words:
    """One label in both languages."""

    zh: str
    en: str

    def lead(self, language: Language) -> str:
        """The label in the leading language."""
        return self.zh if language == "zh" else self.en

    def second(self, language: Language) -> str:
        """The label in the other language."""
        return self.en if language == "zh" else self.zh

    def inline(self, language: Language) -> str:
        """Both on one line, the leading language first."""
        return f"{self.lead(language)} {self.second(language)}"

    def stacked(self, language: Language) -> str:
        """Both on two lines, the leading language first."""
        return f"{self.lead(language)}\n{self.second(language)}"


TITLE = Words("学习成果证明", "Transcript of Learning Outcomes")
LEARNER = Words("姓名", "Name")
REFERENCE = Words("学习者参考号", "Learner reference")
ISSUER = Words("签发机构", "Issuer")
POSTED_BY = Words("受托登记", "Posted by")
ISSUED = Words("签发时间", "Issued")
VALIDITY = Words("有效期", "Valid")
CREDENTIAL = Words("凭证编号", "Credential ID")
CODE = Words("在线验证码", "Verification code")
SCAN = Words("扫码在线验证", "Scan to verify online")
RECORDS = Words("学习成果", "Learning outcomes")
TOTAL = Words("合计", "Total")
TOTAL_EARNED = Words("合计（不含认定学分）", "Total (without transfers)")
RECOGNISED = Words("认定转换学分", "Credits recognised by transfer")
ITEMS = Words("项", "records")
CHECKPOINT = Words("账本检查点", "Ledger checkpoint")
TREE_SIZE = Words("条目数", "size")
ROOT = Words("根哈希", "root")
CREDITS = Words("学分", "credits")
HOURS = Words("学时", "hours")
CONTINUED = Words("学习成果证明（续）", "Transcript (continued)")

# Table columns, in order.
COLUMNS = (
    Words("类别", "Kind"),
    Words("名称", "Name"),
    Words("机构", "Institution"),
    Words("层次", "Level"),
    Words("成绩", "Result"),
    Words("学分", "Credits"),
    Words("学时", "Hours"),
    Words("学期", "Term"),
    Words("日期", "Date"),
    Words("账本序号", "Log index"),
)

KINDS = {
    "course": Words("课程", "Course"),
    "certificate": Words("证书", "Certificate"),
    "training": Words("培训", "Training"),
    "award": Words("获奖", "Award"),
    "transfer": Words("学分认定", "Transfer"),
}

NOTE = Words(
    "本证明由签发机构以数字签名签发，每项成果均可证明已记入学分银行的公开账本。"
    "请扫描二维码或输入在线验证码核验；也可用签发机构公布的公钥离线核验电子版。",
    "This transcript is digitally signed by its issuer, and every outcome on it is provably "
    "recorded in the credit bank's public ledger. Scan the QR code or enter the verification "
    "code to check it online; the electronic version can also be verified offline with the "
    "issuer's published keys.",
)


_LEVELS: tuple[type[Vocabulary], ...] = (Level, CertificateLevel, CompetitionLevel)
# The level column is narrow: English labels in the short forms a registry office would print.
_SHORT_EN = {
    "zhongzhi": "Sec. voc.",
    "putong_gaozhong": "High school",
    "gaozhi": "Higher voc.",
    "benke": "Bachelor",
    "chuji": "Elem.",
    "zhongji": "Interm.",
    "gaoji": "Adv.",
    "school": "School",
    "municipal": "City",
    "provincial": "Prov.",
    "national": "National",
}


def level(value: str | None) -> Words | None:
    """The words for an education, certificate or competition level; unknown codes as given."""
    if value is None:
        return None
    for vocabulary in _LEVELS:
        try:
            found = vocabulary(value)
        except ValueError:
            continue
        return Words(found.label("zh"), _SHORT_EN.get(value, found.label("en")))
    return Words(value, value)


# English grade scales short enough for the result column (the catalogue's "percentage",
# "pass/fail" … would break inside the word there).
_SCALE_EN = {
    "percent": "/100",
    "gpa4": "/4",
    "gpa5": "/5",
    "ten_point": "/10",
    "five_level": "5-level",
    "two_level": "P/F",
    "letter": "letter",
    "ects": "ECTS",
}


def scale(value: str) -> Words:
    """The words for a grade scale (百分制 / "/100"); an unknown code as given."""
    return Words(
        catalogue_label(value, "zh", "GradeScale"),
        _SCALE_EN.get(value, catalogue_label(value, "en", "GradeScale")),
    )


def kind(value: str) -> Words:
    """The words for a record kind; an unknown kind prints as given in both languages."""
    return KINDS.get(value, Words(value, value))


def page_number(language: Language, page: str, pages: str) -> str:
    """The page number line, e.g. "第 2 页 / 共 5 页  Page 2 of 5"."""
    words = Words(f"第 {page} 页 / 共 {pages} 页", f"Page {page} of {pages}")
    return f"{words.lead(language)}  ·  {words.second(language)}"
