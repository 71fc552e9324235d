"""Plausible bounds for values a shop's data can hold: money, quantities, dates, codes.

A value outside them cannot belong to a mini market's invoice, catalog or sales (a cost of 1e32, a sale in the
year 0001 or 9999, a 30-digit quantity) and is refused where it enters — an import, a correction — with a
Spanish message saying what is accepted, so that no stored row can later break a reader (pricing, forecasts).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

__all__ = [
    "EARLIEST_DATE",
    "MAX_MONEY",
    "MAX_QUANTITY",
    "OutOfBounds",
    "check_date",
    "check_money",
    "check_quantity",
]

MAX_MONEY = Decimal("1000000000000")
"""A trillion pesos (10^12): above any invoice or price of a mini market, well inside NUMERIC(18, 2)."""

MAX_QUANTITY = Decimal("1000000")
"""A million units (or kilograms) on one line or one sale."""

MAX_DECIMALS = 6
"""More decimals than this is no price or quantity (unit prices are printed with up to 6)."""

EARLIEST_DATE = dt.date(1990, 1, 1)
"""Nothing a shop records predates this (the CUIT dates from the 1990s)."""

FUTURE_SLACK = dt.timedelta(days=1)
"""A date may be this far after today (time zones), no further."""


class OutOfBounds(ValueError):
    """A value no invoice, catalog row or sale can have; the message is Spanish, for the person who typed it."""


def _finite(value: Decimal, what: str) -> Decimal:
    if not value.is_finite():
        raise OutOfBounds(f"{what}: {value} no es un número")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMALS:
        raise OutOfBounds(f"{what}: {value} tiene más de {MAX_DECIMALS} decimales")
    return value


def check_money(value: Decimal, what: str = "importe", *, negative: bool = False) -> Decimal:
    """``value`` if it is a plausible amount of pesos (0..10^12, or ±10^12 with ``negative``); else OutOfBounds."""
    _finite(value, what)
    low = -MAX_MONEY if negative else Decimal(0)
    if not low <= value <= MAX_MONEY:
        accepted = "entre -1.000.000.000.000 y 1.000.000.000.000" if negative else "entre 0 y 1.000.000.000.000"
        raise OutOfBounds(f"{what}: {value} no es plausible; se acepta un importe {accepted}")
    return value


def check_quantity(value: Decimal, what: str = "cantidad", *, negative: bool = False, zero: bool = False) -> Decimal:
    """``value`` if it is a plausible quantity (up to a million; negative only with ``negative``, e.g. returns;
    zero only with ``zero``); else OutOfBounds."""
    _finite(value, what)
    if abs(value) > MAX_QUANTITY or (value < 0 and not negative) or (value == 0 and not zero):
        sign = "-1.000.000 y 1.000.000" if negative else "0 y 1.000.000"
        raise OutOfBounds(f"{what}: {value} no es plausible; se acepta una cantidad entre {sign}")
    return value


def check_date(
    value: dt.date,
    what: str = "fecha",
    *,
    today: dt.date | None = None,
    future: dt.timedelta = FUTURE_SLACK,
) -> dt.date:
    """``value`` if it lies between :data:`EARLIEST_DATE` and ``today + future``; else OutOfBounds."""
    latest = (today or dt.date.today()) + future
    if not EARLIEST_DATE <= value <= latest:
        raise OutOfBounds(
            f"{what}: {value:%d/%m/%Y} no es plausible; se acepta entre {EARLIEST_DATE:%d/%m/%Y} y {latest:%d/%m/%Y}"
        )
    return value
