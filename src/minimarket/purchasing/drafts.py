"""Purchase drafts a supplier would accept, and a week's cash budget spent by a documented priority.

For each supplier whose next order day falls within the horizon (a week by default):

1. **Order days.** The order is placed on the supplier's next order day (``order_days`` in the suppliers file; any
   day when it has none) and arrives ``lead_time_days`` later. Stock is projected to the order day, and the order
   covers demand until the delivery after the *following* order day (the review period is the gap between the two
   order days), at the category's service level (:func:`minimarket.forecast.reorder.advise`).
2. **Pack sizes.** Quantities are whole boxes of the supplier's pack size, rounded up so the service level is kept
   (never 7 units of a product sold in boxes of 12).
3. **Minimum order** (``min_order_amount`` in pesos net of VAT, or ``min_order_packs`` boxes). A draft below it is
   topped up — a box at a time to the product with the fewest days of cover after the order — when something
   would run out before the next order could arrive; otherwise it is postponed to the next order day.
4. **Cash budget** (optional, for the week). Lines are bought by priority = **margin ÷ days of cover left**
   (markup over cost ÷ max(stock ÷ daily demand, ½ day)): what runs out soonest first, and between two that run out
   together, the one that earns more per peso. A line that does not fit whole is cut to the boxes that last until
   the next delivery when those fit. A supplier whose bought lines fall below its minimum is dropped and its money
   goes to the next lines.

Everything that is not bought is listed with the reason (Spanish): budget, supplier minimum, no known cost,
postponed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from minimarket.domain.money import format_ars, to_cents
from minimarket.forecast.reorder import ReorderPolicy, advise

__all__ = [
    "PRIORITY",
    "Draft",
    "DraftLine",
    "NotFitted",
    "PlanItem",
    "PurchasePlan",
    "SupplierTerms",
    "next_order_day",
    "plan_purchases",
]

PRIORITY = (
    "margen ÷ días de cobertura: primero lo que se agota antes y, entre dos que se agotan a la vez, lo que deja "
    "más margen por peso"
)
WEEKDAYS = {"lun": 0, "mar": 1, "mié": 2, "mie": 2, "jue": 3, "vie": 4, "sáb": 5, "sab": 5, "dom": 6}
DEFAULT_REVIEW_DAYS = 7
MAX_TOP_UP_PACKS = 500


def _ddmm(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class SupplierTerms:
    """How a supplier takes orders."""

    key: str
    name: str
    lead_time_days: int
    order_days: tuple[int, ...] = ()
    """Weekdays (0 = Monday) it takes orders; empty = any day."""
    min_order_amount: Decimal | None = None
    min_order_packs: int | None = None

    @classmethod
    def from_names(
        cls, key: str, name: str, lead_time_days: int, order_days: Iterable[str], **kw: Any
    ) -> SupplierTerms:
        days = tuple(sorted({WEEKDAYS[d] for d in order_days if d in WEEKDAYS}))
        return cls(key, name, max(0, int(lead_time_days)), days, **kw)

    def minimum_label(self) -> str:
        parts = []
        if self.min_order_amount:
            parts.append(format_ars(self.min_order_amount))
        if self.min_order_packs:
            parts.append(f"{self.min_order_packs} bultos")
        return " y ".join(parts) or "sin mínimo"


def next_order_day(terms: SupplierTerms, day: dt.date) -> dt.date:
    """The first day on or after ``day`` the supplier takes orders."""
    if not terms.order_days:
        return day
    for offset in range(7):
        candidate = day + dt.timedelta(days=offset)
        if candidate.weekday() in terms.order_days:
            return candidate
    return day  # pragma: no cover - order_days is never empty here


def following_order_day(terms: SupplierTerms, order_day: dt.date) -> dt.date:
    if not terms.order_days:
        return order_day + dt.timedelta(days=DEFAULT_REVIEW_DAYS)
    return next_order_day(terms, order_day + dt.timedelta(days=1))


@dataclass(frozen=True)
class PlanItem:
    """A product that may be ordered: its supplier, pack, cost, margin, stock and recent daily sales."""

    sku: str
    name: str
    category: str | None
    supplier: str
    pack_size: int
    unit_cost: Decimal | None
    margin: Decimal
    """Markup over cost (fraction) of its category."""
    stock: float
    daily_sales: np.ndarray = field(repr=False)


@dataclass
class DraftLine:
    sku: str
    name: str
    category: str | None
    pack_size: int
    packs: int
    unit_cost: Decimal | None
    daily_demand: float
    stock: float
    days_of_cover: float | None
    urgent: bool
    priority: float
    min_packs: int
    """Boxes that last until the next delivery (what a tight budget still buys)."""
    note: str | None = None

    @property
    def units(self) -> int:
        return self.packs * self.pack_size

    @property
    def cost(self) -> Decimal | None:
        return None if self.unit_cost is None else to_cents(self.unit_cost * self.units)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "name": self.name,
            "category": self.category,
            "packs": self.packs,
            "pack_size": self.pack_size,
            "units": self.units,
            "unit_cost": None if self.unit_cost is None else str(self.unit_cost),
            "cost": None if self.cost is None else str(self.cost),
            "stock": round(self.stock, 2),
            "daily_demand": round(self.daily_demand, 3),
            "days_of_cover": self.days_of_cover,
            "urgent": self.urgent,
            "priority": round(self.priority, 4),
            "note": self.note,
        }


@dataclass
class Draft:
    """One supplier's order for its next order day."""

    terms: SupplierTerms
    order_date: dt.date
    delivery_date: dt.date
    next_order_date: dt.date
    lines: list[DraftLine]
    status: str = "ok"
    """``ok``, ``topped_up`` (raised to the minimum) or ``postponed`` (below the minimum, nothing urgent)."""
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.cost or Decimal(0) for line in self.lines), Decimal(0))

    @property
    def packs(self) -> int:
        return sum(line.packs for line in self.lines)

    def meets_minimum(self, lines: Sequence[DraftLine] | None = None) -> bool:
        chosen = self.lines if lines is None else lines
        total = sum((line.cost or Decimal(0) for line in chosen), Decimal(0))
        packs = sum(line.packs for line in chosen)
        amount_ok = not self.terms.min_order_amount or total >= self.terms.min_order_amount
        packs_ok = not self.terms.min_order_packs or packs >= self.terms.min_order_packs
        return amount_ok and packs_ok

    def as_dict(self) -> dict[str, Any]:
        return {
            "supplier": self.terms.key,
            "supplier_name": self.terms.name,
            "order_date": self.order_date.isoformat(),
            "delivery_date": self.delivery_date.isoformat(),
            "next_order_date": self.next_order_date.isoformat(),
            "status": self.status,
            "minimum": self.terms.minimum_label(),
            "min_order_amount": None if self.terms.min_order_amount is None else str(self.terms.min_order_amount),
            "min_order_packs": self.terms.min_order_packs,
            "packs": self.packs,
            "total": str(to_cents(self.total)),
            "lines": [line.as_dict() for line in self.lines],
            "notes": self.notes,
        }


