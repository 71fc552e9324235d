"""Purchase drafts: order days, pack sizes, supplier minimums and a weekly budget spent by priority."""

from __future__ import annotations

import datetime as dt
import zlib
from decimal import Decimal

import numpy as np

from minimarket.forecast.policies import ShopPolicies
from minimarket.forecast.reorder import ReorderPolicy
from minimarket.purchasing.drafts import PlanItem, SupplierTerms, next_order_day, plan_purchases

MONDAY = dt.date(2026, 9, 14)
POLICY = ReorderPolicy.from_policies(ShopPolicies(default_service_level=0.95))


def _item(
    sku: str, supplier: str, *, daily: float, stock: float, pack: int = 12, cost: str = "1000", margin: str = "0.3"
) -> PlanItem:
    rng = np.random.default_rng(zlib.crc32(sku.encode()))
    return PlanItem(
        sku=sku,
        name=f"Producto {sku}",
        category="Almacén",
        supplier=supplier,
        pack_size=pack,
        unit_cost=Decimal(cost),
        margin=Decimal(margin),
        stock=stock,
        daily_sales=rng.poisson(daily, 90).astype(float),
    )


def test_next_order_day_follows_the_supplier_weekdays() -> None:
    terms = SupplierTerms.from_names("X", "X", 2, ["mar", "vie"])
    assert next_order_day(terms, MONDAY) == dt.date(2026, 9, 15)
    assert next_order_day(terms, dt.date(2026, 9, 19)) == dt.date(2026, 9, 22)
    assert next_order_day(SupplierTerms("Y", "Y", 1), MONDAY) == MONDAY


def test_orders_whole_boxes_on_the_order_day() -> None:
    terms = {"A": SupplierTerms.from_names("A", "Almacenera", 2, ["jue"])}
    plan = plan_purchases([_item("ALM-1", "A", daily=3, stock=4)], terms, today=MONDAY, policy=POLICY)
    (draft,) = plan.drafts
    (line,) = draft.lines
    assert draft.order_date == dt.date(2026, 9, 17) and draft.delivery_date == dt.date(2026, 9, 19)
    assert line.units % 12 == 0 and line.units >= 12
    assert draft.as_dict()["total"] == str(line.cost)


def test_a_supplier_whose_order_day_is_after_the_horizon_waits() -> None:
    terms = {"A": SupplierTerms.from_names("A", "Almacenera", 2, ["jue"])}
    plan = plan_purchases([_item("ALM-1", "A", daily=3, stock=4)], terms, today=MONDAY, policy=POLICY, horizon_days=2)
    assert plan.drafts == [] and plan.later[0]["next_order_date"] == "2026-09-17"


def test_below_the_minimum_tops_up_when_urgent_and_postpones_otherwise() -> None:
    urgent_terms = {"A": SupplierTerms.from_names("A", "Almacenera", 2, ["lun"], min_order_amount=Decimal("200000"))}
    urgent = plan_purchases(
        [_item("ALM-1", "A", daily=2, stock=0), _item("ALM-2", "A", daily=1, stock=30)],
        urgent_terms,
        today=MONDAY,
        policy=POLICY,
    )
    (draft,) = urgent.drafts
    assert draft.status == "topped_up" and draft.total >= Decimal("200000")
    # at its reorder point (lead time 4 days) but lasting until the next order's delivery: it can wait
    relaxed_terms = {"B": SupplierTerms.from_names("B", "Bebidas", 4, ["lun", "mié", "vie"], min_order_packs=50)}
    relaxed = plan_purchases([_item("BEB-1", "B", daily=1, stock=7)], relaxed_terms, today=MONDAY, policy=POLICY)
    assert relaxed.drafts == [] or all(d.status == "postponed" for d in relaxed.drafts)
    (postponed,) = relaxed.as_dict()["postponed"]
    assert postponed["status"] == "postponed"
    assert relaxed.not_fitted and "pedido mínimo" in relaxed.not_fitted[0].reason


def test_budget_buys_by_priority_and_lists_what_did_not_fit() -> None:
    terms = {
        "A": SupplierTerms.from_names("A", "Almacenera", 1, ["lun"]),
        "B": SupplierTerms.from_names("B", "Bebidas", 1, ["lun"], min_order_amount=Decimal("100000")),
    }
    items = [
        _item("ALM-1", "A", daily=4, stock=1, cost="500", margin="0.45"),  # runs out first, high margin
        _item("ALM-2", "A", daily=4, stock=10, cost="500", margin="0.20"),
        _item("BEB-1", "B", daily=4, stock=6, cost="3000", margin="0.35"),
    ]
    full = plan_purchases(items, terms, today=MONDAY, policy=POLICY)
    total = sum((d.total for d in full.drafts), Decimal(0))
    budget = Decimal("40000")
    assert total > budget
    plan = plan_purchases(items, terms, today=MONDAY, policy=POLICY, budget=budget)
    assert plan.spent <= budget
    bought = {line.sku for draft in plan.drafts for line in draft.lines}
    assert "ALM-1" in bought
    reasons = {n.sku: n.reason for n in plan.not_fitted}
    assert "BEB-1" in reasons and ("mínimo" in reasons["BEB-1"] or "presupuesto" in reasons["BEB-1"])
    assert plan.as_dict()["priority"].startswith("margen ÷ días de cobertura")
