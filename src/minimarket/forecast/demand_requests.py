"""Demand forecasts for requests of SKUs: daily P10/P50/P90, reorder point and days of cover per SKU.

:func:`forecast_requests` serves many requests at once (the API batches concurrent ones): the requests of a
shop share one sales query and one model call over all their SKUs, which is where batching pays. Without a
registered champion the forecast is a baseline (each quantile of the SKU's last 8 weeks of daily sales).

Every SKU of a shop is forecast on the shop's calendar: the ``HISTORY_DAYS`` days up to the shop's last sale,
so the first forecast day is the day after it for every SKU, and a SKU gets the same forecast alone or in a
batch with others. A :class:`HistoryCache` keeps each SKU's row of that panel while the shop's sales stay as
they are (:class:`SalesStamp`), so a repeated SKU costs no sales query and no panel building.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections import OrderedDict, defaultdict
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


@dataclass(frozen=True, slots=True)
class SalesStamp:
    """What a shop's sales are now: their last row id (sales are only ever appended, so every import changes
    it) and their last date."""

    last_id: int
    last_date: dt.date


def _last_sale_id(session: Session) -> int | None:
    from minimarket.store.models import Sale

    return session.scalar(select(func.max(Sale.id)))  # an index lookup, however many sales


def _last_sale_date(session: Session) -> dt.date | None:
    from minimarket.store.models import Sale

    return session.scalar(select(func.max(Sale.date)))


@functools.lru_cache(maxsize=64)
def shop_calendar(last_sale: dt.date) -> pd.DatetimeIndex:
    """The days a shop's SKUs are forecast from: the ``HISTORY_DAYS`` days up to its last sale."""
    return pd.date_range(end=pd.Timestamp(last_sale), periods=HISTORY_DAYS, freq="D")


@dataclass(frozen=True, slots=True)
class _Row:
    """One SKU's row of the shop's panel (empty: no sales in the window)."""

    values: np.ndarray
    prices: np.ndarray | None = None


class HistoryCache:
    """Per shop, each SKU's panel row on the shop's calendar, valid while the shop's :class:`SalesStamp` holds.

    At most ``max_rows`` rows are kept (a row is ``HISTORY_DAYS`` floats, 3 KB; least recently used shops go
    first); safe to share between threads."""

    def __init__(self, max_rows: int = 10_000) -> None:
        self.max_rows = max_rows
        self._lock = threading.Lock()
        self._shops: OrderedDict[tuple[str, bool], tuple[SalesStamp, dict[str, _Row]]] = OrderedDict()

    def rows(self, key: tuple[str, bool], last_id: int) -> tuple[SalesStamp | None, dict[str, _Row]]:
        """The stamp and the rows known for ``key`` (shop, with prices) if its sales still end at ``last_id``
        (the rows: a copy the caller may keep)."""
        with self._lock:
            entry = self._shops.get(key)
            if entry is None or entry[0].last_id != last_id:
                return None, {}
            self._shops.move_to_end(key)
            return entry[0], dict(entry[1])

    def store(self, key: tuple[str, bool], stamp: SalesStamp, rows: dict[str, _Row]) -> None:
        with self._lock:
            entry = self._shops.get(key)
            known = dict(entry[1]) if entry is not None and entry[0] == stamp else {}
            known.update(rows)
            self._shops[key] = (stamp, known)
            self._shops.move_to_end(key)
            while sum(len(r) for _, r in self._shops.values()) > self.max_rows and len(self._shops) > 1:
                self._shops.popitem(last=False)
            if len(known) > self.max_rows:
                self._shops[key] = (stamp, {})


def _sales(session: Session, skus: Sequence[str], start: dt.date) -> pd.DataFrame:
    from minimarket.store.models import Sale

    rows = session.execute(
        select(Sale.date, Sale.sku, Sale.quantity, Sale.unit_price).where(Sale.sku.in_(skus), Sale.date >= start)
    ).all()
    frame = pd.DataFrame(rows, columns=["date", "sku", "quantity", "unit_price"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["quantity"] = frame["quantity"].astype(float)
    frame["unit_price"] = pd.to_numeric(frame["unit_price"], errors="coerce").astype(float)
    return frame


def _new_rows(session: Session, skus: list[str], periods: pd.DatetimeIndex, uses_prices: bool) -> dict[str, _Row]:
    """The rows of ``skus`` from the store (one query, one panel)."""
    sales = _sales(session, skus, periods[0].date())
    rows = dict.fromkeys(skus, _Row(np.zeros(0)))
    if sales.empty:
        return rows
    try:
        panel = build_panel(sales, price_col="unit_price" if uses_prices else None, min_sales=1, periods=periods)
    except DemandDataError:
        return rows
    for i, sku in enumerate(panel.series):
        rows[sku] = _Row(panel.values[i].copy(), None if panel.prices is None else panel.prices[i].copy())
    return rows


def _history(
    session: Session, shop: str, skus: list[str], uses_prices: bool, cache: HistoryCache | None
) -> Panel | None:
    """The panel of ``skus`` (those with sales in the window) on the shop's calendar, or None."""
    last_id = _last_sale_id(session)
    if last_id is None:
        return None
    key = (shop, uses_prices)
    stamp, known = cache.rows(key, last_id) if cache is not None else (None, {})
    if stamp is None:
        last_date = _last_sale_date(session)
        if last_date is None:
            return None
        stamp = SalesStamp(last_id, last_date)
    periods = shop_calendar(stamp.last_date)
    missing = [sku for sku in skus if sku not in known]
    if missing:
        fresh = _new_rows(session, missing, periods, uses_prices)
        if cache is not None:
            cache.store(key, stamp, fresh)
        known.update(fresh)
    series = sorted(sku for sku in set(skus) if known[sku].values.size)
    if not series:
        return None
    rows = [known[sku] for sku in series]
    prices = np.vstack([r.prices for r in rows if r.prices is not None]) if uses_prices else None
    return Panel(series, periods, np.vstack([r.values for r in rows]), "D", prices)


def _baseline(panel: Panel, horizon: int) -> dict[float, np.ndarray]:
    recent = np.nan_to_num(panel.values[:, -BASELINE_WINDOW:], nan=0.0)
    out = {}
    for q in (0.1, 0.5, 0.9):
        level = np.quantile(recent, q, axis=1)
        out[q] = np.repeat(level[:, None], horizon, axis=1)
    return out


def _shop_forecast(
    session: Session,
    shop: str,
    skus: list[str],
    model: DemandModel | None,
    policy: ReorderPolicy,
    cache: HistoryCache | None = None,
) -> dict[str, dict[str, Any]]:
    from minimarket.store.stock import products_with_suppliers, stock_levels

    by_sku: dict[str, dict[str, Any]] = {}
    panel = _history(session, shop, skus, model is not None and model.uses_prices, cache)
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
    cache: HistoryCache | None = None,
) -> list[dict[str, Any]]:
    """One answer per request, in order; the requests of one shop are served by one model call. ``cache``
    (kept by a long-lived caller, e.g. a service worker) spares the sales of SKUs asked for before."""
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
            forecasts[shop] = _shop_forecast(session, shop, skus, model, rules, cache)
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
