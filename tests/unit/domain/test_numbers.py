"""Argentine / US amount parsing, convention detection and formatting."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minimarket.domain.money import format_ars
from minimarket.domain.numbers import (
    detect_number_format,
    format_amount,
    format_amount_ar,
    format_amount_us,
    number_format_of,
    parse_amount,
    try_parse_amount,
)

D = Decimal

# (text, without fmt, with fmt="ar", with fmt="us")
CASES: list[tuple[str, str, str, str]] = [
    # unambiguous: both separators
    ("1.234,56", "1234.56", "1234.56", "1234.56"),
    ("1,234.56", "1234.56", "1234.56", "1234.56"),
    ("1.234.567,89", "1234567.89", "1234567.89", "1234567.89"),
    ("1,234,567.89", "1234567.89", "1234567.89", "1234567.89"),
    ("1.234,5", "1234.5", "1234.5", "1234.5"),
    # unambiguous: one separator, 1-2 or 4+ digits after it, or a 4+ digit integer part
    ("1234,56", "1234.56", "1234.56", "1234.56"),
    ("1234.56", "1234.56", "1234.56", "1234.56"),
    ("12,5", "12.5", "12.5", "12.5"),
    ("1.23", "1.23", "1.23", "1.23"),  # "." + 2 digits is decimal even under fmt="ar"
    ("1,23", "1.23", "1.23", "1.23"),  # "," + 2 digits is decimal even under fmt="us"
    ("0,125", "0.125", "0.125", "0.125"),  # leading 0 cannot start a thousands group
    ("1234,567", "1234.567", "1234.567", "1234.567"),  # 4-digit head cannot be a group
    ("12,3456", "12.3456", "12.3456", "12.3456"),
    (".50", "0.50", "0.50", "0.50"),
    (",50", "0.50", "0.50", "0.50"),
    ("1234.", "1234", "1234", "1234"),
    # unambiguous: one separator repeated
    ("1.234.567", "1234567", "1234567", "1234567"),
    ("1,234,567", "1234567", "1234567", "1234567"),
    # ambiguous: one separator once, 3 digits after it, 1-3 digits before
    ("1.234", "1234", "1234", "1.234"),
    ("1,234", "1234", "1.234", "1234"),
    ("12,345", "12345", "12.345", "12345"),
    ("123.456", "123456", "123456", "123.456"),
    # plain integers
    ("0", "0", "0", "0"),
    ("77300", "77300", "77300", "77300"),
    ("007", "7", "7", "7"),
]


@pytest.mark.parametrize(("text", "plain", "ar", "us"), CASES)
def test_parse_amount_table(text: str, plain: str, ar: str, us: str) -> None:
    assert parse_amount(text) == D(plain)
    assert parse_amount(text, "ar") == D(ar)
    assert parse_amount(text, "us") == D(us)


def test_parse_amount_keeps_the_written_precision() -> None:
    assert str(parse_amount("1.234,50")) == "1234.50"
    assert str(parse_amount("17000.00")) == "17000.00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$ 1.234,56", "1234.56"),
        ("$1.234,56", "1234.56"),
        ("ARS 1.234,56", "1234.56"),
        ("1.234,56 ARS", "1234.56"),
        ("AR$ 10,00", "10.00"),
        ("US$ 1,234.56", "1234.56"),
        ("U$S 99,90", "99.90"),
        ("USD 5.00", "5.00"),
        ("€ 3,50", "3.50"),
        ("1.234,56 $", "1234.56"),
        ("  \u00a0$\u00a01.234,56\u202f ", "1234.56"),
        ("+12,00", "12.00"),
        ("-1.234,56", "-1234.56"),
        ("- 1.234,56", "-1234.56"),
        ("-$ 1.234,56", "-1234.56"),
        ("$ -1.234,56", "-1234.56"),
        ("$-1.234,56", "-1234.56"),
        ("(1.234,56)", "-1234.56"),
        ("($ 1.234,56)", "-1234.56"),
        ("$ (1.234,56)", "-1234.56"),
        ("1.234,56-", "-1234.56"),
        ("$ 1.234,56-", "-1234.56"),
        ("\u22125,00", "-5.00"),
        ("\u20135,00", "-5.00"),
        ("-0,00", "0.00"),
        ("$ 1.500,-", "1500"),
        ("1.500.-", "1500"),
        ("1 234 567,89", "1234567.89"),
        ("1 234", "1234"),
    ],
)
def test_parse_amount_decorations(text: str, expected: str) -> None:
    assert parse_amount(text) == D(expected)


def test_no_cents_mark_forces_thousands_even_for_us() -> None:
    assert parse_amount("$ 1.500,-", "us") == D("1500")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "$",
        "-",
        "--",
        "abc",
        "12abc",
        "1e5",
        "1.2.3",
        "1.234.56",
        "12.34,5",
        "1,2.3",
        "1,,2",
        "1.234,56,7",
        "0.123.456",
        "1 23",
        "12 345.678 9",
        "1.234,5.6",
        ".",
        ",",
        "()",
        "NaN",
        "Infinity",
    ],
)
def test_parse_amount_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        parse_amount(text)
    assert try_parse_amount(text) is None


def test_parse_amount_other_inputs() -> None:
    assert parse_amount(D("1.5")) == D("1.5")
    assert parse_amount(12) == D(12)
    assert try_parse_amount(None) is None
    assert try_parse_amount("1.234,5") == D("1234.5")
    with pytest.raises(ValueError, match="unknown number format"):
        parse_amount("1", "de")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not an amount"):
        parse_amount(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("1.234,56", "ar"),
        ("$ 1.234,56", "ar"),
        ("1,234.56", "us"),
        ("12,50", "ar"),
        ("12,5", "ar"),
        ("12.50", "us"),
        ("1.234.567", "ar"),
        ("1,234,567", "us"),
        ("1.234", None),
        ("1,234", None),
        ("1234", None),
        ("0,125", None),
        ("abc", None),
        ("1.2.3", None),
    ],
)
def test_number_format_of(text: str, fmt: str | None) -> None:
    assert number_format_of(text) == fmt


def test_detect_number_format() -> None:
    assert detect_number_format(["1.234", "77.300,00", "21,00", "Total"]) == "ar"
    assert detect_number_format(["1,234", "77,300.00", "21.00"]) == "us"
    assert detect_number_format(["1.234", "1,234", "100"]) is None
    assert detect_number_format([]) is None
    assert detect_number_format(["1,50", "2.50"]) is None  # a tie decides nothing
    assert detect_number_format(["1,50", "2,50", "2.50"]) == "ar"


def test_detected_format_resolves_ambiguous_numbers() -> None:
    samples = ["1,234", "12,50", "3.456,78"]
    fmt = detect_number_format(samples)
    assert fmt == "ar"
    assert parse_amount("1,234", fmt) == D("1.234")


@pytest.mark.parametrize(
    ("value", "ar", "us"),
    [
        (D("1234.56"), "1.234,56", "1,234.56"),
        (D("1234567.891"), "1.234.567,89", "1,234,567.89"),
        (D("0.005"), "0,01", "0.01"),  # HALF_UP
        (D("-1234.5"), "-1.234,50", "-1,234.50"),
        (D("0"), "0,00", "0.00"),
        (100, "100,00", "100.00"),
        ("999.999", "1.000,00", "1,000.00"),
    ],
)
def test_format_amount(value: Decimal | int | str, ar: str, us: str) -> None:
    assert format_amount_ar(value) == ar
    assert format_amount_us(value) == us
    assert format_amount(value, "ar") == ar


def test_format_amount_options() -> None:
    assert format_amount(D("1234.5678"), "ar", decimals=4) == "1.234,5678"
    assert format_amount(D("1234.5"), "us", grouping=False) == "1234.50"
    assert format_amount(D("1234"), "ar", decimals=0) == "1.234"
    with pytest.raises(ValueError, match="unknown number format"):
        format_amount(1, "xx")  # type: ignore[arg-type]


def test_format_amount_ar_agrees_with_money_format_ars() -> None:
    for value in ["0", "1", "-1234.565", "1234567.89", "0.1"]:
        assert format_ars(value, symbol=False) == format_amount_ar(value)


amounts = st.decimals(min_value=D("-1e12"), max_value=D("1e12"), places=2, allow_nan=False, allow_infinity=False)


@given(value=amounts, fmt=st.sampled_from(["ar", "us"]))
def test_format_then_parse_round_trips(value: Decimal, fmt: str) -> None:
    text = format_amount(value, fmt)  # type: ignore[arg-type]
    assert parse_amount(text, fmt) == value  # type: ignore[arg-type]
    assert parse_amount("$ " + text, fmt) == value  # type: ignore[arg-type]


@given(value=amounts)
def test_two_decimal_amounts_parse_without_a_hint(value: Decimal) -> None:
    assert parse_amount(format_amount_ar(value)) == value
    assert parse_amount(format_amount_us(value)) == value
    assert parse_amount(format_ars(value)) == value


@given(text=st.text(alphabet="0123456789.,-+$() ARSU\u00a0e", max_size=20), fmt=st.sampled_from([None, "ar", "us"]))
def test_parse_amount_returns_a_decimal_or_raises_value_error(text: str, fmt: str | None) -> None:
    try:
        value = parse_amount(text, fmt)  # type: ignore[arg-type]
    except ValueError:
        return
    assert isinstance(value, Decimal) and value.is_finite()
