"""Identity documents: 居民身份证 check digits, dates and provinces; passports and permits."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.errors import InvalidInput
from creditbank.identity.documents import (
    PROVINCES,
    DocumentKind,
    IdentityDocument,
    normalise,
    parse_document,
)

TODAY = date(2025, 6, 30)
# GB 11643-1999, written out here rather than taken from the module under test.
WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]
CHECK_CHARS = "10X98765432"
STANDARD_EXAMPLE = "11010519491231002X"  # the example printed in GB 11643-1999


def mod11_2(first17: str) -> str:
    """ISO 7064 MOD 11-2: the character that makes the weighted sum ≡ 1 (mod 11)."""
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    for char in CHECK_CHARS:
        value = 10 if char == "X" else int(char)
        if (total + value) % 11 == 1:
            return char
    raise AssertionError("unreachable: every residue has a check character")


def with_check(first17: str) -> str:
    return first17 + mod11_2(first17)


def problem_of(exc: pytest.ExceptionInfo[InvalidInput]) -> tuple[str, str]:
    assert len(exc.value.problems) == 1
    problem = exc.value.problems[0]
    return problem.field, problem.reason


def test_the_test_weights_are_the_published_ones() -> None:
    assert WEIGHTS == [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    assert mod11_2(STANDARD_EXAMPLE[:17]) == "X"


@st.composite
def resident_ids(draw: st.DrawFn) -> tuple[str, date, str]:
    province = draw(st.sampled_from(sorted(PROVINCES)))
    area = draw(st.integers(0, 9999))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    sequence = draw(st.integers(0, 999))
    first17 = f"{province:02d}{area:04d}{born:%Y%m%d}{sequence:03d}"
    sex = "male" if sequence % 2 else "female"
    return with_check(first17), born, sex


@settings(max_examples=300)
@given(resident_ids())
def test_valid_resident_ids_are_accepted(generated: tuple[str, date, str]) -> None:
    number, born, sex = generated
    document = parse_document("resident_id", number, today=TODAY)
    assert document.kind is DocumentKind.RESIDENT_ID
    assert document.number == number
    assert document.birth_date == born
    assert document.sex == sex
    assert document.country == "CHN"


@settings(max_examples=300)
@given(
    resident_ids(),
    st.integers(0, 17),
    st.sampled_from("0123456789X"),
)
def test_any_single_substitution_is_rejected(
    generated: tuple[str, date, str], position: int, replacement: str
) -> None:
    number = generated[0]
    if number[position] == replacement:
        replacement = "X" if replacement != "X" else "0"
    changed = number[:position] + replacement + number[position + 1 :]
    assert changed != number
    with pytest.raises(InvalidInput) as exc:
        parse_document("resident_id", changed, today=TODAY)
    assert problem_of(exc)[0] == "document_number"


def test_standard_example_is_accepted() -> None:
    document = parse_document("resident_id", STANDARD_EXAMPLE, today=TODAY)
    assert document.birth_date == date(1949, 12, 31)
    assert document.sex == "female"  # 17th digit 2
    assert document.number == STANDARD_EXAMPLE


@pytest.mark.parametrize(
    "written",
    [
        "11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        "110105 19491231 002X",
        "  110105\u300019491231\t002X  ",
        "110105-19491231-002X",
    ],
)
def test_numbers_are_normalised(written: str) -> None:
    assert normalise(written) == STANDARD_EXAMPLE
    assert parse_document("resident_id", written, today=TODAY).number == STANDARD_EXAMPLE


def test_birth_on_today_is_accepted_and_tomorrow_is_not() -> None:
    born_today = with_check(f"110105{TODAY:%Y%m%d}001")
    assert parse_document("resident_id", born_today, today=TODAY).birth_date == TODAY
    tomorrow = TODAY + timedelta(days=1)
    with pytest.raises(InvalidInput) as exc:
        parse_document("resident_id", with_check(f"110105{tomorrow:%Y%m%d}001"), today=TODAY)
    field, reason = problem_of(exc)
    assert field == "document_number"
    assert "future" in reason


def test_birth_before_1900_is_rejected() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_document("resident_id", with_check("11010518991231001"), today=TODAY)
    assert problem_of(exc) == ("document_number", "birth date 1899-12-31 is before 1900")


@pytest.mark.parametrize("day", ["20230230", "20230229", "20231301", "20230431", "20230100"])
def test_impossible_birth_dates_are_rejected(day: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_document("resident_id", with_check(f"110105{day}001"), today=TODAY)
    field, reason = problem_of(exc)
    assert field == "document_number"
    assert "birth date" in reason
    assert day in reason


def test_leap_day_is_a_date() -> None:
    document = parse_document("resident_id", with_check("11010520000229001"), today=TODAY)
    assert document.birth_date == date(2000, 2, 29)


@pytest.mark.parametrize("prefix", ["99", "00", "10", "71", "81", "82", "83", "91"])
def test_unknown_province_is_rejected(prefix: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_document("resident_id", with_check(f"{prefix}010519491231002"), today=TODAY)
    field, reason = problem_of(exc)
    assert field == "document_number"
    assert "province" in reason


def test_wrong_check_digit_is_rejected_naming_the_expected_one() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_document("resident_id", "110105194912310021", today=TODAY)
    field, reason = problem_of(exc)
    assert field == "document_number"
    assert "check digit" in reason
    assert "expected X" in reason


@pytest.mark.parametrize(
    "number",
    ["", "11010519491231002", "11010519491231002X1", "1101051949123100XX", "11010519491231002Y"],
)
def test_wrong_shapes_are_rejected(number: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_document("resident_id", number, today=TODAY)
    assert problem_of(exc)[0] == "document_number"


def test_hmt_residence_permit_uses_the_810000_codes() -> None:
    for prefix in ("810000", "820000", "830000"):
        number = with_check(f"{prefix}19900101003")
        document = parse_document("hmt_residence_permit", number, today=TODAY)
        assert document.kind is DocumentKind.HMT_RESIDENCE_PERMIT
        assert document.birth_date == date(1990, 1, 1)
        assert document.sex == "male"
        # The same number is no 居民身份证: 81-83 are not mainland provinces.
        with pytest.raises(InvalidInput):
            parse_document("resident_id", number, today=TODAY)


def test_hmt_residence_permit_refuses_mainland_codes() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_document("hmt_residence_permit", STANDARD_EXAMPLE, today=TODAY)
    field, reason = problem_of(exc)
    assert field == "document_number"
    assert "810000" in reason


def test_hmt_residence_permit_checks_its_check_digit() -> None:
    good = with_check("81000019900101003")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(InvalidInput) as exc:
        parse_document("hmt_residence_permit", bad, today=TODAY)
    assert "check digit" in problem_of(exc)[1]


def test_passport_needs_a_country() -> None:
    document = parse_document("passport", "e1234 5678", today=TODAY, country="USA")
    assert document == IdentityDocument(DocumentKind.PASSPORT, "E12345678", "USA")
    assert document.birth_date is None
    assert document.sex is None
    for country in (None, "US", "USAA", "U5A", ""):
        with pytest.raises(InvalidInput) as exc:
            parse_document("passport", "E12345678", today=TODAY, country=country)
        assert problem_of(exc)[0] == "country"


@pytest.mark.parametrize("number", ["E123", "E" * 21, "E1234567!", "护照12345"])
def test_passport_number_shape(number: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_document("passport", number, today=TODAY, country="GBR")
    assert problem_of(exc)[0] == "document_number"


def test_passport_number_lengths_at_the_edges() -> None:
    assert parse_document("passport", "A1234", today=TODAY, country="GBR").number == "A1234"
    twenty = "A" * 10 + "1" * 10
    assert parse_document("passport", twenty, today=TODAY, country="GBR").number == twenty


@pytest.mark.parametrize(
    ("written", "number"),
    [
        ("H12345678", "H12345678"),
        ("m12345678", "M12345678"),
        ("H1234567801", "H12345678"),  # older booklet: the issue number is dropped
        ("Ｈ１２３４５６７８", "H12345678"),
    ],
)
def test_hk_macao_permit_shapes(written: str, number: str) -> None:
    document = parse_document("hk_macao_permit", written, today=TODAY)
    assert document.kind is DocumentKind.HK_MACAO_PERMIT
    assert document.number == number
    assert document.country is None


@pytest.mark.parametrize("number", ["C12345678", "H1234567", "H123456789", "12345678", "HH2345678"])
def test_hk_macao_permit_bad_shapes(number: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_document("hk_macao_permit", number, today=TODAY)
    assert problem_of(exc)[0] == "document_number"


def test_taiwan_permit_shapes() -> None:
    document = parse_document("taiwan_permit", "1234 5678", today=TODAY)
    assert document == IdentityDocument(DocumentKind.TAIWAN_PERMIT, "12345678")
    for bad in ("1234567", "123456789", "T1234567", ""):
        with pytest.raises(InvalidInput) as exc:
            parse_document("taiwan_permit", bad, today=TODAY)
        assert problem_of(exc)[0] == "document_number"


@pytest.mark.parametrize("kind", ["id_card", "", "RESIDENT_ID", "Passport"])
def test_unknown_kind_is_rejected(kind: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_document(kind, STANDARD_EXAMPLE, today=TODAY)
    field, reason = problem_of(exc)
    assert field == "document_kind"
    assert "resident_id" in reason


def test_mask_keeps_first_and_last_four() -> None:
    resident = parse_document("resident_id", STANDARD_EXAMPLE, today=TODAY)
    assert resident.mask() == "1101" + "*" * 10 + "002X"
    passport = parse_document("passport", "E12345678", today=TODAY, country="USA")
    assert passport.mask() == "E123*5678"
    taiwan = parse_document("taiwan_permit", "12345678", today=TODAY)
    assert taiwan.mask() == "********"  # too short to show anything


def test_lookup_material_differs_by_kind_and_country() -> None:
    same = "12345678"
    taiwan = parse_document("taiwan_permit", same, today=TODAY)
    passport = parse_document("passport", same, today=TODAY, country="USA")
    other_country = parse_document("passport", same, today=TODAY, country="CAN")
    materials = {d.lookup_material() for d in (taiwan, passport, other_country)}
    assert len(materials) == 3
    assert passport.lookup_material() == b"passport|USA|12345678"
    assert taiwan.lookup_material() == b"taiwan_permit||12345678"
    resident = parse_document("resident_id", STANDARD_EXAMPLE, today=TODAY)
    assert resident.lookup_material() == f"resident_id|CHN|{STANDARD_EXAMPLE}".encode()


def test_lookup_material_is_the_same_for_every_spelling() -> None:
    a = parse_document("resident_id", "11010519491231002x", today=TODAY)
    b = parse_document("resident_id", "１１０１０５ １９４９１２３１ ００２Ｘ", today=TODAY)
    assert a.lookup_material() == b.lookup_material()
