"""Shop-level reports built from the store: low-stock alerts as draft purchase orders, price suggestions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from minimarket.forecast.policies import ShopPolicies, load_policies
from minimarket.forecast.reorder import DemandProfile, ReorderPolicy, advice_from, demand_profile
from minimarket.pricing import compound_pct, price_rise_flag, realised_inflation_pct, suggested_price

if TYPE_CHECKING:
    from minimarket.forecast.alerts_cache import AlertsCache
    from minimarket.purchasing.packs import ConvertedLine
    from minimarket.store.stock import AlertProduct

DEFAULT_LEAD_TIME_DAYS = 7

BAD_STORED_VALUE = (ArithmeticError, ValueError, TypeError)
"""What a stored value no import should have let in (a cost of 1e32, a NaN) raises in the arithmetic."""


def skipped_row(sku: str, exc: BaseException) -> dict[str, str]:
    """A product left out of a report because one of its stored values cannot be computed with."""
    return _skipped(sku, type(exc).__name__)


def _skipped(sku: str, error: str) -> dict[str, str]:
    return {"sku": sku, "reason": f"valor almacenado inválido ({error}); revise el producto"}


@dataclass(frozen=True)
class ShopDemand:
    """The sales side of a shop's alerts (no stock; immutable): the last sale day, the SKUs with sales in the
    window, and per product (in the order given) its demand profile or the name of the error its values raise."""

    as_of: dt.date
    sold: frozenset[str]
    profiles: tuple[DemandProfile | str, ...]


def shop_demand(session: Session, rules: ReorderPolicy, products: Sequence[AlertProduct]) -> ShopDemand:
    """Demand profiles of ``products`` from the last ``rules.history_days`` days of sales."""
    from minimarket.store.stock import daily_sales

    as_of, sales = daily_sales(session, days=rules.history_days)
    profiles: list[DemandProfile | str] = []
    for product in products:
        try:
            history = sales.get(product.sku)
            profile: DemandProfile | str = demand_profile(
                history if history is not None else [],  # type: ignore[arg-type]
                lead_time_days=_lead_time(product),
                category=product.category,
                policy=rules,
            )
        except BAD_STORED_VALUE as exc:
            profile = type(exc).__name__
        profiles.append(profile)
    return ShopDemand(as_of, frozenset(sales), tuple(profiles))


def _lead_time(product: AlertProduct) -> int:
    has_supplier = product.supplier_id is not None
    return product.lead_time_days if has_supplier and product.lead_time_days else DEFAULT_LEAD_TIME_DAYS


def stock_alerts(
    session: Session,
    policy: ReorderPolicy | None = None,
    *,
    include_all: bool = False,
    cache: AlertsCache | None = None,
) -> dict[str, Any]:
    """SKUs at or below their reorder point, grouped by supplier as draft purchase orders.

    With ``cache``, a report built from the same rows (:mod:`minimarket.forecast.alerts_cache`) is answered
    from it; any write to the sales, stock movements, products or suppliers makes the next call recompute (after
    a stock movement alone, from the cached demand profiles)."""
    from minimarket.forecast.alerts_cache import demand_fingerprint, fingerprint, report_key
    from minimarket.store.stock import alert_products

    rules = policy or ReorderPolicy()
    products = alert_products(session)
    if cache is None:
        return _stock_alerts(session, rules, products, include_all, shop_demand(session, rules, products))
    key, mark = report_key(session, rules, include_all), fingerprint(session, products)
    report = cache.get(key, mark)
    if report is None:
        demand_key, demand_mark = report_key(session, rules, "demand"), demand_fingerprint(mark)
        demand = cache.get_shared(demand_key, demand_mark)
        if not isinstance(demand, ShopDemand):
            demand = shop_demand(session, rules, products)
            cache.put_shared(demand_key, demand_mark, demand)
        report = _stock_alerts(session, rules, products, include_all, demand)
        cache.put(key, mark, report)
    return report


def _stock_alerts(
    session: Session, rules: ReorderPolicy, products: Sequence[AlertProduct], include_all: bool, demand: ShopDemand
) -> dict[str, Any]:
    from minimarket.store.stock import stock_levels

    levels = stock_levels(session)
    orders: dict[str, dict[str, Any]] = {}
    skipped: list[dict[str, str]] = []
    for product, profile in zip(products, demand.profiles, strict=True):
        has_supplier = product.supplier_id is not None
        try:
            lead = _lead_time(product)
            if product.sku not in demand.sold and product.sku not in levels:
                continue
            stock = float(levels.get(product.sku, Decimal(0)))
            if isinstance(profile, str):
                skipped.append(_skipped(product.sku, profile))
                continue
            advice = advice_from(product.sku, profile, stock, pack_size=product.pack_size, policy=rules)
            if not advice.needs_order and not include_all:
                continue
            cost = product.cost or Decimal(0)
            line_cost = (cost * advice.suggested_qty).quantize(Decimal("0.01"))  # a stored 1e32 fails here
            key = str(product.supplier_cuit) if has_supplier else "sin-proveedor"
            order = orders.setdefault(
                key,
                {
                    "supplier_cuit": product.supplier_cuit if has_supplier else None,
                    "supplier_name": product.supplier_name if has_supplier else "Sin proveedor asignado",
                    "lead_time_days": lead,
                    "items": [],
                    "estimated_cost": Decimal(0),
                },
            )
            order["items"].append(
                {
                    "sku": product.sku,
                    "name": product.name,
                    "category": product.category,
                    "stock": advice.stock,
                    "daily_demand": advice.daily_demand,
                    "reorder_point": advice.reorder_point,
                    "order_up_to": advice.order_up_to,
                    "suggested_qty": advice.suggested_qty,
                    "pack_size": product.pack_size,
                    "days_of_cover": advice.days_of_cover,
                    "service_level": advice.service_level,
                    "needs_order": advice.needs_order,
                    "method": advice.method,
                    "unit_cost": str(cost),
                }
            )
            order["estimated_cost"] += line_cost
        except BAD_STORED_VALUE as exc:  # one bad stored row must not break the whole shop's report
            skipped.append(skipped_row(product.sku, exc))
    suppliers = sorted(orders.values(), key=lambda o: o["supplier_name"])
    for order in suppliers:
        order["estimated_cost"] = str(order["estimated_cost"].quantize(Decimal("0.01")))
        order["items"].sort(key=lambda i: (i["days_of_cover"] is None, i["days_of_cover"] or 0))
    return {
        "as_of": demand.as_of.isoformat(),
        "review_period_days": rules.review_period_days,
        "suppliers": suppliers,
        "n_items": sum(len(o["items"]) for o in suppliers),
        "skipped": skipped,
    }


def category_factors(categories: set[str]) -> dict[str, dict[str, Any]]:
    """Relative pace of each category's COICOP division vs the headline (1.0 without the file)."""
    from minimarket.forecast import cpi

    try:
        divisions = cpi.load_division_cpi()
    except FileNotFoundError:
        return {c: {"relative": 1.0, "division": "0"} for c in categories}
    out = {}
    for category in categories:
        info = cpi.category_inflation(category, divisions)
        out[category] = {"relative": info.relative, "division": info.division, "window": info.window}
    return out


