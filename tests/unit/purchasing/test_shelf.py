"""Shelf prices: precio redondo rules, the minimum-margin floor and the effective margin."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minimarket.purchasing.shelf import RuleError, parse_rule, round_price, shelf_price


@pytest.mark.parametrize(
    ("rule", "price", "nearest", "up"),
    [
        ("10", "1234.40", "1230.00", "1240.00"),
        ("50", "1234.40", "1250.00", "1250.00"),
        ("100", "1234.40", "1200.00", "1300.00"),
        ("9", "1234.40", "1239.00", "1239.00"),
        ("90", "1234.40", "1190.00", "1290.00"),
        ("99", "1234.40", "1199.00", "1299.00"),
    ],
)
def test_rules(rule: str, price: str, nearest: str, up: str) -> None:
    r = parse_rule(rule)
    assert round_price(Decimal(price), r, Decimal(0)) == Decimal(nearest)
    assert round_price(Decimal(price), r, Decimal(0), "up") == Decimal(up)


def test_never_below_cost_plus_minimum_margin_and_effective_margin_shown() -> None:
    # cost 1000, 21 % VAT: floor = 1000 × 1.14 × 1.21 = 1379.40; the suggestion 1340 would round to 1300
    result = shelf_price(
        cost=Decimal("1000"),
        suggested=Decimal("1340"),
        vat_rate=Decimal("21"),
        min_margin=Decimal("0.14"),
        rule=parse_rule("100"),
    )
    assert result.floor == Decimal("1379.40") and result.price == Decimal("1400.00") and result.at_floor
    assert result.effective_markup_pct == pytest.approx((1400 / 1.21 / 1000 - 1) * 100)
    assert result.as_dict()["shelf_price"] == "1400.00"


def test_unknown_rule_is_a_clear_error() -> None:
    with pytest.raises(RuleError, match="10, 50 o 100"):
        parse_rule("7")


@given(
    cost=st.decimals(min_value=Decimal("1"), max_value=Decimal("500000"), places=2),
    markup=st.decimals(min_value=Decimal("0"), max_value=Decimal("1.5"), places=2),
    floor_margin=st.decimals(min_value=Decimal("0"), max_value=Decimal("0.5"), places=2),
    rule=st.sampled_from(["10", "50", "100", "9", "90", "99"]),
    direction=st.sampled_from(["nearest", "up"]),
)
def test_printed_price_follows_its_rule_and_never_goes_under_the_floor(
    cost: Decimal, markup: Decimal, floor_margin: Decimal, rule: str, direction: str
) -> None:
    r = parse_rule(rule)
    suggested = (cost * (1 + markup) * Decimal("1.21")).quantize(Decimal("0.01"))
    result = shelf_price(
        cost=cost,
        suggested=suggested,
        vat_rate=Decimal("21"),
        min_margin=floor_margin,
        rule=r,
        direction=direction,  # type: ignore[arg-type]
    )
    assert result.price >= result.floor
    assert (result.price - r.offset) % r.step == 0
    assert result.effective_markup_pct >= float(floor_margin) * 100 - 1e-6
