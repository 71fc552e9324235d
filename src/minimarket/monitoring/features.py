"""Feature frames that drift checks compare, one builder per dataset.

Every builder is a pure function of plain data, so a training run can build the very same frame on its
training data and log it as the drift reference (:func:`minimarket.monitoring.reference.log_reference`)
while :mod:`minimarket.monitoring.sources` builds the current window from the store.

Each frame has a ``date`` column (used for windowing, never compared) and the feature columns:

* ``invoices`` — one row per extracted invoice: ``total_real``, ``n_items``, ``unit_price_real_median``,
  ``price_index_median`` (real unit price relative to the catalog cost), ``confidence_mean`` (mean
  per-field confidence), ``sku_match_rate``, ``sku_confidence_mean``, ``supplier`` (issuer CUIT: the
  supplier mix), ``status``, ``invoice_type``.
* ``sales`` — one row per day: ``units_total``, ``revenue_real_total`` and, per catalog category,
  ``units__<category>`` (units sold that day) and ``price__<category>`` (the category's price index that
  day: quantity-weighted mean over its SKUs of ``100 × real price / catalog price``, so the index does
  not move when the mix of SKUs sold changes).
* ``cpi`` — one row per month: ``pct`` (monthly inflation, %), ``pct_change`` (pp versus the previous
  month) and ``residual_pp`` (actual − the inflation model's 1-month-ahead forecast) when known.

Money is deflated with INDEC's national CPI to constant pesos of the index base (December 2016 = 100):
``real = nominal / (index(month) / 100)``, so frames built months apart stay comparable. Months after
the last known CPI figure are extrapolated with the mean monthly inflation of the last three months.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd

DATE = "date"
"""The windowing column every feature frame carries (not a feature)."""

UNKNOWN = "desconocido"
OTHER_CATEGORY = "otros"


@dataclass(frozen=True)
class DatasetSpec:
    """What a dataset is, which model it belongs to, and its windowing defaults."""

    name: str
    model_name: str
    """The registered MLflow model whose champion's training/evaluation data is the reference."""
    window_days: int
    """Default length of the current window (days up to the last date with data)."""
    min_rows: int
    """Fewest rows a window needs (current and reference) for a meaningful test."""
    unit: str
    """What one row is (for messages)."""
    numerical: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    numerical_prefixes: tuple[str, ...] = field(default=())
    """Dynamic numerical columns (``sales``: one per category)."""
    level_prefixes: tuple[str, ...] = field(default=())
    """Columns tested by the relative shift of their median (:data:`LEVEL_SHIFT`) instead of
    Evidently's default test: price indices of daily aggregates, whose days are so alike that a
    distribution test flags a 1 % move while only a move of ``LEVEL_SHIFT_THRESHOLD`` matters."""


DATASETS: dict[str, DatasetSpec] = {
    "invoices": DatasetSpec(
        name="invoices",
        model_name="invoice-extractor",
        window_days=30,
        min_rows=20,
        unit="invoices",
        numerical=(
            "total_real",
            "n_items",
            "unit_price_real_median",
            "price_index_median",
            "confidence_mean",
            "sku_match_rate",
            "sku_confidence_mean",
        ),
        categorical=("supplier", "status", "invoice_type"),
    ),
    "sales": DatasetSpec(
        name="sales",
        model_name="demand-forecaster",
        window_days=28,
        min_rows=14,
        unit="days",
        numerical=("units_total", "revenue_real_total"),
        numerical_prefixes=("units__", "price__"),
        level_prefixes=("price__",),
    ),
    "cpi": DatasetSpec(
        name="cpi",
        model_name="inflation-forecaster",
        window_days=365,
        min_rows=6,
        unit="months",
        numerical=("pct", "pct_change", "residual_pp"),
    ),
}


def dataset_spec(name: str) -> DatasetSpec:
    """The spec of ``name`` (``ValueError`` naming the known datasets otherwise)."""
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}") from None


LEVEL_SHIFT = "level_shift"
"""Name of the stattest registered by :mod:`minimarket.monitoring.drift`: ``|median(cur)/median(ref) − 1|``."""
LEVEL_SHIFT_THRESHOLD = 0.10
"""A price index drifts when its median moves by 10 % or more (real terms)."""


def level_columns(columns: Iterable[str], spec: DatasetSpec) -> list[str]:
    """The columns of ``columns`` tested with :data:`LEVEL_SHIFT`."""
    return [c for c in columns if spec.level_prefixes and c.startswith(spec.level_prefixes)]


def feature_columns(frame: pd.DataFrame, spec: DatasetSpec) -> tuple[list[str], list[str]]:
    """The (numerical, categorical) feature columns of ``frame`` for ``spec``, in a stable order."""
    numerical = [c for c in spec.numerical if c in frame.columns]
    numerical += sorted(c for c in frame.columns if c.startswith(spec.numerical_prefixes) and spec.numerical_prefixes)
    categorical = [c for c in spec.categorical if c in frame.columns]
    return numerical, categorical


