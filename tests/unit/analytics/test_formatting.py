"""es-AR formats a manager reads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from minimarket.analytics import formatting as fmt


def test_money_numbers_percentages_and_dates_are_argentine() -> None:
    assert fmt.money(Decimal("1234.565")) == "$ 1.234,57"
    assert fmt.money(-5) == "-$ 5,00"
    assert fmt.number(1234567) == "1.234.567"
    assert fmt.number(2.35, 1) == "2,4"
    assert fmt.pct(2.1) == "2,1 %"
    assert fmt.pct(3, signed=True) == "+3,0 %"
    assert fmt.date(dt.date(2026, 8, 31)) == "31/08/2026"
    assert fmt.date("2026-08-31") == "31/08/2026"
    assert fmt.month("2026-08") == "ago 2026"
    assert fmt.month(dt.date(2025, 1, 2)) == "ene 2025"


def test_unknown_values_show_a_dash_not_nan() -> None:
    assert fmt.money(None) == fmt.number(float("nan")) == fmt.pct(None) == fmt.date(None) == "—"
