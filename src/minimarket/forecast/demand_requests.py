"""Demand forecasts for requests of SKUs: daily P10/P50/P90, reorder point and days of cover per SKU.

:func:`forecast_requests` serves many requests at once (the API batches concurrent ones): the requests of a
shop share one sales query and one model call over all their SKUs, which is where batching pays. Without a
registered champion the forecast is a baseline (each quantile of the SKU's last 8 weeks of daily sales).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minimarket.forecast.demand import DemandDataError, GlobalGBM, Panel, _future_periods, build_panel
from minimarket.forecast.reorder import ReorderPolicy, advise

HISTORY_DAYS = 400
BASELINE_WINDOW = 56
DEFAULT_LEAD_TIME_DAYS = 7
BASELINE_HORIZON = 28


@dataclass(frozen=True, slots=True)
class DemandModel:
    """The champion's global model and whether it was trained with prices."""

    model: GlobalGBM
    uses_prices: bool
    version: str | None = None

    @property
    def horizon(self) -> int:
        return self.model.horizon


@dataclass(frozen=True, slots=True)
class DemandRequest:
    shop: str
    skus: tuple[str, ...]
    horizon: int


def max_horizon(model: DemandModel | None) -> int:
    return model.horizon if model is not None else BASELINE_HORIZON


def _sales(session: Session, skus: Sequence[str]) -> pd.DataFrame:
    from minimarket.store.models import Sale

    last = session.scalar(select(func.max(Sale.date)).where(Sale.sku.in_(skus)))
    columns = ["date", "sku", "quantity", "unit_price"]
    if last is None:
        return pd.DataFrame(columns=columns)
    start = last - dt.timedelta(days=HISTORY_DAYS - 1)
    rows = session.execute(
        select(Sale.date, Sale.sku, Sale.quantity, Sale.unit_price).where(Sale.sku.in_(skus), Sale.date >= start)
    ).all()
    frame = pd.DataFrame(rows, columns=columns)
    frame["date"] = pd.to_datetime(frame["date"])
    frame["quantity"] = frame["quantity"].astype(float)
    frame["unit_price"] = pd.to_numeric(frame["unit_price"], errors="coerce").astype(float)
    return frame


def _baseline(panel: Panel, horizon: int) -> dict[float, np.ndarray]:
    recent = np.nan_to_num(panel.values[:, -BASELINE_WINDOW:], nan=0.0)
    out = {}
    for q in (0.1, 0.5, 0.9):
        level = np.quantile(recent, q, axis=1)
        out[q] = np.repeat(level[:, None], horizon, axis=1)
    return out


def _shop_forecast(
    session: Session, skus: list[str], model: DemandModel | None, policy: ReorderPolicy
) -> dict[str, dict[str, Any]]:
    from minimarket.store.stock import products_with_suppliers, stock_levels

    sales = _sales(session, skus)
    by_sku: dict[str, dict[str, Any]] = {}
    panel: Panel | None = None
    if not sales.empty:
        try:
            panel = build_panel(
                sales, price_col="unit_price" if model is not None and model.uses_prices else None, min_sales=1
            )
        except DemandDataError:
            panel = None
    if panel is not None and panel.n_series:
        method = "champion" if model is not None else "baseline"
        horizon = max_horizon(model)
        quantiles = model.model.predict_quantiles(panel) if model is not None else _baseline(panel, horizon)
        dates = [d.date().isoformat() for d in _future_periods(panel, horizon)]
        index = {sku: i for i, sku in enumerate(panel.series)}
        for sku, i in index.items():
            by_sku[sku] = {
                "method": method,
                "dates": dates,
                "p10": quantiles[0.1][i],
                "p50": quantiles[0.5][i],
                "p90": quantiles[0.9][i],
                "history": np.nan_to_num(panel.values[i, -policy.history_days :], nan=0.0),
            }
    levels = stock_levels(session)
    products = {p.sku: (p, s) for p, s in products_with_suppliers(session)}
    for sku in skus:
        entry = by_sku.setdefault(sku, {"method": "no_sales", "history": np.zeros(0)})
        product, supplier = products.get(sku, (None, None))
        lead = supplier.lead_time_days if supplier and supplier.lead_time_days else DEFAULT_LEAD_TIME_DAYS
        stock = float(levels.get(sku, Decimal(0)))
        entry["advice"] = advise(
            sku,
            entry["history"],
            stock,
            lead_time_days=lead,
            category=product.category if product else None,
            pack_size=product.pack_size if product else 1,
            policy=policy,
        )
        entry["known"] = product is not None
    return by_sku


def _answer(request: DemandRequest, forecasts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out = []
    for sku in request.skus:
        entry = forecasts[sku]
        advice = entry["advice"]
        item: dict[str, Any] = {
            "sku": sku,
            "method": entry["method"],
            "in_catalog": entry["known"],
            "stock": advice.stock,
            "lead_time_days": advice.lead_time_days,
            "service_level": advice.service_level,
            "reorder_point": advice.reorder_point,
            "order_up_to": advice.order_up_to,
            "suggested_qty": advice.suggested_qty,
            "days_of_cover": advice.days_of_cover,
            "needs_order": advice.needs_order,
            "daily": [],
        }
        if "dates" in entry:
            item["daily"] = [
                {
                    "date": entry["dates"][k],
                    "p10": round(float(entry["p10"][k]), 3),
                    "p50": round(float(entry["p50"][k]), 3),
                    "p90": round(float(entry["p90"][k]), 3),
                }
                for k in range(request.horizon)
            ]
        else:
            item["message"] = "Sin ventas registradas de este producto: no hay pronóstico."
        out.append(item)
    return {"shop": request.shop, "horizon": request.horizon, "forecasts": out}


def forecast_requests(
    requests: Sequence[DemandRequest],
    model: DemandModel | None,
    session_for: Callable[[str], AbstractContextManager[Session]],
    policy: ReorderPolicy | None = None,
) -> list[dict[str, Any]]:
    """One answer per request, in order; the requests of one shop are served by one model call."""
    rules = policy or ReorderPolicy()
    wanted: dict[str, list[str]] = defaultdict(list)
    for request in requests:
        if request.horizon > max_horizon(model):
            raise ValueError(f"horizon {request.horizon} over the model's {max_horizon(model)} days")
        for sku in request.skus:
            if sku not in wanted[request.shop]:
                wanted[request.shop].append(sku)
    forecasts: dict[str, dict[str, dict[str, Any]]] = {}
    for shop, skus in wanted.items():
        with session_for(shop) as session:
            forecasts[shop] = _shop_forecast(session, skus, model, rules)
    return [_answer(request, forecasts[request.shop]) for request in requests]


def load_champion(settings: Any = None) -> DemandModel | None:
    """The ``demand-forecaster`` champion of the registry, or None."""
    from minimarket import tracking

    version = tracking.alias_version("demand-forecaster", tracking.CHAMPION)
    if version is None:
        from minimarket.service.bento_models import load_stored, stored_champion

        stored = load_stored("demand-forecaster")  # a Bento serving on its own: the champion it packs
        if stored is None:
            return None
        wrapper = stored.unwrap_python_model()
        return DemandModel(wrapper.model, bool(wrapper.price_col), stored_champion("demand-forecaster"))
    wrapper = tracking.load_model("demand-forecaster").unwrap_python_model()
    return DemandModel(model=wrapper.model, uses_prices=bool(wrapper.price_col), version=version)
