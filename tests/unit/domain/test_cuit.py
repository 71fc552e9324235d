"""CUIT normalisation, validation and formatting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minimarket.domain.cuit import InvalidCuit, cuit_check_digit, format_cuit, is_valid_cuit, normalize_cuit

# CUITs printed on the real development invoices (issuers and the receiver).
REAL_CUITS = [
    "30517583231",
    "23100588994",
    "20315600449",
    "30715566474",
    "23181404639",
    "20130465685",
    "20102000537",
    "20321911847",
    "30500017704",
]


@pytest.mark.parametrize("cuit", REAL_CUITS)
def test_real_cuits_are_valid(cuit: str) -> None:
    assert is_valid_cuit(cuit)
    assert normalize_cuit(cuit) == cuit
    assert cuit_check_digit(cuit[:10]) == int(cuit[10])


@pytest.mark.parametrize(
    "text",
    [
        "30-51758323-1",
        "30 51758323 1",
        "30.51758323.1",
        "30-51758323/1",
        " 30517583231 ",
        "CUIT: 30-51758323-1",
        "C.U.I.T. N° 30-51758323-1",
        "30–51758323–1",
        30517583231,
    ],
)
def test_normalize_accepts_separators(text: str | int) -> None:
    assert normalize_cuit(text) == "30517583231"
    assert format_cuit(text) == "30-51758323-1"


def test_format_cuit() -> None:
    assert format_cuit("20321911847") == "20-32191184-7"
    with pytest.raises(InvalidCuit):
        format_cuit("20321911848")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty CUIT"),
        ("3051758323", "has 10 characters; expected 11 digits"),
        ("305175832310", "has 12 characters"),
        ("30-51758323-2", "has check digit 2 but 1 was expected"),
        ("30-5175832A-1", "contains characters other than digits"),
        ("12-51758323-1", "starts with '12', which is not a CUIT/CUIL type"),
    ],
)
def test_invalid_cuits_say_why(text: str, reason: str) -> None:
    with pytest.raises(InvalidCuit, match=reason):
        normalize_cuit(text)
    assert not is_valid_cuit(text)


def test_invalid_cuit_is_a_value_error() -> None:
    assert issubclass(InvalidCuit, ValueError)
    assert not is_valid_cuit(None)


def test_check_digit_examples() -> None:
    assert cuit_check_digit("2026756539") == 3  # python-stdnum's documented example
    assert cuit_check_digit("20-05536168") == 2
    with pytest.raises(ValueError, match="exactly 10 digits"):
        cuit_check_digit("123")
    with pytest.raises(ValueError, match="exactly 10 digits"):
        cuit_check_digit("20abcdefgh")


@given(
    prefix=st.sampled_from(["20", "23", "24", "27", "30", "33", "34"]),
    body=st.text(alphabet="0123456789", min_size=8, max_size=8),
)
def test_check_digit_makes_a_valid_cuit(prefix: str, body: str) -> None:
    first_ten = prefix + body
    cuit = first_ten + str(cuit_check_digit(first_ten))
    assert is_valid_cuit(cuit)
    assert normalize_cuit(format_cuit(cuit)) == cuit
    wrong = first_ten + str((int(cuit[-1]) + 1) % 10)
    assert not is_valid_cuit(wrong)
