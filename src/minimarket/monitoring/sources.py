"""Feature frames for a window of the store (one shop), built with :mod:`minimarket.monitoring.features`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minimarket.monitoring.features import (
    DATE,
    Deflator,
    cpi_features,
    invoice_features,
    sales_features,
    window,
)
from minimarket.store.models import Invoice, Product, Sale


def _bundled_products() -> list[Any]:
    try:
        from minimarket.catalog import bundled_products

        return list(bundled_products())
    except (FileNotFoundError, ValueError):
        return []


def deflator(session: Session) -> Deflator:
    """The bundled national CPI plus the monthly figures recorded in the store."""
    from minimarket.store.inflation import latest_by_month

    return Deflator.bundled(latest_by_month(session))


def catalog_lookups(session: Session | None = None) -> tuple[dict[str, str], dict[str, float]]:
    """SKU → category and SKU → catalog cost: the shop's catalog first (when a session is given), the
    bundled catalog for the rest."""
    categories: dict[str, str] = {}
    costs: dict[str, float] = {}
    for product in _bundled_products():
        if product.category:
            categories[product.sku] = product.category
        if product.cost and product.cost > 0:
            costs[product.sku] = float(product.cost)
    if session is None:
        return categories, costs
    for sku, category, cost in session.execute(select(Product.sku, Product.category, Product.cost)):
        if category:
            categories[sku] = category
        if cost is not None and cost > 0:
            costs[sku] = float(cost)
    return categories, costs


def last_date(session: Session, dataset: str) -> dt.date | None:
    """The latest date with data for ``dataset`` in this shop (the default end of the current window)."""
    if dataset == "invoices":
        value = session.scalar(select(func.max(Invoice.issue_date)))
    elif dataset == "sales":
        value = session.scalar(select(func.max(Sale.date)))
    elif dataset == "cpi":
        last = deflator(session).last_month
        return dt.date(last.year, last.month, 1)
    else:
        raise ValueError(f"unknown dataset {dataset!r}")
    return value if isinstance(value, dt.date) else None


def invoices(session: Session, start: dt.date, end: dt.date, *, deflate: Deflator | None = None) -> pd.DataFrame:
    """Invoice features for invoices issued in [start, end] (the stored status wins over the payload's)."""
    rows = session.execute(
        select(Invoice.payload, Invoice.status)
        .where(Invoice.issue_date >= start, Invoice.issue_date <= end)
        .order_by(Invoice.issue_date, Invoice.id)
    ).all()
    payloads = [{**(payload or {}), "status": status} for payload, status in rows]
    _, costs = catalog_lookups(session)
    return invoice_features(payloads, deflate or deflator(session), base_prices=costs)


def sales(session: Session, start: dt.date, end: dt.date, *, deflate: Deflator | None = None) -> pd.DataFrame:
    """Daily sales features for [start, end] (days without sales inside the window count as zero)."""
    from minimarket.store.sales import sales_frame

    raw = sales_frame(session, start, end)
    categories, costs = catalog_lookups(session)
    frame = sales_features(raw, deflate or deflator(session), categories=categories, base_prices=costs)
    if frame.empty:
        return frame
    days = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D", name=DATE)
    full = frame.set_index(DATE).reindex(days)
    units = [c for c in full.columns if c == "units_total" or c.startswith("units__")]
    full[units] = full[units].fillna(0.0)
    # Days before the first sale of the shop are not "zero sales": they are before the data begins.
    first_sale = frame[DATE].min()
    full = full[full.index >= first_sale]
    return full.reset_index()


def cpi(session: Session, start: dt.date, end: dt.date, *, forecasts: pd.Series | None = None) -> pd.DataFrame:
    """Monthly CPI features (months starting in [start, end]); residuals against ``forecasts`` (monthly %
    by target month, the inflation model's) where it has a forecast for the month."""
    from minimarket.forecast.inflation import InflationData
    from minimarket.store.inflation import latest_by_month

    headline = InflationData.bundled(overrides=latest_by_month(session)).headline
    residuals = None
    if forecasts is not None and not forecasts.empty:
        common = headline.index.intersection(forecasts.index)
        residuals = headline.loc[common] - forecasts.loc[common]
    return window(cpi_features(headline, residuals), start, end)


def load(
    session: Session,
    dataset: str,
    start: dt.date,
    end: dt.date,
    *,
    deflate: Deflator | None = None,
    forecasts: pd.Series | None = None,
) -> pd.DataFrame:
    """Feature frame of ``dataset`` for [start, end] from the store."""
    if dataset == "invoices":
        return invoices(session, start, end, deflate=deflate)
    if dataset == "sales":
        return sales(session, start, end, deflate=deflate)
    if dataset == "cpi":
        return cpi(session, start, end, forecasts=forecasts)
    raise ValueError(f"unknown dataset {dataset!r}")


def training_features(
    dataset: str,
    data: Any,
    *,
    forecasts: pd.Series | None = None,
    session: Session | None = None,
) -> pd.DataFrame:
    """The feature frame of a model's training or evaluation data, built exactly as the drift check
    builds the store's windows (log it with :func:`minimarket.monitoring.reference.log_reference`).

    * ``sales`` — a frame with ``date``, ``sku``, ``quantity``, ``unit_price`` (and optionally ``category``);
    * ``invoices`` — extracted invoices (``ExtractedInvoice`` or contract dicts);
    * ``cpi`` — monthly % by ``Period`` (``InflationData.headline``), with the model's out-of-sample
      ``forecasts`` by target month for the residuals.

    Lookups (CPI, SKU categories, catalog costs) come from the bundled data, plus the shop's store when
    ``session`` is given (what the check uses, so both sides match).
    """
    if dataset == "cpi":
        residuals = None
        if forecasts is not None and not forecasts.empty:
            common = data.index.intersection(forecasts.index)
            residuals = data.loc[common] - forecasts.loc[common]
        return cpi_features(data, residuals)
    deflate = deflator(session) if session is not None else Deflator.bundled()
    categories, costs = catalog_lookups(session)
    if dataset == "sales":
        return sales_features(data, deflate, categories=categories, base_prices=costs)
    if dataset == "invoices":
        payloads = [item.to_json_dict() if hasattr(item, "to_json_dict") else dict(item) for item in data]
        return invoice_features(payloads, deflate, base_prices=costs)
    raise ValueError(f"unknown dataset {dataset!r}")