@dataclass(frozen=True)
class NotFitted:
    """Something the plan does not buy, and why (Spanish)."""

    sku: str
    name: str
    supplier_name: str
    packs: int
    cost: Decimal | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "name": self.name,
            "supplier_name": self.supplier_name,
            "packs": self.packs,
            "cost": None if self.cost is None else str(self.cost),
            "reason": self.reason,
        }


@dataclass
class PurchasePlan:
    as_of: dt.date
    horizon_days: int
    budget: Decimal | None
    drafts: list[Draft]
    not_fitted: list[NotFitted]
    later: list[dict[str, Any]]

    @property
    def spent(self) -> Decimal:
        return sum((d.total for d in self.drafts if d.status != "postponed"), Decimal(0))

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "horizon_days": self.horizon_days,
            "budget": None if self.budget is None else str(to_cents(self.budget)),
            "spent": str(to_cents(self.spent)),
            "priority": PRIORITY,
            "drafts": [d.as_dict() for d in self.drafts if d.status != "postponed"],
            "postponed": [d.as_dict() for d in self.drafts if d.status == "postponed"],
            "not_fitted": [n.as_dict() for n in self.not_fitted],
            "later": self.later,
        }


# --- one supplier -------------------------------------------------------------------------------------------------


def _line(
    item: PlanItem, terms: SupplierTerms, today: dt.date, order: dt.date, following: dt.date, policy: ReorderPolicy
) -> tuple[DraftLine, bool]:
    """The item's line (possibly 0 boxes) and whether it needs ordering now."""
    history = np.asarray(item.daily_sales, dtype=float)[-policy.history_days :]
    mean = float(np.nanmean(history)) if history.size else 0.0
    projected = max(0.0, item.stock - mean * (order - today).days)
    review = max(1, (following - order).days)
    advice = advise(
        item.sku,
        history,
        projected,
        lead_time_days=max(1, terms.lead_time_days),
        category=item.category,
        pack_size=item.pack_size,
        policy=dataclasses.replace(policy, review_period_days=review),
    )
    pack = max(1, item.pack_size)
    packs = advice.suggested_qty // pack
    until_next_delivery = (following - order).days + terms.lead_time_days
    urgent = mean > 0 and projected < mean * until_next_delivery
    shortfall = max(0.0, mean * ((following - today).days + terms.lead_time_days) - item.stock)
    cover = None if mean <= 0 else round(max(item.stock, 0.0) / mean, 1)
    priority = float(item.margin) / max(cover if cover is not None else math.inf, 0.5)
    line = DraftLine(
        sku=item.sku,
        name=item.name,
        category=item.category,
        pack_size=pack,
        packs=packs,
        unit_cost=item.unit_cost,
        daily_demand=mean,
        stock=item.stock,
        days_of_cover=cover,
        urgent=urgent,
        priority=priority if math.isfinite(priority) else 0.0,
        min_packs=min(packs, math.ceil(shortfall / pack)) if packs else 0,
    )
    return line, advice.needs_order and packs > 0


