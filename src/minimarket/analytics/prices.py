"""Inflation, prices and stock for the manager: the CPI seen and expected, the figure applied to prices,
supplier price rises above inflation (with the invoices as evidence), and what to reorder from whom.

These wrap the shop reports that the CLI and the API use (:mod:`minimarket.forecast.shop_reports`), so the
three doors show the same figures; here they become rows a manager reads, and a CSV purchase order.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from minimarket.analytics import formatting as fmt
from minimarket.analytics.snapshot import Filters
from minimarket.config import Settings

__all__ = [
    "InflationOutlook",
    "PurchaseOrder",
    "forecast_cache_dir",
    "inflation_outlook",
    "price_rises",
    "purchase_order_csv",
    "purchase_orders",
    "select_orders",
    "select_rises",
]


@dataclass(frozen=True)
class InflationOutlook:
    """Monthly inflation: what INDEC measured, what the model expects next, and what prices use."""

    observed: pd.DataFrame
    """month (Timestamp), pct — the last ``months`` months measured (store updates applied)"""
    forecast: pd.DataFrame
    """month (Timestamp), pct, lower, upper — the next months with a 90 % interval"""
    last_month: str
    applied_pct: float
    """The next month's expected inflation: what the price suggestions compound until each restock."""
    last_update: dict[str, Any] | None
    """The last monthly figure recorded in the shop (month, pct, source, author, when), if any."""

    @property
    def summary(self) -> str:
        """One sentence a manager reads."""
        last = self.observed.iloc[-1]
        text = (
            f"Último dato del INDEC: {fmt.pct(last['pct'])} en {fmt.month(self.last_month)}. "
            f"Para {fmt.month(self.forecast['month'].iloc[0].date())} se espera {fmt.pct(self.applied_pct)} "
            f"(entre {fmt.pct(self.forecast['lower'].iloc[0])} y {fmt.pct(self.forecast['upper'].iloc[0])}); "
            "es la cifra que se aplica a los precios sugeridos."
        )
        if self.last_update:
            text += (
                f" Última actualización mensual: {fmt.month(self.last_update['month'])}, "
                f"cargada por {self.last_update['author']} el {fmt.date(self.last_update['recorded_at'])}."
            )
        return text


def forecast_cache_dir(settings: Settings) -> Path:
    """Where the panel keeps the inflation forecast between page loads (``<state>/cache``)."""
    return settings.state_dir / "cache"


def _forecast(data: Any, horizon: int, cache_dir: Path | None) -> pd.DataFrame:
    """The forecaster's next ``horizon`` months for ``data``; kept in ``cache_dir`` by the series' content,
    since it changes once a month (fitting it takes seconds)."""
    from minimarket.forecast.inflation import InflationForecaster

    series = data.headline
    key = hashlib.sha256(
        json.dumps([horizon, [[str(m), round(float(p), 6)] for m, p in series.items()]]).encode()
    ).hexdigest()[:24]
    path = cache_dir / f"inflation-forecast-{key}.json" if cache_dir else None
    if path is not None and path.is_file():
        try:
            return pd.DataFrame(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, OSError):
            pass
    forecast = InflationForecaster(max_horizon=horizon).fit(data).forecast(horizon)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(forecast.to_json(orient="records"), encoding="utf-8")
        tmp.replace(path)
    return forecast


def inflation_outlook(
    session: Session, *, months: int = 24, horizon: int = 3, cache_dir: Path | None = None
) -> InflationOutlook:
    """The bundled INDEC series with the shop's recorded updates, and the forecast fitted on it (kept in
    ``cache_dir`` until the series changes)."""
    from minimarket.forecast.inflation_update import current_data
    from minimarket.store.inflation import observations

    data = current_data(session)
    forecast = _forecast(data, horizon, cache_dir)
    observed = data.headline.iloc[-months:]
    months_index = pd.PeriodIndex(observed.index).to_timestamp()
    observed_frame = pd.DataFrame({"month": months_index, "pct": observed.to_numpy(dtype=float)})
    forecast_frame = pd.DataFrame(
        {
            "month": pd.PeriodIndex(forecast["month"], freq="M").to_timestamp(),
            "pct": forecast["pct"].astype(float),
            "lower": forecast["lower"].astype(float),
            "upper": forecast["upper"].astype(float),
        }
    )
    recorded = observations(session)
    last_update = None
    if recorded:
        row = max(recorded, key=lambda r: (r.recorded_at, r.id))
        last_update = {
            "month": row.month,
            "pct": float(row.pct),
            "source": row.source,
            "author": row.author,
            "recorded_at": row.recorded_at,
            "forced": row.forced,
            "reason": row.reason,
        }
    return InflationOutlook(
        observed=observed_frame,
        forecast=forecast_frame,
        last_month=str(data.last_month),
        applied_pct=float(forecast_frame["pct"].iloc[0]),
        last_update=last_update,
    )


