"""Identity documents as small immutable values: 居民身份证, passports and the 港澳台 documents.

A number is normalised (surrounding and inner white space removed, full-width characters
folded to half-width, letters upper-cased) before it is checked, so every way of writing the
same document gives the same :class:`IdentityDocument`, the same lookup material and so the
same account. Numbers with a lifetime part and an issue count (older 回乡证 and 台胞证) are
reduced to the lifetime part, because a renewed document must still find its account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from creditbank.errors import FieldProblem, InvalidInput

NUMBER_FIELD = "document_number"
KIND_FIELD = "document_kind"
COUNTRY_FIELD = "document_country"

# Every document kind but the passport is issued by the People's Republic of China.
ISSUED_IN_CHINA = "CHN"

# GB 11643-1999 check character: ISO 7064 MOD 11-2 over the first 17 digits. Weight i is
# 2**(17 - i) mod 11; the check character makes the weighted sum of all 18 equal 1 mod 11.
CHECK_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"  # indexed by (weighted sum of the 17 digits) mod 11

# First two digits of the address code (GB/T 2260 province-level divisions) that 居民身份证
# numbers are issued under. 71 (台湾), 81 (香港) and 82 (澳门) are province-level codes too,
# but no 居民身份证 carries them: their residents hold a 港澳台居民居住证 (810000, 820000 and
# 830000), which is its own document kind, so that one person does not get two accounts.
_PROVINCE_RANGES = ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65))
PROVINCES = frozenset(code for low, high in _PROVINCE_RANGES for code in range(low, high + 1))
RESIDENCE_PERMIT_ADDRESS_CODES = {
    "810000": "Hong Kong",
    "820000": "Macao",
    "830000": "Taiwan",
}
EARLIEST_BIRTH_DATE = date(1900, 1, 1)

_DIGITS17 = re.compile(r"[0-9]{17}")
_PASSPORT = re.compile(r"[A-Z0-9]{5,20}")
_COUNTRY = re.compile(r"[A-Z]{3}")
# 港澳居民来往内地通行证: H (Hong Kong) or M (Macao) and the 8-digit lifetime number; the
# 1999 card added a 2-digit issue count (00, 01, ...) that changes on every renewal.
_HK_MACAO = re.compile(r"([HM][0-9]{8})(?:[0-9]{2})?")
# 台湾居民来往大陆通行证: the 8-digit lifetime number; booklets issued before September 2008
# added a 2-digit issue count, often followed by an issuing-office code in brackets.
_TAIWAN = re.compile(r"([0-9]{8})(?:[0-9]{2}(?:\([0-9A-Z]{1,2}\))?)?")

# Full-width ASCII (U+FF01-U+FF5E) sits exactly 0xFEE0 above its half-width form.
_FULL_WIDTH_OFFSET = 0xFEE0
_FOLD_FULL_WIDTH = {code: code - _FULL_WIDTH_OFFSET for code in range(0xFF01, 0xFF5F)}
_FOLD_FULL_WIDTH[0x3000] = 0x20  # ideographic space


class DocumentKind(StrEnum):
    """The identity documents an account can be opened with."""

    RESIDENT_ID = "resident_id"  # 居民身份证
    PASSPORT = "passport"  # 护照
    HK_MACAO_PERMIT = "hk_macao_permit"  # 港澳居民来往内地通行证 ("回乡证")
    TAIWAN_PERMIT = "taiwan_permit"  # 台湾居民来往大陆通行证 ("台胞证")
    HMT_RESIDENCE_PERMIT = "hmt_residence_permit"  # 港澳台居民居住证


class Sex(StrEnum):
    """The sex an 18-character number records (odd sequence number: male)."""

    MALE = "male"
    FEMALE = "female"


def normalise(text: str) -> str:
    """Fold full-width characters to half-width, drop all white space and upper-case."""
    folded = text.translate(_FOLD_FULL_WIDTH)
    return "".join(folded.split()).upper()


def check_digit(first17: str) -> str:
    """Return the GB 11643 (ISO 7064 MOD 11-2) check character of 17 ASCII digits."""
    if not _DIGITS17.fullmatch(first17):
        raise ValueError("the check character is computed over exactly 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, CHECK_WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def mask_number(number: str) -> str:
    """Hide the middle of a document number for display (``1101**********002X``)."""
    # 18-character numbers keep the customary four and four; a short number would give
    # away half of itself that way, so it keeps one character in front and two behind.
    front, back = (4, 4) if len(number) >= 15 else (1, 2)
    if len(number) <= front + back:
        return "*" * len(number)
    return number[:front] + "*" * (len(number) - front - back) + number[-back:]


@dataclass(frozen=True)
class IdentityDocument:
    """A validated, normalised identity document; build it with :func:`parse_document`."""

    kind: DocumentKind
    number: str
    country: str
    # Read from 18-character numbers (居民身份证, 港澳台居民居住证); None for the others.
    birth_date: date | None = None
    sex: Sex | None = None

    def __repr__(self) -> str:
        # Documents end up in logs and tracebacks; the full number must not.
        return f"IdentityDocument({self.kind.value}, {self.country}, {self.mask()})"

    def lookup_material(self) -> bytes:
        """Return the canonical bytes ``kind|country|number`` that the account lookup hashes."""
        return f"{self.kind.value}|{self.country}|{self.number}".encode()

    def mask(self) -> str:
        """Return the number with its middle hidden, for display."""
        return mask_number(self.number)


def _problem(reason: str, field: str = NUMBER_FIELD) -> InvalidInput:
    return InvalidInput(f"{field}: {reason}", problems=[FieldProblem(field, reason)])


def _eighteen(number: str, kind: DocumentKind, today: date) -> tuple[date, Sex]:
    """Check an 18-character number; return its birth date and sex."""
    if len(number) == 15 and number.isascii() and number.isdigit():
        raise _problem(
            "15-digit first-generation numbers are no longer valid; give the 18-character number"
        )
    if len(number) != 18:
        raise _problem(f"must be 18 characters, got {len(number)}")
    if not _DIGITS17.fullmatch(number[:17]):
        raise _problem("the first 17 characters must be digits")
    if number[17] not in "0123456789X":
        raise _problem(f"the check character must be a digit or X, got {number[17]!r}")

    address = number[:6]
    if kind is DocumentKind.HMT_RESIDENCE_PERMIT:
        if address not in RESIDENCE_PERMIT_ADDRESS_CODES:
            raise _problem(
                f"address code {address} is not 810000, 820000 or 830000, "
                "the codes of a 港澳台居民居住证"
            )
    elif address in RESIDENCE_PERMIT_ADDRESS_CODES:
        raise _problem(
            f"address code {address} is that of a 港澳台居民居住证: "
            f"give document kind {DocumentKind.HMT_RESIDENCE_PERMIT.value}"
        )
    elif int(address[:2]) not in PROVINCES:
        raise _problem(f"address code {address} names no mainland province-level division")

    year, month, day = number[6:10], number[10:12], number[12:14]
    try:
        born = date(int(year), int(month), int(day))
    except ValueError:
        raise _problem(f"birth date {year}-{month}-{day} is not a date") from None
    if born > today:
        raise _problem(f"birth date {born.isoformat()} is in the future")
    if born < EARLIEST_BIRTH_DATE:
        raise _problem(f"birth date {born.isoformat()} is before {EARLIEST_BIRTH_DATE}")

    expected = check_digit(number[:17])
    if number[17] != expected:
        raise _problem(f"check digit is {number[17]}, expected {expected}")
    # The 17th character is the last digit of the sequence number: odd for men.
    return born, Sex.MALE if int(number[16]) % 2 else Sex.FEMALE


def _country(country: str | None) -> str:
    if country is None:
        raise _problem("a passport needs its issuing country (ISO 3166-1 alpha-3)", COUNTRY_FIELD)
    value = normalise(country)
    if not _COUNTRY.fullmatch(value):
        raise _problem("must be an ISO 3166-1 alpha-3 code: three letters A-Z", COUNTRY_FIELD)
    return value


def parse_document(
    kind: str, number: str, *, today: date, country: str | None = None
) -> IdentityDocument:
    """Normalise and validate a document; InvalidInput names the field and the reason."""
    try:
        document_kind = DocumentKind(kind)
    except ValueError:
        allowed = ", ".join(member.value for member in DocumentKind)
        raise _problem(f"must be one of {allowed}", KIND_FIELD) from None
    value = normalise(number)
    if not value:
        raise _problem("is empty")

    if document_kind in (DocumentKind.RESIDENT_ID, DocumentKind.HMT_RESIDENCE_PERMIT):
        born, sex = _eighteen(value, document_kind, today)
        return IdentityDocument(document_kind, value, ISSUED_IN_CHINA, born, sex)

    if document_kind is DocumentKind.PASSPORT:
        if not 5 <= len(value) <= 20:
            raise _problem(f"a passport number has 5-20 characters, got {len(value)}")
        if not _PASSPORT.fullmatch(value):
            raise _problem("a passport number has only the letters A-Z and digits")
        return IdentityDocument(document_kind, value, _country(country))

    if document_kind is DocumentKind.HK_MACAO_PERMIT:
        match = _HK_MACAO.fullmatch(value)
        if match is None:
            raise _problem(
                "a 港澳居民来往内地通行证 number is H or M and 8 digits "
                "(cards issued before 2013: and a 2-digit issue count)"
            )
        return IdentityDocument(document_kind, match.group(1), ISSUED_IN_CHINA)

    match = _TAIWAN.fullmatch(value)
    if match is None:
        raise _problem(
            "a 台湾居民来往大陆通行证 number is 8 digits "
            "(booklets issued before 2008: and a 2-digit issue count)"
        )
    return IdentityDocument(document_kind, match.group(1), ISSUED_IN_CHINA)
