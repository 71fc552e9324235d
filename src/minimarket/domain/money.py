"""Money helpers: Decimal everywhere, rounded HALF_UP to cents only at the edges."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0")


def to_decimal(value: Decimal | int | str | float) -> Decimal:
    """Convert to Decimal; floats go through ``repr`` so 0.1 stays 0.1."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc


def to_cents(value: Decimal | int | str | float) -> Decimal:
    """Round to cents, HALF_UP (the rounding AFIP uses)."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


LINE_TOLERANCE = Decimal("0.011")
"""How far quantity × unit price may be from a printed amount: a cent, the rounding of a printed figure."""


def line_adds_up(
    quantity: Decimal,
    unit_price: Decimal,
    amount: Decimal,
    discount: Decimal | None = None,
    discount_pct: Decimal | None = None,
) -> bool:
    """quantity × unit price, less its discount (an amount, or a percentage when given), is ``amount`` to
    the cent — or the amount is the gross one (some invoices print the discount apart)."""
    gross = quantity * unit_price
    net = gross - (discount or ZERO) if discount_pct is None else gross * (1 - discount_pct / 100)
    return abs(net - amount) <= LINE_TOLERANCE or abs(gross - amount) <= LINE_TOLERANCE


def format_ars(value: Decimal | int | str | float, symbol: bool = True) -> str:
    """es-AR format for people: ``$ 1.234,56`` (negative as ``-$ 1.234,56``)."""
    cents = to_cents(value)
    sign = "-" if cents < 0 else ""
    integer, _, frac = f"{abs(cents):,.2f}".partition(".")
    text = f"{integer.replace(',', '.')},{frac}"
    return f"{sign}$ {text}" if symbol else f"{sign}{text}"