def price_rises(session: Session, outlook: InflationOutlook, *, known: dict[str, float]) -> list[dict[str, str]]:
    """Supplier cost rises above the category's expected inflation, biggest excess first, formatted, with the
    two invoices that show it. ``known`` is the monthly CPI in percent by ``YYYY-MM``. Keys starting with
    ``_`` (SKU, category, supplier CUIT) are for :func:`select_rises`, not shown."""
    from minimarket.forecast.shop_reports import price_suggestions
    from minimarket.store.stock import products_with_suppliers

    report = price_suggestions(session, monthly_forecast_pct=outlook.forecast["pct"].tolist(), known_monthly_pct=known)
    cuits = {product.sku: supplier.cuit if supplier else "" for product, supplier in products_with_suppliers(session)}
    rows = []
    for rise in sorted(report["supplier_price_rises"], key=lambda r: -float(r["excess_pp"])):
        rows.append(
            {
                "Producto": f"{rise['name']} ({rise['sku']})",
                "Proveedor": str(rise.get("supplier") or "—"),
                "Costo anterior": _evidence(rise["old_cost"], rise["old_invoice"], rise["old_date"]),
                "Costo nuevo": _evidence(rise["new_cost"], rise["new_invoice"], rise["new_date"]),
                "Aumento": fmt.pct(rise["rise_pct"], signed=True),
                "Inflación esperada": fmt.pct(rise["expected_category_inflation_pct"]),
                "Exceso": f"{fmt.number(rise['excess_pp'], 1)} p.p.",
                "_sku": str(rise["sku"]),
                "_category": str(rise.get("category") or ""),
                "_supplier_cuit": cuits.get(str(rise["sku"]), ""),
            }
        )
    return rows


def _evidence(cost: str, invoice: str, date: str) -> str:
    return f"{fmt.money(cost)} · {invoice} · {fmt.date(date)}"


def select_rises(rows: list[dict[str, str]], filters: Filters) -> list[dict[str, str]]:
    """The rises of the chosen supplier and category."""
    return [
        row
        for row in rows
        if (not filters.supplier_cuit or row["_supplier_cuit"] == filters.supplier_cuit)
        and (not filters.category or row["_category"] == filters.category)
    ]


@dataclass(frozen=True)
class PurchaseOrder:
    """A draft order to one supplier: the products at or below their reorder point."""

    supplier_name: str
    supplier_cuit: str | None
    lead_time_days: int
    rows: list[dict[str, Any]]
    estimated_cost: Decimal

    @property
    def filename(self) -> str:
        name = "".join(ch if ch.isalnum() else "-" for ch in self.supplier_name.lower()).strip("-")
        return f"pedido-{name or 'proveedor'}-{dt.date.today().isoformat()}.csv"


def purchase_orders(session: Session) -> tuple[str, list[PurchaseOrder]]:
    """Low-stock alerts grouped by supplier (the same as ``minimarket stock alerts``) and the day they are
    computed for (the last sale day)."""
    from minimarket.forecast.shop_reports import stock_alerts

    report = stock_alerts(session)
    orders = [
        PurchaseOrder(
            supplier_name=order["supplier_name"],
            supplier_cuit=order["supplier_cuit"],
            lead_time_days=order["lead_time_days"],
            rows=order["items"],
            estimated_cost=_order_cost(order["items"]),
        )
        for order in report["suppliers"]
    ]
    return report["as_of"], orders


def _order_cost(items: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(i["unit_cost"]) * i["suggested_qty"] for i in items), Decimal(0)).quantize(Decimal("0.01"))


def select_orders(orders: list[PurchaseOrder], filters: Filters) -> list[PurchaseOrder]:
    """The orders of the chosen supplier, with only the chosen category's products (cost recomputed)."""
    out = []
    for order in orders:
        if filters.supplier_cuit and order.supplier_cuit != filters.supplier_cuit:
            continue
        rows = [r for r in order.rows if not filters.category or r["category"] == filters.category]
        if rows:
            out.append(
                PurchaseOrder(order.supplier_name, order.supplier_cuit, order.lead_time_days, rows, _order_cost(rows))
            )
    return out


def order_rows(order: PurchaseOrder) -> list[dict[str, str]]:
    """The order's lines as a manager reads them."""
    return [
        {
            "Producto": f"{item['name']} ({item['sku']})",
            "Stock": fmt.number(item["stock"]),
            "Venta diaria": fmt.number(item["daily_demand"], 1),
            "Punto de pedido": fmt.number(item["reorder_point"]),
            "Días de cobertura": fmt.number(item["days_of_cover"], 1),
            "Pedir": fmt.number(item["suggested_qty"]),
            "Costo unitario": fmt.money(item["unit_cost"]),
        }
        for item in order.rows
    ]


def purchase_order_csv(order: PurchaseOrder) -> str:
    """The order as a CSV a spreadsheet in es-AR opens (``;`` separated, decimal comma)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Proveedor", order.supplier_name, "CUIT", order.supplier_cuit or ""])
    writer.writerow(["SKU", "Producto", "Cantidad", "Costo unitario", "Subtotal"])
    for item in order.rows:
        cost = Decimal(item["unit_cost"])
        writer.writerow(
            [
                item["sku"],
                item["name"],
                item["suggested_qty"],
                fmt.number(cost, 2),
                fmt.number(cost * item["suggested_qty"], 2),
            ]
        )
    writer.writerow(["", "Total estimado", "", "", fmt.number(order.estimated_cost, 2)])
    return out.getvalue()
