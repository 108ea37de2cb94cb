"""Identity documents: 居民身份证 (GB 11643 check digit), passports and 港澳台 permits.

Numbers are normalised (spaces removed, full-width folded, upper case) before they are
validated, sealed or hashed, so the same document always finds the same account.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from creditbank.errors import FieldProblem, InvalidInput

# GB 11643-1999: ISO 7064 MOD 11-2 over the first 17 digits.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# Province-level codes of mainland resident ID numbers (first two digits of the address code).
PROVINCES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65}
)
# 港澳台居民居住证 use these address codes (Hong Kong, Macao, Taiwan).
HMT_ADDRESS_CODES = frozenset({"810000", "820000", "830000"})
EARLIEST_BIRTH = date(1900, 1, 1)


class DocumentKind(StrEnum):
    """The identity documents an account can be opened with."""

    RESIDENT_ID = "resident_id"  # 居民身份证
    PASSPORT = "passport"  # 护照
    HK_MACAO_PERMIT = "hk_macao_permit"  # 港澳居民来往内地通行证
    TAIWAN_PERMIT = "taiwan_permit"  # 台湾居民来往大陆通行证
    HMT_RESIDENCE_PERMIT = "hmt_residence_permit"  # 港澳台居民居住证


def check_digit(first17: str) -> str:
    """The GB 11643 check character for 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def normalise(number: str) -> str:
    """Fold full-width characters, drop spaces and hyphens, upper-case."""
    folded = unicodedata.normalize("NFKC", number)
    return re.sub(r"[\s\-]", "", folded).upper()


def _bad(reason: str, field: str = "document_number") -> InvalidInput:
    return InvalidInput(f"{field}: {reason}", problems=[FieldProblem(field, reason)])


@dataclass(frozen=True)
class IdentityDocument:
    """A validated, normalised document."""

    kind: DocumentKind
    number: str
    country: str | None = None
    birth_date: date | None = None
    sex: str | None = None  # "male" / "female", from the 18-character numbers

    def lookup_material(self) -> bytes:
        """The bytes that identify the person, for the keyed-hash account lookup."""
        return f"{self.kind.value}|{self.country or ''}|{self.number}".encode()

    def mask(self) -> str:
        """The number with all but its first and last four characters hidden."""
        hidden = max(len(self.number) - 8, 0)
        return (
            self.number[:4] + "*" * hidden + self.number[-4:] if hidden else "*" * len(self.number)
        )


def _eighteen(number: str, today: date, *, hmt: bool) -> tuple[date, str]:
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise _bad(f"must be 17 digits and a digit or X, got {len(number)} characters")
    address = number[:6]
    if hmt:
        if address not in HMT_ADDRESS_CODES:
            raise _bad("a 港澳台居民居住证 number starts with 810000, 820000 or 830000")
    elif int(address[:2]) not in PROVINCES:
        raise _bad(f"address code {address} names no province")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise _bad(f"birth date {number[6:14]} is not a date") from None
    if born > today:
        raise _bad(f"birth date {born.isoformat()} is in the future")
    if born < EARLIEST_BIRTH:
        raise _bad(f"birth date {born.isoformat()} is before 1900")
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise _bad(f"check digit is {number[17]}, expected {expected}")
    return born, "male" if int(number[16]) % 2 else "female"


def parse_document(
    kind: str, number: str, *, today: date, country: str | None = None
) -> IdentityDocument:
    """Validate and normalise a document; InvalidInput names the field and the reason."""
    try:
        document_kind = DocumentKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in DocumentKind)
        raise _bad(f"must be one of {allowed}", "document_kind") from None
    value = normalise(number)
    if document_kind in (DocumentKind.RESIDENT_ID, DocumentKind.HMT_RESIDENCE_PERMIT):
        hmt = document_kind is DocumentKind.HMT_RESIDENCE_PERMIT
        born, sex = _eighteen(value, today, hmt=hmt)
        return IdentityDocument(document_kind, value, "CHN", born, sex)
    if document_kind is DocumentKind.PASSPORT:
        if not re.fullmatch(r"[A-Z0-9]{5,20}", value):
            raise _bad("a passport number is 5-20 letters and digits")
        if country is None or not re.fullmatch(r"[A-Z]{3}", country):
            raise _bad("a passport needs its ISO 3166-1 alpha-3 issuing country", "country")
        return IdentityDocument(document_kind, value, country)
    if document_kind is DocumentKind.HK_MACAO_PERMIT:
        # Current cards: H or M and 8 digits (older booklets added a 2-digit issue number).
        if not re.fullmatch(r"[HM][0-9]{8}([0-9]{2})?", value):
            raise _bad("a 港澳居民来往内地通行证 number is H or M and 8 (or 10) digits")
        return IdentityDocument(document_kind, value[:9])
    if not re.fullmatch(r"[0-9]{8}", value):
        raise _bad("a 台湾居民来往大陆通行证 number is 8 digits")
    return IdentityDocument(document_kind, value)
