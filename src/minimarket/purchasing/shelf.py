"""Shelf prices a shop would print: the suggested price rounded to the shop's "precio redondo", never below cost
plus the category's minimum margin, with the margin the rounded price really earns.

Rounding rules (the VAT-included price, whole pesos):

- ``"10"``, ``"50"``, ``"100"``: a multiple of $ 10, $ 50 or $ 100 ($ 1.234 → $ 1.230, $ 1.250, $ 1.200);
- ``"9"``, ``"90"``, ``"99"``: ending in 9, 90 or 99 ($ 1.234 → $ 1.239, $ 1.190, $ 1.199).

The rounded price is the candidate nearest the suggested one (``direction="nearest"``, the default) or the next one
up (``"up"``), and never below the floor: cost × (1 + minimum margin) × (1 + VAT) (× (1 + impuestos internos)
when the supplier adds them); when the nearest candidate is below the floor, the first one above it is taken.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any, Literal

__all__ = ["RULES", "RoundingRule", "ShelfPrice", "parse_rule", "round_price", "shelf_price"]

RULES = ("10", "50", "100", "9", "90", "99")
Direction = Literal["nearest", "up"]


class RuleError(ValueError):
    """An unknown rounding rule (Spanish message)."""


@dataclass(frozen=True)
class RoundingRule:
    """Prices are ``k × step + offset`` for whole ``k`` (``step=10, offset=0``: multiples of 10; ``step=100,
    offset=90``: ending in 90)."""

    name: str
    step: int
    offset: int

    def below(self, value: Decimal) -> Decimal:
        k = ((value - self.offset) / self.step).to_integral_value(rounding=ROUND_FLOOR)
        return k * self.step + self.offset

    def above(self, value: Decimal) -> Decimal:
        k = ((value - self.offset) / self.step).to_integral_value(rounding=ROUND_CEILING)
        return k * self.step + self.offset

    @property
    def label(self) -> str:
        if self.offset:
            return f"terminado en {self.name}"
        return f"múltiplo de $ {self.step}"


def parse_rule(name: str) -> RoundingRule:
    """``"10"``, ``"50"``, ``"100"``, ``"9"``, ``"90"`` or ``"99"``; :class:`RuleError` otherwise."""
    text = str(name).strip().lstrip("$").strip()
    rules = {
        "10": RoundingRule("10", 10, 0),
        "50": RoundingRule("50", 50, 0),
        "100": RoundingRule("100", 100, 0),
        "9": RoundingRule("9", 10, 9),
        "90": RoundingRule("90", 100, 90),
        "99": RoundingRule("99", 100, 99),
    }
    if text not in rules:
        raise RuleError(
            f"regla de redondeo {name!r} desconocida; use 10, 50 o 100 (múltiplos) o 9, 90 o 99 (terminaciones)"
        )
    return rules[text]


def round_price(price: Decimal, rule: RoundingRule, floor: Decimal, direction: Direction = "nearest") -> Decimal:
    """``price`` rounded by ``rule``, never below ``floor``."""
    low, high = rule.below(price), rule.above(price)
    nearest = low if price - low < high - price else high
    chosen = high if direction == "up" else nearest
    if chosen < floor:
        chosen = rule.above(floor)
    return chosen.quantize(Decimal("0.01"))


@dataclass(frozen=True)
class ShelfPrice:
    """The suggested price, the printed one, the floor, and what the printed one earns."""

    suggested: Decimal
    price: Decimal
    floor: Decimal
    rule: str
    effective_markup_pct: float
    """(net price ÷ cost − 1) × 100: what the printed price earns over cost."""
    effective_margin_pct: float
    """(1 − cost ÷ net price) × 100: the share of the net price that is margin."""
    at_floor: bool
    """True when the floor, not the rounding, set the price."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "suggested_price": str(self.suggested),
            "shelf_price": str(self.price),
            "floor_price": str(self.floor),
            "rounding_rule": self.rule,
            "effective_markup_pct": round(self.effective_markup_pct, 2),
            "effective_margin_pct": round(self.effective_margin_pct, 2),
            "raised_to_floor": self.at_floor,
        }


def shelf_price(
    *,
    cost: Decimal,
    suggested: Decimal,
    vat_rate: Decimal,
    min_margin: Decimal,
    rule: RoundingRule,
    internal_tax_rate: Decimal = Decimal(0),
    direction: Direction = "nearest",
) -> ShelfPrice:
    """The printed price for a unit costing ``cost`` (net of VAT) whose suggested price (VAT included) is
    ``suggested``; ``min_margin`` and the rates are fractions and percents as in the policies (0.14, 21)."""
    taxes = (1 + Decimal(vat_rate) / 100) * (1 + Decimal(internal_tax_rate) / 100)
    floor = (Decimal(cost) * (1 + Decimal(min_margin)) * taxes).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    natural = round_price(Decimal(suggested), rule, Decimal(0), direction)
    price = round_price(Decimal(suggested), rule, floor, direction)
    net = price / taxes
    markup = float(net / Decimal(cost) - 1) * 100 if cost > 0 else math.inf
    margin = float(1 - Decimal(cost) / net) * 100 if net > 0 else 0.0
    return ShelfPrice(Decimal(suggested), price, floor, rule.label, markup, margin, price != natural)
