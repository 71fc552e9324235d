"""The legacy Interleaved-2-of-5 barcode printed on CAE invoices (RG 1702, Anexo I).

Layout, left to right, all digits:

- 40 digits: CUIT (11) + document type (2) + point of sale (4) + CAE (14) + CAE due date
  YYYYMMDD (8) + check digit (1);
- 42 digits: the same with a 3-digit document type and a 5-digit point of sale (codes ≥ 100,
  such as FCE 201, or points of sale ≥ 10000).

The check digit is RG 1702's "módulo 10": add the digits in odd positions counting from the left
(1st, 3rd, ...), multiply by 3, add the digits in even positions; the check digit is what takes
the total to the next multiple of 10. RG 1702's example: ``01234567890`` → 5.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

__all__ = [
    "BarcodeParseError",
    "CaeBarcode",
    "build_cae_barcode",
    "mod10_check_digit",
    "parse_cae_barcode",
]


class BarcodeParseError(ValueError):
    """The digits are not a 40- or 42-digit CAE barcode."""


@dataclass(frozen=True)
class CaeBarcode:
    """The fields of a CAE barcode; ``check_ok`` says whether the printed check digit is right."""

    cuit: str
    afip_code: int
    point_of_sale: int
    cae: str
    cae_due_date: dt.date
    check_digit: int
    check_ok: bool


def mod10_check_digit(digits: str) -> int:
    """RG 1702 check digit: 3 × Σ odd positions + Σ even positions (1-based, from the left),
    then the smallest number that takes the sum to a multiple of 10."""
    if not digits or not digits.isdigit():
        raise ValueError(f"the check digit needs a non-empty string of digits, got {digits!r}")
    odd = sum(int(d) for d in digits[0::2])
    even = sum(int(d) for d in digits[1::2])
    return (10 - (3 * odd + even) % 10) % 10


_LAYOUTS = {40: (2, 4), 42: (3, 5)}


def parse_cae_barcode(digits: str) -> CaeBarcode:
    """Split a 40- or 42-digit CAE barcode into its fields (spaces are ignored).

    Raises :class:`BarcodeParseError` on a wrong length, non-digits or an impossible due date; a
    wrong check digit is reported by ``check_ok=False`` rather than raised.
    """
    text = re.sub(r"\s+", "", str(digits))
    if text and not text.isdigit():
        raise BarcodeParseError(f"a CAE barcode has only digits, got {digits!r}")
    if len(text) not in _LAYOUTS:
        raise BarcodeParseError(f"a CAE barcode has 40 or 42 digits, got {len(text)}")
    type_len, pos_len = _LAYOUTS[len(text)]
    cursor = 0

    def take(n: int) -> str:
        nonlocal cursor
        chunk = text[cursor : cursor + n]
        cursor += n
        return chunk

    cuit = take(11)
    afip_code = int(take(type_len))
    point_of_sale = int(take(pos_len))
    cae = take(14)
    due = take(8)
    check_digit = int(take(1))
    try:
        cae_due_date = dt.datetime.strptime(due, "%Y%m%d").date()
    except ValueError:
        raise BarcodeParseError(f"the CAE due date {due!r} is not a valid YYYYMMDD date") from None
    return CaeBarcode(
        cuit=cuit,
        afip_code=afip_code,
        point_of_sale=point_of_sale,
        cae=cae,
        cae_due_date=cae_due_date,
        check_digit=check_digit,
        check_ok=mod10_check_digit(text[:-1]) == check_digit,
    )


def build_cae_barcode(
    cuit: str,
    afip_code: int,
    point_of_sale: int,
    cae: str,
    cae_due_date: dt.date,
    long: bool | None = None,
) -> str:
    """The barcode digits with their check digit.

    ``long=None`` picks the 40-digit layout when the document type fits in 2 digits and the point
    of sale in 4, else the 42-digit one; ``long=True``/``False`` forces it. ``ValueError`` when a
    field does not fit.
    """
    cuit_digits = re.sub(r"[\s\-.]", "", str(cuit))
    cae_digits = str(cae).strip()
    if len(cuit_digits) != 11 or not cuit_digits.isdigit():
        raise ValueError(f"the CUIT must have 11 digits, got {cuit!r}")
    if len(cae_digits) != 14 or not cae_digits.isdigit():
        raise ValueError(f"the CAE must have 14 digits, got {cae!r}")
    if afip_code < 0 or point_of_sale < 0:
        raise ValueError("document type and point of sale must not be negative")
    if long is None:
        long = afip_code > 99 or point_of_sale > 9999
    type_len, pos_len = _LAYOUTS[42 if long else 40]
    if afip_code >= 10**type_len or point_of_sale >= 10**pos_len:
        raise ValueError(
            f"document type {afip_code} or point of sale {point_of_sale} does not fit the "
            f"{'42' if long else '40'}-digit layout ({type_len} and {pos_len} digits)"
        )
    body = f"{cuit_digits}{afip_code:0{type_len}d}{point_of_sale:0{pos_len}d}{cae_digits}{cae_due_date:%Y%m%d}"
    return body + str(mod10_check_digit(body))