def _top_up(draft: Draft, spare: list[DraftLine]) -> None:
    """Add a box at a time to the line with the fewest days of cover after the order until the minimum is met."""
    pool = {line.sku: line for line in draft.lines}
    for line in spare:
        if line.sku not in pool and line.unit_cost is not None and line.daily_demand > 0:
            pool[line.sku] = line
    for _ in range(MAX_TOP_UP_PACKS):
        if draft.meets_minimum():
            return
        candidates = [line for line in pool.values() if line.unit_cost is not None and line.daily_demand > 0]
        if not candidates:
            return
        best = min(candidates, key=lambda ln: (ln.stock + ln.units) / ln.daily_demand)
        best.packs += 1
        best.note = "bultos agregados para llegar al mínimo del proveedor"
        if best not in draft.lines:
            draft.lines.append(best)


def _supplier_draft(
    terms: SupplierTerms, items: Sequence[PlanItem], today: dt.date, policy: ReorderPolicy
) -> tuple[Draft, list[NotFitted]]:
    order = next_order_day(terms, today)
    following = following_order_day(terms, order)
    draft = Draft(
        terms,
        order,
        order + dt.timedelta(days=terms.lead_time_days),
        following,
        [],
    )
    spare: list[DraftLine] = []
    for item in items:
        line, needed = _line(item, terms, today, order, following, policy)
        (draft.lines if needed else spare).append(line)
    left: list[NotFitted] = []
    if draft.lines and not draft.meets_minimum():
        minimum = terms.minimum_label()
        if any(line.urgent for line in draft.lines):
            _top_up(draft, spare)
            draft.status = "topped_up"
            draft.notes.append(f"completado hasta el mínimo del proveedor ({minimum}): algo se agotaría antes")
        else:
            draft.status = "postponed"
            reason = (
                f"no llega al pedido mínimo de {terms.name} ({minimum}) y nada se agota antes del próximo pedido "
                f"({_ddmm(following)}): se pide ese día"
            )
            draft.notes.append(reason)
            left = [NotFitted(ln.sku, ln.name, terms.name, ln.packs, ln.cost, reason) for ln in draft.lines]
    draft.lines.sort(key=lambda ln: -ln.priority)
    return draft, left


# --- the budget ---------------------------------------------------------------------------------------------------


