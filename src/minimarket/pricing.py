"""Shelf price suggestions from invoiced costs and expected inflation, and supplier price-rise flags.

* Suggested shelf price = latest invoiced unit cost (net of VAT) × (1 + category markup) × (1 + VAT)
  × (1 + expected category inflation until the next restock), rounded HALF_UP to cents.
* Expected category inflation = the inflation forecast for the coming months scaled by how the
  category's COICOP division moved relative to the headline recently (INDEC division file),
  compounded over the days until the next restock (lead time + review period).
* A supplier price rise is flagged when the cost went up by more than the category's inflation over
  the same months plus a margin (``max(min_excess_pp, relative_excess × expected)``), with the evidence:
  old and new cost, dates and invoice numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from minimarket.forecast.policies import ShopPolicies, load_policies

CENT = Decimal("0.01")


class Evidence(Protocol):
    """What a cost comes from (an invoice line), shown to a person on demand."""

    def as_dict(self) -> dict[str, object]: ...


def markup_for(
    category: str | None, markups: Mapping[str, Decimal] | None = None, policies: ShopPolicies | None = None
) -> Decimal:
    """The category's markup (fraction): from ``markups`` if given, else the shop's policies file
    (``data/raw/catalog/policies.csv``), else ``Settings.default_markup_pct``."""
    rules = policies or load_policies()
    if markups is not None:
        return markups.get(category or "", rules.default_markup)
    return rules.markup(category)


def compound_pct(monthly_pct: Sequence[float], months: float) -> float:
    """Cumulative % over ``months`` (fractional allowed) of the monthly path (last value repeated)."""
    if months <= 0 or not monthly_pct:
        return 0.0
    total, remaining, i = 1.0, months, 0
    while remaining > 1e-12:
        pct = monthly_pct[min(i, len(monthly_pct) - 1)]
        step = min(1.0, remaining)
        total *= (1 + pct / 100) ** step
        remaining -= step
        i += 1
    return 100.0 * (total - 1.0)


def suggested_price(cost: Decimal, markup: Decimal, vat_rate: Decimal, expected_inflation_pct: float) -> Decimal:
    """Shelf price (VAT included) that still covers the next restock's cost."""
    inflation = Decimal(str(round(expected_inflation_pct, 6))) / 100
    price = cost * (1 + markup) * (1 + vat_rate / 100) * (1 + inflation)
    return price.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CostObservation:
    """One invoiced unit cost of a SKU."""

    sku: str
    unit_cost: Decimal
    date: dt.date
    invoice: str
    supplier: str | None = None
    evidence: Evidence | None = None
    """The invoice line behind it (what was printed and how it became a unit cost), when known."""


@dataclass(frozen=True)
class PriceRise:
    sku: str
    supplier: str | None
    old_cost: Decimal
    new_cost: Decimal
    old_invoice: str
    new_invoice: str
    old_date: dt.date
    new_date: dt.date
    rise_pct: float
    expected_pct: float
    excess_pp: float

    def as_dict(self) -> dict[str, object]:
        return {
            "sku": self.sku,
            "supplier": self.supplier,
            "old_cost": str(self.old_cost),
            "new_cost": str(self.new_cost),
            "old_invoice": self.old_invoice,
            "new_invoice": self.new_invoice,
            "old_date": self.old_date.isoformat(),
            "new_date": self.new_date.isoformat(),
            "rise_pct": round(self.rise_pct, 2),
            "expected_category_inflation_pct": round(self.expected_pct, 2),
            "excess_pp": round(self.excess_pp, 2),
        }


def months_between(start: dt.date, end: dt.date) -> float:
    return max(0.0, (end - start).days / 30.4375)


def price_rise_flag(
    old: CostObservation,
    new: CostObservation,
    expected_pct: float,
    *,
    min_excess_pp: float = 5.0,
    relative_excess: float = 1.0,
) -> PriceRise | None:
    """A :class:`PriceRise` if ``new`` costs more than ``old`` by well over ``expected_pct``, else None."""
    if old.unit_cost <= 0:
        return None
    rise = float(new.unit_cost / old.unit_cost - 1) * 100
    margin = max(min_excess_pp, relative_excess * max(expected_pct, 0.0))
    if rise <= expected_pct + margin:
        return None
    return PriceRise(
        sku=new.sku,
        supplier=new.supplier,
        old_cost=old.unit_cost,
        new_cost=new.unit_cost,
        old_invoice=old.invoice,
        new_invoice=new.invoice,
        old_date=old.date,
        new_date=new.date,
        rise_pct=rise,
        expected_pct=expected_pct,
        excess_pp=rise - expected_pct,
    )


def realised_inflation_pct(monthly: Mapping[str, float], start: dt.date, end: dt.date, fallback_pct: float) -> float:
    """Compound the known monthly % between two dates (pro rata of the partial months); months not in
    ``monthly`` (``{"YYYY-MM": pct}``) use ``fallback_pct``."""
    if end <= start:
        return 0.0
    total = 1.0
    cursor = start
    while cursor < end:
        month_end = (cursor.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        stop = min(month_end, end)
        days_in_month = (month_end - cursor.replace(day=1)).days
        share = (stop - cursor).days / days_in_month
        pct = monthly.get(f"{cursor.year:04d}-{cursor.month:02d}", fallback_pct)
        total *= (1 + pct / 100) ** share
        cursor = stop
    return 100.0 * (total - 1.0)
