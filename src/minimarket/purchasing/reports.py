"""The purchasing reports of one shop, built from its store: what the CLI, the API and the dashboards call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from minimarket.forecast.policies import ShopPolicies, load_policies
from minimarket.forecast.reorder import ReorderPolicy
from minimarket.purchasing.drafts import PlanItem, PurchasePlan, SupplierTerms, plan_purchases
from minimarket.purchasing.packs import ConvertedLine
from minimarket.purchasing.shelf import Direction, parse_rule, shelf_price

__all__ = ["pack_report", "purchase_plan", "shelf_prices", "supplier_terms"]


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value))


def supplier_terms(supplier: Any) -> SupplierTerms:
    """A stored supplier's ordering terms (order days and minimums live in its ``extra``)."""
    extra = dict(supplier.extra or {})
    packs = extra.get("min_order_packs")
    return SupplierTerms.from_names(
        supplier.cuit,
        supplier.name,
        supplier.lead_time_days if supplier.lead_time_days is not None else 7,
        extra.get("order_days") or (),
        min_order_amount=_decimal(extra.get("min_order_amount")),
        min_order_packs=int(packs) if packs not in (None, "") else None,
    )


def purchase_plan(
    session: Session,
    *,
    today: dt.date | None = None,
    budget: Decimal | None = None,
    horizon_days: int = 7,
    policy: ReorderPolicy | None = None,
    policies: ShopPolicies | None = None,
    lines: Sequence[ConvertedLine] | None = None,
) -> PurchasePlan:
    """This week's purchase drafts (order days, minimums, pack sizes, optional budget) from the shop's stock, sales
    and costs. ``today`` defaults to the day after the last recorded sale; ``lines``: the shop's invoice lines in
    shelf units when the caller read them already (:func:`minimarket.store.packs.converted_lines`)."""
    from minimarket.store.stock import daily_sales, invoiced_costs, products_with_suppliers, stock_levels

    rules = policies or load_policies()
    reorder = policy or ReorderPolicy.from_policies(rules)
    as_of, sales = daily_sales(session, days=reorder.history_days)
    start = today or as_of + dt.timedelta(days=1)
    levels = stock_levels(session)
    costs = invoiced_costs(session, lines)
    items: list[PlanItem] = []
    terms: dict[str, SupplierTerms] = {}
    for product, supplier in products_with_suppliers(session):
        history = sales.get(product.sku)
        if history is None and product.sku not in levels:
            continue
        key = supplier.cuit if supplier else "sin-proveedor"
        if supplier is not None and key not in terms:
            terms[key] = supplier_terms(supplier)
        observed = costs.get(product.sku)
        cost = observed[-1].unit_cost if observed else (None if product.cost is None else Decimal(product.cost))
        items.append(
            PlanItem(
                sku=product.sku,
                name=product.name,
                category=product.category,
                supplier=key,
                pack_size=int(product.pack_size or 1),
                unit_cost=cost,
                margin=rules.markup(product.category),
                stock=float(levels.get(product.sku, Decimal(0))),
                daily_sales=history if history is not None else np.zeros(0),
            )
        )
    terms.setdefault("sin-proveedor", SupplierTerms("sin-proveedor", "Sin proveedor asignado", 7))
    return plan_purchases(items, terms, today=start, policy=reorder, budget=budget, horizon_days=horizon_days)


def shelf_prices(
    session: Session,
    *,
    monthly_forecast_pct: list[float],
    known_monthly_pct: Mapping[str, float],
    rule: str = "10",
    direction: Direction = "nearest",
    review_period_days: int = 7,
    policies: ShopPolicies | None = None,
    min_excess_pp: float = 5.0,
    lines: Sequence[ConvertedLine] | None = None,
) -> dict[str, Any]:
    """The price suggestions (:func:`minimarket.forecast.shop_reports.price_suggestions`) with the price a shop
    prints: rounded by ``rule``, never below cost + the category's minimum margin, and its effective margin; the
    supplier price rises keep their invoice lines as evidence next to the category's expected inflation."""
    from minimarket.forecast.shop_reports import price_suggestions

    rules = policies or load_policies()
    rounding = parse_rule(rule)
    report = price_suggestions(
        session,
        monthly_forecast_pct=monthly_forecast_pct,
        known_monthly_pct=known_monthly_pct,
        review_period_days=review_period_days,
        policies=rules,
        min_excess_pp=min_excess_pp,
        lines=lines,
    )
    for suggestion in report["suggestions"]:
        shelf = shelf_price(
            cost=Decimal(suggestion["latest_cost"]),
            suggested=Decimal(suggestion["suggested_price"]),
            vat_rate=Decimal(suggestion["vat_rate"]),
            min_margin=rules.min_margin(suggestion.get("category")),
            rule=rounding,
            direction=direction,
        )
        suggestion.update(shelf.as_dict())
        floor_pct = rules.min_margin(suggestion.get("category")) * 100
        suggestion["min_margin_pct"] = str(floor_pct.quantize(Decimal("0.01")))
    report["rounding_rule"] = rounding.label
    report["rounding_direction"] = direction
    return report


def pack_report(
    session: Session,
    *,
    only_flagged: bool = False,
    monthly_inflation_pct: float = 2.5,
    lines: Sequence[ConvertedLine] | None = None,
) -> dict[str, Any]:
    """Invoice lines in shelf units per supplier: how each was converted (confirmed, unit, catalog pack,
    description, price) and the unit costs that look implausible, with the likely cause (``lines``: converted
    already by the caller, at ``monthly_inflation_pct``)."""
    from minimarket.store.packs import converted_lines

    suppliers: dict[str, dict[str, Any]] = {}
    flagged = 0
    total = 0
    if lines is None:
        lines = converted_lines(session, monthly_inflation_pct=monthly_inflation_pct)
    for line in lines:
        total += 1
        flagged += int(line.check.flagged)
        if only_flagged and not line.check.flagged:
            continue
        key = line.line.supplier_cuit or "sin-cuit"
        entry = suppliers.setdefault(
            key,
            {"supplier_cuit": line.line.supplier_cuit, "supplier_name": line.line.supplier_name, "lines": []},
        )
        entry["lines"].append(line.as_dict())
    for entry in suppliers.values():
        entry["lines"].sort(key=lambda ln: (ln["issue_date"], ln["invoice_id"], ln["line_no"]), reverse=True)
    return {
        "lines": total,
        "implausible": flagged,
        "suppliers": sorted(suppliers.values(), key=lambda e: str(e["supplier_name"])),
    }