def price_suggestions(
    session: Session,
    *,
    monthly_forecast_pct: list[float],
    known_monthly_pct: Mapping[str, float],
    review_period_days: int = 7,
    policies: ShopPolicies | None = None,
    min_excess_pp: float = 5.0,
    lines: Sequence[ConvertedLine] | None = None,
) -> dict[str, Any]:
    """Suggested shelf prices per SKU (from its latest invoiced cost, else the catalog's cost), and flagged
    supplier price rises (markups from ``policies``, by default the shop's policies file; ``lines``: the shop's
    invoice lines in shelf units when the caller read them already)."""
    from minimarket.store.stock import invoiced_costs, products_with_suppliers

    rules = policies or load_policies()
    costs = invoiced_costs(session, lines)
    products = products_with_suppliers(session)
    factors = category_factors({p.category for p, _ in products})
    fallback = monthly_forecast_pct[0] if monthly_forecast_pct else 2.0
    suggestions, rises = [], []
    skipped: list[dict[str, str]] = []
    for product, supplier in products:
        try:
            history = costs.get(product.sku) or []
            if history:
                latest_cost, cost_date, invoice, cost_source = (
                    history[-1].unit_cost,
                    history[-1].date.isoformat(),
                    history[-1].invoice,
                    "invoice",
                )
            elif product.cost is not None:  # no invoice yet: the catalog's cost, said so
                latest_cost, cost_date, invoice, cost_source = Decimal(product.cost), None, None, "catalog"
            else:
                continue
            factor = factors.get(product.category, {"relative": 1.0})["relative"]
            lead = supplier.lead_time_days if supplier and supplier.lead_time_days else DEFAULT_LEAD_TIME_DAYS
            months = (lead + review_period_days) / 30.4375
            category_path = [p * factor for p in monthly_forecast_pct]
            expected = compound_pct(category_path, months)
            markup = rules.markup(product.category)
            suggestions.append(
                {
                    "sku": product.sku,
                    "name": product.name,
                    "category": product.category,
                    "latest_cost": str(latest_cost),
                    "cost_source": cost_source,
                    "cost_date": cost_date,
                    "invoice": invoice,
                    "markup": str(markup),
                    "vat_rate": str(product.vat_rate),
                    "expected_inflation_pct": round(expected, 2),
                    "days_to_restock": lead + review_period_days,
                    "suggested_price": str(suggested_price(latest_cost, markup, Decimal(product.vat_rate), expected)),
                }
            )
            if len(history) >= 2:
                previous, latest = history[-2], history[-1]
                monthly = {k: v * factor for k, v in known_monthly_pct.items()}
                expected_rise = realised_inflation_pct(monthly, previous.date, latest.date, fallback * factor)
                flag = price_rise_flag(previous, latest, expected_rise, min_excess_pp=min_excess_pp)
                if flag:
                    evidence = [obs.evidence.as_dict() for obs in (previous, latest) if obs.evidence is not None]
                    rises.append(
                        {**flag.as_dict(), "name": product.name, "category": product.category, "evidence": evidence}
                    )
        except BAD_STORED_VALUE as exc:  # one bad stored row must not break the whole shop's report
            skipped.append(skipped_row(product.sku, exc))
    return {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "monthly_inflation_forecast_pct": [round(p, 3) for p in monthly_forecast_pct],
        "suggestions": suggestions,
        "supplier_price_rises": rises,
        "skipped": skipped,
    }