# --- CPI deflator ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deflator:
    """Monthly CPI index (December 2016 = 100) for turning nominal pesos into constant pesos."""

    index: pd.Series
    """Index level by monthly ``Period``, contiguous."""

    @classmethod
    def from_pct(cls, index: pd.Series, overrides: Mapping[str, float] | None = None) -> Deflator:
        """``index`` (level by month) extended month by month with ``overrides`` (``{"YYYY-MM": pct}``)
        for the months right after it (the figures recorded by the monthly CPI update)."""
        months = list(pd.PeriodIndex(index.index, freq="M"))
        levels = [float(v) for v in index.to_numpy(dtype=float)]
        for month, pct in sorted((overrides or {}).items()):
            period = pd.Period(month, freq="M")
            if period == months[-1] + 1:
                months.append(period)
                levels.append(levels[-1] * (1 + float(pct) / 100))
        return cls(pd.Series(levels, index=pd.PeriodIndex(months, freq="M"), name="index"))

    @classmethod
    def bundled(cls, overrides: Mapping[str, float] | None = None) -> Deflator:
        """INDEC's national CPI from ``data/raw/cpi`` (plus recorded monthly updates)."""
        from minimarket.forecast.cpi import load_national_cpi

        return cls.from_pct(load_national_cpi()["index"], overrides)

    @property
    def last_month(self) -> pd.Period:
        return self.index.index[-1]

    def factors(self, dates: Any) -> np.ndarray:
        """``index(month) / 100`` for each date (months after the last one extrapolated at the mean
        monthly rate of the last three months; months before the first use the first level)."""
        periods = pd.PeriodIndex(pd.to_datetime(pd.Series(dates)).dt.to_period("M"), freq="M")
        levels: dict[pd.Period, float] = dict(zip(self.index.index, self.index.to_numpy(dtype=float), strict=True))
        first, last = self.index.index[0], self.last_month
        tail = self.index.to_numpy(dtype=float)[-4:]
        monthly = float(np.exp(np.mean(np.diff(np.log(tail))))) if len(tail) > 1 else 1.0
        out = np.empty(len(periods))
        for i, period in enumerate(periods):
            if period < first:
                level = levels[first]
            elif period <= last:
                level = levels[period]
            else:
                level = levels[last] * monthly ** (period - last).n
            out[i] = level / 100.0
        return out

    def extrapolated(self, dates: Any) -> bool:
        """Whether any of ``dates`` falls after the last known CPI month."""
        months = pd.to_datetime(pd.Series(dates)).dt.to_period("M")
        return bool(len(months)) and bool((months > self.last_month).any())


# --- invoices --------------------------------------------------------------------------------------------


def _number(value: Any) -> float:
    """A decimal string / number from the invoice contract as float (NaN when missing or unreadable)."""
    if value is None or value == "":
        return math.nan
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return math.nan


def _mean(values: Iterable[float]) -> float:
    data = [v for v in values if not math.isnan(v)]
    return float(np.mean(data)) if data else math.nan


def _median(values: Iterable[float]) -> float:
    data = [v for v in values if not math.isnan(v)]
    return float(np.median(data)) if data else math.nan


def invoice_features(
    payloads: Iterable[Mapping[str, Any]],
    deflator: Deflator,
    *,
    base_prices: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """One row per extracted invoice (the JSON contract, e.g. ``ExtractedInvoice.to_json_dict()`` or
    ``Invoice.payload``); rows without an issue date are dropped (they cannot be placed in a window).

    ``base_prices`` (SKU → catalog cost) gives ``price_index_median``: the median over the invoice's
    matched items of ``100 × real unit price / catalog cost`` (NaN when no item is matched)."""
    bases = base_prices or {}
    rows: list[dict[str, Any]] = []
    for payload in payloads:
        issue_date = payload.get("issue_date")
        if not issue_date:
            continue
        items = payload.get("items") or []
        prices = [_number(item.get("unit_price")) for item in items]
        relative = [
            p / bases[str(item["sku"])]
            for p, item in zip(prices, items, strict=True)
            if item.get("sku") and bases.get(str(item["sku"]), 0) > 0 and not math.isnan(p)
        ]
        sku_conf = [float(item["sku_confidence"]) for item in items if item.get("sku_confidence") is not None]
        confidence = payload.get("confidence") or {}
        rows.append(
            {
                DATE: pd.Timestamp(issue_date),
                "total": _number(payload.get("total")),
                "n_items": float(len(items)),
                "unit_price_median": _median(prices),
                "relative_median": _median(relative),
                "confidence_mean": _mean(float(v) for v in confidence.values() if v is not None),
                "sku_match_rate": (sum(1 for i in items if i.get("sku")) / len(items)) if items else math.nan,
                "sku_confidence_mean": _mean(sku_conf),
                "supplier": str(payload.get("issuer_cuit") or UNKNOWN),
                "status": str(payload.get("status") or UNKNOWN),
                "invoice_type": str(payload.get("invoice_type") or UNKNOWN),
            }
        )
    columns = [DATE, *DATASETS["invoices"].numerical, *DATASETS["invoices"].categorical]
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(rows).sort_values(DATE, kind="stable", ignore_index=True)
    factors = deflator.factors(frame[DATE])
    frame["total_real"] = frame.pop("total") / factors
    frame["unit_price_real_median"] = frame.pop("unit_price_median") / factors
    frame["price_index_median"] = 100.0 * frame.pop("relative_median") / factors
    return frame[columns]


# --- sales -----------------------------------------------------------------------------------------------


def slug(text: str) -> str:
    """``"Yerba e infusiones"`` → ``"yerba_e_infusiones"`` (column-name safe, accents folded)."""
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "_", folded).strip("_") or OTHER_CATEGORY


