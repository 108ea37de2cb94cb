"""Identity documents: 居民身份证 check digits, dates and provinces; passports and permits."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.errors import InvalidInput
from creditbank.identity.documents import (
    PROVINCES,
    DocumentKind,
    IdentityDocument,
    Sex,
    check_digit,
    mask_number,
    normalise,
    parse_document,
)

TODAY = date(2025, 6, 30)
# GB 11643-1999, written out here rather than taken from the module under test: weight i is
# 2**(17 - i) mod 11, and the check character makes the weighted sum of all 18 ≡ 1 (mod 11).
WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]
CHECK_VALUES = {str(d): d for d in range(10)} | {"X": 10}
STANDARD_EXAMPLE = "11010519491231002X"  # the worked example printed in GB 11643-1999
# The mainland province-level codes, written out from GB/T 2260.
MAINLAND = [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46]
MAINLAND += [50, 51, 52, 53, 54, 61, 62, 63, 64, 65]


def mod11_2(first17: str) -> str:
    """ISO 7064 MOD 11-2 by search: the character that makes the full sum ≡ 1 (mod 11)."""
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    (char,) = [c for c, v in CHECK_VALUES.items() if (total + v) % 11 == 1]
    return char


def with_check(first17: str) -> str:
    return first17 + mod11_2(first17)


def problem_of(exc: pytest.ExceptionInfo[InvalidInput]) -> tuple[str, str]:
    assert len(exc.value.problems) == 1
    problem = exc.value.problems[0]
    assert problem.reason in exc.value.detail
    return problem.field, problem.reason


def rejected(kind: str, number: str, **kwargs: str) -> tuple[str, str]:
    with pytest.raises(InvalidInput) as exc:
        parse_document(kind, number, today=TODAY, **kwargs)
    return problem_of(exc)


# --- the check character ----------------------------------------------------------------------


def test_the_test_weights_are_the_published_ones() -> None:
    assert WEIGHTS == [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    assert mod11_2(STANDARD_EXAMPLE[:17]) == "X"


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("11010519491231002", "X"),  # GB 11643-1999 worked example (checked by hand too)
        ("44052418800101001", "4"),  # a sample often quoted in textbooks
        ("50010319900307123", "9"),  # 重庆
        ("51010720051231456", "1"),  # 四川
        ("65010220000229001", "X"),
        ("81000019900101003", "5"),
        ("82000020010615004", "X"),
        ("83000019851010005", "4"),
    ],
)
def test_known_check_characters(first17: str, expected: str) -> None:
    assert check_digit(first17) == expected
    assert mod11_2(first17) == expected


def test_mod_11_2_detects_every_single_substitution_and_adjacent_transposition() -> None:
    # Changing digit i by d (1 <= |d| <= 9) changes the sum by WEIGHTS[i] * d, which 11 (a
    # prime) cannot divide: every weight is non-zero mod 11 and |d| < 11. Checked exhaustively.
    for weight in WEIGHTS:
        for delta in range(1, 10):
            assert weight * delta % 11 != 0
    # Swapping neighbours a, b changes it by (w_i - w_{i+1}) * (a - b): never 0 mod 11 either.
    for left, right in itertools.pairwise(WEIGHTS):
        for delta in range(1, 10):
            assert (left - right) * delta % 11 != 0


@pytest.mark.parametrize("bad", ["", "1101051949123100", "110105194912310021", "１" * 17, "a" * 17])
def test_check_digit_needs_17_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="17 ASCII digits"):
        check_digit(bad)


# --- 居民身份证 -----------------------------------------------------------------------------------


def test_the_province_list_is_the_mainland_one() -> None:
    assert sorted(PROVINCES) == MAINLAND
    assert {50, 51} <= PROVINCES  # 重庆, 四川


@st.composite
def resident_ids(draw: st.DrawFn) -> tuple[str, date, Sex]:
    province = draw(st.sampled_from(MAINLAND))
    area = draw(st.integers(0, 9999))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    sequence = draw(st.integers(0, 999))
    first17 = f"{province:02d}{area:04d}{born:%Y%m%d}{sequence:03d}"
    sex = Sex.MALE if sequence % 2 else Sex.FEMALE
    return with_check(first17), born, sex


@settings(max_examples=400)
@given(resident_ids())
def test_valid_resident_ids_are_accepted(generated: tuple[str, date, Sex]) -> None:
    number, born, sex = generated
    document = parse_document("resident_id", number, today=TODAY)
    assert document.kind is DocumentKind.RESIDENT_ID
    assert document.number == number
    assert document.birth_date == born
    assert document.sex is sex
    assert document.country == "CHN"
    # Lower-case x and full-width input give the same document.
    wide = "".join(chr(ord(c) + 0xFEE0) for c in number.lower())
    assert parse_document("resident_id", wide, today=TODAY) == document


@settings(max_examples=400)
@given(resident_ids(), st.integers(0, 17), st.integers(1, 10))
def test_any_single_substitution_is_rejected(
    generated: tuple[str, date, Sex], position: int, shift: int
) -> None:
    number = generated[0]
    alphabet = "0123456789X" if position == 17 else "0123456789"
    old = alphabet.index(number[position])
    replacement = alphabet[(old + shift) % len(alphabet)]
    if replacement == number[position]:  # shift 10 of a digit: wrap to the next one
        replacement = alphabet[(old + 1) % len(alphabet)]
    changed = number[:position] + replacement + number[position + 1 :]
    assert changed != number
    field, reason = rejected("resident_id", changed)
    assert field == "document_number"
    # Where the change leaves the address and the date valid, the check character catches it.
    if 2 <= position <= 5 or position >= 14:
        assert reason == f"check digit is {changed[17]}, expected {mod11_2(changed[:17])}"


def test_standard_example_is_accepted() -> None:
    document = parse_document("resident_id", STANDARD_EXAMPLE, today=TODAY)
    assert document.birth_date == date(1949, 12, 31)
    assert document.sex is Sex.FEMALE  # 17th digit 2
    assert document.sex.value == "female"
    assert document.number == STANDARD_EXAMPLE


def test_chongqing_and_sichuan_numbers() -> None:
    chongqing = parse_document("resident_id", "500103199003071239", today=TODAY)
    assert (chongqing.birth_date, chongqing.sex) == (date(1990, 3, 7), Sex.MALE)
    sichuan = parse_document("resident_id", "510107200512314561", today=TODAY)
    assert (sichuan.birth_date, sichuan.sex) == (date(2005, 12, 31), Sex.FEMALE)


@pytest.mark.parametrize(
    "written",
    [
        "11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
        "110105 19491231 002X",
        "  110105\u300019491231\t002X\n",
    ],
)
def test_numbers_are_normalised(written: str) -> None:
    assert normalise(written) == STANDARD_EXAMPLE
    assert parse_document("resident_id", written, today=TODAY).number == STANDARD_EXAMPLE


@pytest.mark.parametrize(
    "written",
    [
        "110105-19491231-002X",  # only white space is dropped
        "11010519491231002²",  # a compatibility form, not a full-width one
        "\u0661" + STANDARD_EXAMPLE[1:],  # Arabic-Indic digit one
    ],
)
def test_only_full_width_and_spaces_are_folded(written: str) -> None:
    assert rejected("resident_id", written)[0] == "document_number"


def test_birth_on_today_is_accepted_and_tomorrow_is_not() -> None:
    born_today = with_check(f"110105{TODAY:%Y%m%d}001")
    assert parse_document("resident_id", born_today, today=TODAY).birth_date == TODAY
    tomorrow = TODAY + timedelta(days=1)
    number = with_check(f"110105{tomorrow:%Y%m%d}001")
    assert rejected("resident_id", number) == (
        "document_number",
        "birth date 2025-07-01 is in the future",
    )


@settings(max_examples=100)
@given(st.dates(min_value=TODAY + timedelta(days=1), max_value=date(9999, 12, 31)))
def test_every_future_birth_date_is_rejected(born: date) -> None:
    assert "in the future" in rejected("resident_id", with_check(f"500103{born:%Y%m%d}123"))[1]


def test_birth_before_1900_is_rejected() -> None:
    assert rejected("resident_id", with_check("44052418800101001")) == (
        "document_number",
        "birth date 1880-01-01 is before 1900-01-01",
    )
    first = parse_document("resident_id", with_check("11010519000101001"), today=TODAY)
    assert first.birth_date == date(1900, 1, 1)


@pytest.mark.parametrize(
    ("day", "shown"),
    [
        ("20240230", "2024-02-30"),
        ("20230229", "2023-02-29"),
        ("19001301", "1900-13-01"),
        ("20230431", "2023-04-31"),
        ("20230100", "2023-01-00"),
        ("00000101", "0000-01-01"),
    ],
)
def test_impossible_birth_dates_are_rejected(day: str, shown: str) -> None:
    assert rejected("resident_id", with_check(f"110105{day}001")) == (
        "document_number",
        f"birth date {shown} is not a date",
    )


def test_leap_day_is_a_date() -> None:
    document = parse_document("resident_id", with_check("11010520000229001"), today=TODAY)
    assert document.birth_date == date(2000, 2, 29)


@pytest.mark.parametrize("prefix", ["99", "00", "10", "16", "55", "66", "71", "81", "82", "91"])
def test_unknown_province_is_rejected(prefix: str) -> None:
    field, reason = rejected("resident_id", with_check(f"{prefix}010519491231002"))
    assert field == "document_number"
    assert reason == f"address code {prefix}0105 names no mainland province-level division"


@pytest.mark.parametrize("code", ["810000", "820000", "830000"])
def test_a_residence_permit_number_is_no_resident_id(code: str) -> None:
    field, reason = rejected("resident_id", with_check(f"{code}19900101003"))
    assert field == "document_number"
    assert code in reason
    assert "hmt_residence_permit" in reason


def test_wrong_check_digit_is_rejected_naming_the_expected_one() -> None:
    assert rejected("resident_id", "110105194912310021") == (
        "document_number",
        "check digit is 1, expected X",
    )
    assert rejected("resident_id", "50010319900307123X")[1] == "check digit is X, expected 9"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("11010519491231002", "must be 18 characters, got 17"),
        ("11010519491231002X1", "must be 18 characters, got 19"),
        ("1101051949123100XX", "the first 17 characters must be digits"),
        ("A1010519491231002X", "the first 17 characters must be digits"),
        ("11010519491231002Y", "the check character must be a digit or X, got 'Y'"),
    ],
)
def test_wrong_shapes_are_rejected(number: str, reason: str) -> None:
    assert rejected("resident_id", number) == ("document_number", reason)


def test_first_generation_15_digit_numbers_are_refused_with_a_hint() -> None:
    field, reason = rejected("resident_id", "110105491231002")
    assert field == "document_number"
    assert "15-digit" in reason
    assert "18-character" in reason


# --- 港澳台居民居住证 ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["810000", "820000", "830000"])
def test_hmt_residence_permit_uses_its_address_codes(code: str) -> None:
    number = with_check(f"{code}19900101003")
    document = parse_document("hmt_residence_permit", number, today=TODAY)
    assert document.kind is DocumentKind.HMT_RESIDENCE_PERMIT
    assert document.number == number
    assert document.country == "CHN"
    assert document.birth_date == date(1990, 1, 1)
    assert document.sex is Sex.MALE


@pytest.mark.parametrize("number", [STANDARD_EXAMPLE, with_check("81010119900101003")])
def test_hmt_residence_permit_refuses_other_codes(number: str) -> None:
    field, reason = rejected("hmt_residence_permit", number)
    assert field == "document_number"
    assert "810000, 820000 or 830000" in reason


def test_hmt_residence_permit_checks_its_date_and_check_digit() -> None:
    good = with_check("82000020010615004")
    assert good.endswith("X")
    assert rejected("hmt_residence_permit", good[:17] + "0")[1] == "check digit is 0, expected X"
    future = with_check(f"830000{TODAY + timedelta(days=1):%Y%m%d}005")
    assert "in the future" in rejected("hmt_residence_permit", future)[1]


# --- passports ---------------------------------------------------------------------------------


def test_passport_needs_a_country() -> None:
    document = parse_document("passport", "e1234 5678", today=TODAY, country="USA")
    assert document == IdentityDocument(DocumentKind.PASSPORT, "E12345678", "USA")
    assert document.birth_date is None
    assert document.sex is None
    assert parse_document("passport", "E12345678", today=TODAY, country=" ｇｂｒ ").country == "GBR"


@pytest.mark.parametrize("country", [None, "US", "USAA", "U5A", "", "U A", "ÜSA"])
def test_passport_country_shape(country: str | None) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_document("passport", "E12345678", today=TODAY, country=country)
    assert problem_of(exc)[0] == "document_country"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("E123", "a passport number has 5-20 characters, got 4"),
        ("E" * 21, "a passport number has 5-20 characters, got 21"),
        ("E1234567!", "a passport number has only the letters A-Z and digits"),
        ("护照12345", "a passport number has only the letters A-Z and digits"),
        ("E1234-567", "a passport number has only the letters A-Z and digits"),
    ],
)
def test_passport_number_shape(number: str, reason: str) -> None:
    assert rejected("passport", number, country="GBR") == ("document_number", reason)


def test_passport_number_lengths_at_the_edges() -> None:
    assert parse_document("passport", "A1234", today=TODAY, country="GBR").number == "A1234"
    twenty = "A" * 10 + "1" * 10
    assert parse_document("passport", twenty, today=TODAY, country="GBR").number == twenty


# --- 港澳居民来往内地通行证 and 台湾居民来往大陆通行证 ----------------------------------------


@pytest.mark.parametrize(
    ("written", "number"),
    [
        ("H12345678", "H12345678"),
        ("m12345678", "M12345678"),
        ("H1234567801", "H12345678"),  # 1999 card: the issue count is dropped
        ("M8765432100", "M87654321"),
        ("Ｈ１２３４５６７８", "H12345678"),
        ("H 1234 5678", "H12345678"),
    ],
)
def test_hk_macao_permit_shapes(written: str, number: str) -> None:
    document = parse_document("hk_macao_permit", written, today=TODAY)
    assert document == IdentityDocument(DocumentKind.HK_MACAO_PERMIT, number, "CHN")


@pytest.mark.parametrize(
    "number", ["C12345678", "H1234567", "H123456789", "H123456789012", "12345678", "HH2345678"]
)
def test_hk_macao_permit_bad_shapes(number: str) -> None:
    field, reason = rejected("hk_macao_permit", number)
    assert field == "document_number"
    assert "H or M and 8 digits" in reason


def test_a_renewed_hk_permit_finds_the_same_account() -> None:
    old = parse_document("hk_macao_permit", "H1234567802", today=TODAY)
    new = parse_document("hk_macao_permit", "H12345678", today=TODAY)
    assert old.lookup_material() == new.lookup_material()


@pytest.mark.parametrize(
    "written",
    [
        "12345678",
        "1234 5678",
        "１２３４５６７８",
        "1234567801",
        "1234567802(B)",
        "１２３４５６７８０１（Ｂ）",
    ],
)
def test_taiwan_permit_shapes(written: str) -> None:
    document = parse_document("taiwan_permit", written, today=TODAY)
    assert document == IdentityDocument(DocumentKind.TAIWAN_PERMIT, "12345678", "CHN")


@pytest.mark.parametrize(
    "bad", ["1234567", "123456789", "T1234567", "12345678(B)", "1234567801()", "12345678XX"]
)
def test_taiwan_permit_bad_shapes(bad: str) -> None:
    field, reason = rejected("taiwan_permit", bad)
    assert field == "document_number"
    assert "8 digits" in reason


# --- kinds, masks and lookup material ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["id_card", "", "RESIDENT_ID", "Passport", " resident_id"])
def test_unknown_kind_is_rejected(kind: str) -> None:
    field, reason = rejected(kind, STANDARD_EXAMPLE)
    assert field == "document_kind"
    assert reason == (
        "must be one of resident_id, passport, hk_macao_permit, taiwan_permit, hmt_residence_permit"
    )


def test_mask_hides_the_middle() -> None:
    resident = parse_document("resident_id", STANDARD_EXAMPLE, today=TODAY)
    assert resident.mask() == "1101**********002X"
    assert mask_number("500103199003071239") == "5001**********1239"
    passport = parse_document("passport", "E12345678", today=TODAY, country="USA")
    assert passport.mask() == "E******78"
    assert parse_document("taiwan_permit", "12345678", today=TODAY).mask() == "1*****78"
    assert mask_number("A1234") == "A**34"
    assert mask_number("ABC") == "***"


def test_repr_shows_only_the_masked_number() -> None:
    document = parse_document("resident_id", STANDARD_EXAMPLE, today=TODAY)
    text = repr(document)
    assert STANDARD_EXAMPLE not in text
    assert "1101**********002X" in text
    assert "19491231" not in str(document)


def test_lookup_material_differs_by_kind_and_country() -> None:
    same = "12345678"
    taiwan = parse_document("taiwan_permit", same, today=TODAY)
    passport = parse_document("passport", same, today=TODAY, country="USA")
    other_country = parse_document("passport", same, today=TODAY, country="CAN")
    assert len({d.lookup_material() for d in (taiwan, passport, other_country)}) == 3
    assert passport.lookup_material() == b"passport|USA|12345678"
    assert taiwan.lookup_material() == b"taiwan_permit|CHN|12345678"
    resident = parse_document("resident_id", STANDARD_EXAMPLE, today=TODAY)
    assert resident.lookup_material() == f"resident_id|CHN|{STANDARD_EXAMPLE}".encode()


def test_lookup_material_is_the_same_for_every_spelling() -> None:
    a = parse_document("resident_id", "11010519491231002x", today=TODAY)
    b = parse_document("resident_id", "１１０１０５ １９４９１２３１ ００２Ｘ", today=TODAY)
    assert a.lookup_material() == b.lookup_material()


def test_documents_are_immutable() -> None:
    document = parse_document("resident_id", STANDARD_EXAMPLE, today=TODAY)
    with pytest.raises(AttributeError):
        document.number = "x"  # type: ignore[misc]
