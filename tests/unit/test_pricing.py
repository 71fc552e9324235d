import datetime as dt
from decimal import Decimal

import pytest

from minimarket.pricing import (
    CostObservation,
    compound_pct,
    markup_for,
    price_rise_flag,
    realised_inflation_pct,
    suggested_price,
)


def test_suggested_price_math_and_rounding():
    price = suggested_price(Decimal("1000"), Decimal("0.30"), Decimal("21"), 2.0)
    assert price == Decimal("1604.46")  # 1000 × 1.30 × 1.21 × 1.02 = 1604.46
    assert suggested_price(Decimal("0.005"), Decimal("0"), Decimal("0"), 0.0) == Decimal("0.01")  # HALF_UP


def test_compound_pct_fractional_months():
    assert compound_pct([2.0], 1) == pytest.approx(2.0)
    assert compound_pct([2.0, 3.0], 2) == pytest.approx(5.06)
    assert compound_pct([2.0], 0.5) == pytest.approx(100 * (1.02**0.5 - 1))
    assert compound_pct([], 3) == 0.0


def test_markups_per_category():
    assert markup_for("Cigarrillos") == Decimal("0.12")
    assert markup_for("Desconocida") == Decimal("0.35")
    assert markup_for("X", {"X": Decimal("0.5")}) == Decimal("0.5")


def _obs(cost: str, day: dt.date, invoice: str) -> CostObservation:
    return CostObservation("YER-0001", Decimal(cost), day, invoice, "Distribuidora")


def test_price_rise_flag_with_evidence():
    old = _obs("1000", dt.date(2026, 1, 5), "A 00003-00000100")
    new = _obs("1200", dt.date(2026, 3, 5), "A 00003-00000180")
    flag = price_rise_flag(old, new, expected_pct=4.0)
    assert flag is not None
    evidence = flag.as_dict()
    assert evidence["old_cost"] == "1000" and evidence["new_cost"] == "1200"
    assert evidence["old_invoice"] == "A 00003-00000100" and evidence["new_invoice"] == "A 00003-00000180"
    assert evidence["rise_pct"] == pytest.approx(20.0)
    assert evidence["excess_pp"] == pytest.approx(16.0)


def test_rise_in_line_with_inflation_is_not_flagged():
    old = _obs("1000", dt.date(2026, 1, 5), "A 1")
    assert price_rise_flag(old, _obs("1080", dt.date(2026, 4, 5), "A 2"), expected_pct=6.0) is None
    assert price_rise_flag(old, _obs("900", dt.date(2026, 4, 5), "A 2"), expected_pct=6.0) is None


def test_realised_inflation_between_dates_pro_rata():
    monthly = {"2026-01": 2.0, "2026-02": 3.0}
    full = realised_inflation_pct(monthly, dt.date(2026, 1, 1), dt.date(2026, 3, 1), fallback_pct=10)
    assert full == pytest.approx(5.06)
    half = realised_inflation_pct(monthly, dt.date(2026, 3, 1), dt.date(2026, 3, 1) + dt.timedelta(days=31), 2.0)
    assert half == pytest.approx(2.0)