def _spend(drafts: list[Draft], budget: Decimal) -> list[NotFitted]:
    """Buy the drafts' lines by priority within ``budget``; the drafts keep only what was bought."""
    original = {id(d): [dataclasses.replace(line) for line in d.lines] for d in drafts}
    dropped: set[int] = set()
    while True:
        left = budget
        bought: dict[int, list[DraftLine]] = {id(d): [] for d in drafts}
        out: list[NotFitted] = []
        pool = [(d, line) for d in drafts if id(d) not in dropped for line in original[id(d)]]
        pool.sort(key=lambda pair: -pair[1].priority)
        for draft, line in pool:
            name = draft.terms.name
            if line.cost is None:
                out.append(
                    NotFitted(
                        line.sku, line.name, name, line.packs, None, "sin costo conocido: no se puede presupuestar"
                    )
                )
                continue
            if line.cost <= left:
                bought[id(draft)].append(line)
                left -= line.cost
                continue
            reduced = dataclasses.replace(line, packs=line.min_packs)
            if 0 < line.min_packs < line.packs and reduced.cost is not None and reduced.cost <= left:
                reduced.note = (
                    f"reducido por el presupuesto: {line.min_packs} de {line.packs} bultos, hasta la próxima entrega"
                )
                bought[id(draft)].append(reduced)
                left -= reduced.cost
                rest = line.packs - line.min_packs
                cost = to_cents((line.unit_cost or Decimal(0)) * rest * line.pack_size)
                out.append(NotFitted(line.sku, line.name, name, rest, cost, "presupuesto de la semana agotado"))
                continue
            out.append(NotFitted(line.sku, line.name, name, line.packs, line.cost, "presupuesto de la semana agotado"))
        short = [d for d in drafts if id(d) not in dropped and bought[id(d)] and not d.meets_minimum(bought[id(d)])]
        if not short:
            for draft in drafts:
                if id(draft) in dropped:
                    continue
                draft.lines = sorted(bought[id(draft)], key=lambda ln: -ln.priority)
            return out + _dropped(drafts, dropped, original)
        dropped.update(id(d) for d in short)


def _dropped(drafts: list[Draft], dropped: set[int], original: Mapping[int, list[DraftLine]]) -> list[NotFitted]:
    out = []
    for draft in drafts:
        if id(draft) not in dropped:
            continue
        reason = (
            f"con el presupuesto no se llega al pedido mínimo de {draft.terms.name} ({draft.terms.minimum_label()})"
        )
        out += [NotFitted(ln.sku, ln.name, draft.terms.name, ln.packs, ln.cost, reason) for ln in original[id(draft)]]
        draft.lines = []
        draft.notes.append(reason)
    return out


def plan_purchases(
    items: Iterable[PlanItem],
    suppliers: Mapping[str, SupplierTerms],
    *,
    today: dt.date,
    policy: ReorderPolicy,
    budget: Decimal | None = None,
    horizon_days: int = 7,
) -> PurchasePlan:
    """The drafts of every supplier whose next order day is within ``horizon_days`` of ``today``, spent within
    ``budget`` when given (see the module docstring)."""
    by_supplier: dict[str, list[PlanItem]] = {}
    for item in items:
        by_supplier.setdefault(item.supplier, []).append(item)
    drafts: list[Draft] = []
    not_fitted: list[NotFitted] = []
    later: list[dict[str, Any]] = []
    horizon_end = today + dt.timedelta(days=max(1, horizon_days) - 1)
    for key, group in sorted(by_supplier.items()):
        terms = suppliers.get(key) or SupplierTerms(key, key, 7)
        order = next_order_day(terms, today)
        if order > horizon_end:
            later.append({"supplier": key, "supplier_name": terms.name, "next_order_date": order.isoformat()})
            continue
        draft, left = _supplier_draft(terms, group, today, policy)
        not_fitted += left
        if draft.lines:
            drafts.append(draft)
    if budget is not None:
        active = [d for d in drafts if d.status != "postponed"]
        not_fitted += _spend(active, Decimal(budget))
        drafts = [d for d in drafts if d.status == "postponed" or d.lines]
    drafts.sort(key=lambda d: (d.order_date, d.terms.name))
    return PurchasePlan(today, horizon_days, budget, drafts, not_fitted, later)