def sales_features(
    sales: pd.DataFrame,
    deflator: Deflator,
    *,
    categories: Mapping[str, str] | None = None,
    base_prices: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """One row per day from POS lines (``date``, ``sku``, ``quantity``, ``unit_price``[, ``category``]).

    ``categories`` maps SKU → category where the frame has no ``category`` column (unknown SKUs go to
    ``otros``). ``base_prices`` maps SKU → its catalog price (nominal, any fixed date): the category price
    index is the quantity-weighted mean of ``real price / base price``; SKUs without a base price are
    left out of the index. Days inside the span with no sales count as zero units.
    """
    required = {DATE, "sku", "quantity"}
    missing = required - set(sales.columns)
    if missing:
        raise ValueError(f"sales frame lacks columns {sorted(missing)} (needs date, sku, quantity, unit_price)")
    frame = sales.copy()
    frame[DATE] = pd.to_datetime(frame[DATE]).dt.normalize()
    frame["quantity"] = pd.to_numeric(frame["quantity"], errors="coerce").fillna(0.0).astype(float)
    if "unit_price" not in frame.columns:
        frame["unit_price"] = np.nan
    frame["unit_price"] = pd.to_numeric(frame["unit_price"], errors="coerce").astype(float)
    if "category" not in frame.columns:
        lookup = categories or {}
        frame["category"] = frame["sku"].map(lambda s: lookup.get(str(s)) or OTHER_CATEGORY)
    frame["category"] = frame["category"].fillna(OTHER_CATEGORY).map(lambda c: slug(str(c)))
    if frame.empty:
        return pd.DataFrame(columns=[DATE, *DATASETS["sales"].numerical])

    frame["real_price"] = frame["unit_price"] / deflator.factors(frame[DATE])
    frame["revenue_real"] = frame["real_price"] * frame["quantity"]
    days = pd.date_range(frame[DATE].min(), frame[DATE].max(), freq="D", name=DATE)
    out = pd.DataFrame(index=days)
    out["units_total"] = frame.groupby(DATE)["quantity"].sum().reindex(days, fill_value=0.0)
    out["revenue_real_total"] = frame.groupby(DATE)["revenue_real"].sum(min_count=1).reindex(days)

    units = frame.pivot_table(index=DATE, columns="category", values="quantity", aggfunc="sum", fill_value=0.0)
    units = units.reindex(days, fill_value=0.0)
    for category in units.columns:
        out[f"units__{category}"] = units[category].astype(float)

    if base_prices:
        base = frame["sku"].map(lambda s: base_prices.get(str(s), math.nan)).astype(float)
        frame["relative"] = 100.0 * frame["real_price"] / base.where(base > 0)
        priced = frame[frame["relative"].notna() & (frame["quantity"] > 0)].copy()
        if not priced.empty:
            priced["weighted"] = priced["relative"] * priced["quantity"]
            grouped = priced.groupby([DATE, "category"])[["weighted", "quantity"]].sum()
            index = (grouped["weighted"] / grouped["quantity"]).unstack("category").reindex(days)
            for category in index.columns:
                out[f"price__{category}"] = index[category].astype(float)
    return out.reset_index()


# --- CPI -----------------------------------------------------------------------------------------------


def cpi_features(headline: pd.Series, residuals: pd.Series | None = None) -> pd.DataFrame:
    """One row per month from monthly % by ``Period`` (and 1-month-ahead residuals by target month)."""
    if headline.empty:
        return pd.DataFrame(columns=[DATE, "pct", "pct_change", "residual_pp"])
    months = pd.PeriodIndex(headline.index, freq="M")
    pct = pd.Series(headline.to_numpy(dtype=float), index=months)
    frame = pd.DataFrame(
        {
            DATE: months.to_timestamp(),
            "pct": pct.to_numpy(),
            "pct_change": pct.diff().to_numpy(),
        }
    )
    if residuals is not None and not residuals.empty:
        resid = pd.Series(residuals.to_numpy(dtype=float), index=pd.PeriodIndex(residuals.index, freq="M"))
        frame["residual_pp"] = resid.reindex(months).to_numpy()
    else:
        frame["residual_pp"] = np.nan
    return frame


def window(frame: pd.DataFrame, start: Any, end: Any) -> pd.DataFrame:
    """Rows of ``frame`` with ``start <= date <= end`` (dates compared as days)."""
    if frame.empty:
        return frame.copy()
    dates = pd.to_datetime(frame[DATE])
    mask = (dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))
    return frame.loc[mask].reset_index(drop=True)
