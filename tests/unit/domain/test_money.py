"""Money helpers."""

from __future__ import annotations

from decimal import Decimal as D

from minimarket.domain.money import line_adds_up


def test_a_line_adds_up_to_the_cent_with_its_discount_as_an_amount_or_a_percentage() -> None:
    assert line_adds_up(D("3"), D("100.50"), D("301.50"))
    assert line_adds_up(D("3"), D("100.50"), D("291.50"), discount=D("10"))
    assert line_adds_up(D("2"), D("100"), D("180.00"), discount_pct=D("10"))
    assert line_adds_up(D("2"), D("100"), D("200.00"), discount_pct=D("10"))  # the gross printed, discount apart
    assert line_adds_up(D("1.5"), D("3.33"), D("5.00"))  # 4.995: a printed figure's rounding


def test_a_line_off_by_more_than_a_cent_does_not_add_up() -> None:
    assert not line_adds_up(D("3"), D("100.50"), D("301.52"))
    assert not line_adds_up(D("2"), D("100"), D("190.00"), discount_pct=D("10"))
    assert not line_adds_up(D("3"), D("100.50"), D("295.00"), discount=D("10"))
