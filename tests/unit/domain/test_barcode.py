"""The legacy Interleaved-2-of-5 CAE barcode (RG 1702)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minimarket.domain.barcode import (
    BarcodeParseError,
    CaeBarcode,
    build_cae_barcode,
    mod10_check_digit,
    parse_cae_barcode,
)

# pyafipws' reference barcode: CUIT 20267565393, type 02, PV 4001, CAE 61203034739042, due 2011-05-29, DV 9.
PYAFIPWS = "2026756539302400161203034739042201105299"


def test_rg1702_worked_example() -> None:
    # RG 1702 Anexo I: 01234567890 → 3 × (0+2+4+6+8+0) + (1+3+5+7+9) = 85 → 5
    assert mod10_check_digit("01234567890") == 5


def test_real_world_reference() -> None:
    assert mod10_check_digit(PYAFIPWS[:-1]) == 9


@pytest.mark.parametrize(("digits", "expected"), [("0", 0), ("1", 7), ("5", 5), ("12", 5), ("0000", 0)])
def test_mod10_small_cases(digits: str, expected: int) -> None:
    assert mod10_check_digit(digits) == expected


@pytest.mark.parametrize("digits", ["", "12a4", " 12"])
def test_mod10_rejects_non_digits(digits: str) -> None:
    with pytest.raises(ValueError, match="digits"):
        mod10_check_digit(digits)


def test_parse_40_digits() -> None:
    barcode = parse_cae_barcode(PYAFIPWS)
    assert barcode == CaeBarcode(
        cuit="20267565393",
        afip_code=2,
        point_of_sale=4001,
        cae="61203034739042",
        cae_due_date=dt.date(2011, 5, 29),
        check_digit=9,
        check_ok=True,
    )


def test_parse_42_digits_fce() -> None:
    digits = build_cae_barcode("20321911847", 201, 1, "73077498062672", dt.date(2023, 2, 23))
    assert len(digits) == 42
    assert digits.startswith("20321911847" + "201" + "00001" + "73077498062672" + "20230223")
    barcode = parse_cae_barcode(digits)
    assert (barcode.afip_code, barcode.point_of_sale, barcode.cae) == (201, 1, "73077498062672")
    assert barcode.cae_due_date == dt.date(2023, 2, 23)
    assert barcode.check_ok


def test_parse_ignores_spaces() -> None:
    spaced = " ".join(PYAFIPWS[i : i + 10] for i in range(0, 40, 10))
    assert parse_cae_barcode(spaced).check_ok


def test_bad_check_digit_is_reported_not_raised() -> None:
    wrong = PYAFIPWS[:-1] + "8"
    barcode = parse_cae_barcode(wrong)
    assert barcode.check_digit == 8
    assert not barcode.check_ok
    assert barcode.cae == "61203034739042"


@pytest.mark.parametrize("length", [0, 39, 41, 43, 44])
def test_wrong_length(length: int) -> None:
    with pytest.raises(BarcodeParseError, match="40 or 42 digits"):
        parse_cae_barcode(("2026756539302400161203034739042201105299" * 2)[:length])


def test_non_digits() -> None:
    with pytest.raises(BarcodeParseError, match="only digits"):
        parse_cae_barcode(PYAFIPWS[:-1] + "X")


def test_impossible_due_date() -> None:
    digits = PYAFIPWS[:31] + "20111331"
    digits += str(mod10_check_digit(digits))
    with pytest.raises(BarcodeParseError, match="due date"):
        parse_cae_barcode(digits)


def test_build_40_digits_matches_reference() -> None:
    assert build_cae_barcode("20-26756539-3", 2, 4001, "61203034739042", dt.date(2011, 5, 29)) == PYAFIPWS


def test_build_layout_choice() -> None:
    due = dt.date(2024, 1, 31)
    assert len(build_cae_barcode("30517583231", 1, 5, "73074974187800", due)) == 40
    assert len(build_cae_barcode("30517583231", 1, 5, "73074974187800", due, long=True)) == 42
    assert len(build_cae_barcode("30517583231", 1, 10000, "73074974187800", due)) == 42
    with pytest.raises(ValueError, match="does not fit"):
        build_cae_barcode("30517583231", 201, 5, "73074974187800", due, long=False)


@pytest.mark.parametrize(
    ("cuit", "code", "pos", "cae", "message"),
    [
        ("3051758323", 1, 1, "73074974187800", "11 digits"),
        ("30517583231", 1, 1, "7307497418780", "14 digits"),
        ("30517583231", -1, 1, "73074974187800", "negative"),
        ("30517583231", 1, 100000, "73074974187800", "does not fit"),
    ],
)
def test_build_rejects_bad_fields(cuit: str, code: int, pos: int, cae: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_cae_barcode(cuit, code, pos, cae, dt.date(2024, 1, 1))


digits = st.text(alphabet="0123456789", min_size=1, max_size=60)


@given(
    cuit=st.text(alphabet="0123456789", min_size=11, max_size=11),
    code=st.integers(0, 999),
    pos=st.integers(0, 99999),
    cae=st.text(alphabet="0123456789", min_size=14, max_size=14),
    due=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
    long=st.sampled_from([None, True]),
)
def test_build_then_parse_round_trips(
    cuit: str, code: int, pos: int, cae: str, due: dt.date, long: bool | None
) -> None:
    text = build_cae_barcode(cuit, code, pos, cae, due, long=long)
    barcode = parse_cae_barcode(text)
    assert (barcode.cuit, barcode.afip_code, barcode.point_of_sale, barcode.cae, barcode.cae_due_date) == (
        cuit,
        code,
        pos,
        cae,
        due,
    )
    assert barcode.check_ok


@given(body=digits, position=st.integers(0, 59), delta=st.integers(1, 9))
def test_check_digit_detects_any_single_digit_error(body: str, position: int, delta: int) -> None:
    position %= len(body)
    changed = body[:position] + str((int(body[position]) + delta) % 10) + body[position + 1 :]
    assert mod10_check_digit(changed) != mod10_check_digit(body)
