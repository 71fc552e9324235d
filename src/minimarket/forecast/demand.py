"""Demand forecasting on sales per series (SKU, or store × SKU): a global gradient-boosting model
with quantile outputs, the baselines it must beat, and a fold-based backtest.

Data model: a :class:`Panel` — a dense ``series × periods`` matrix of units sold (``NaN`` before a
series' first sale, ``0`` on periods without sales after it) at a daily (``D``), weekly (``W``) or
monthly (``M``) frequency, with the last known unit price carried forward when prices are given.

Every forecast is made from an *origin* (the last period the model may look at) for ``k = 1..H``
periods ahead; all features are computed from values at or before the origin, so nothing from the
future leaks in (``tests/unit/forecast/test_demand.py`` checks it by poisoning the future).

Models:

* ``global_gbm`` — one scikit-learn ``HistGradientBoostingRegressor`` per quantile (P10/P50/P90)
  for all series, on scale-free targets (units / the series' recent mean) with lag, rolling,
  same-weekday, last-year, intermittency, price and calendar (weekday, paydays, holidays, month)
  features and the lead ``k``; P50 is the point forecast.
* ``seasonal_naive`` — the value one season before (last week's same weekday for daily data).
* ``moving_average`` — the mean of the last 4 seasons' worth of periods (28 days for daily data).
* ``prophet`` — Prophet fitted per series.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from minimarket.forecast import metrics

LOG = logging.getLogger(__name__)

SEASON = {"D": 7, "W": 52, "M": 12}
YEAR = {"D": 364, "W": 52, "M": 12}
MA_WINDOW = {"D": 28, "W": 4, "M": 3}
PANDAS_FREQ = {"D": "D", "W": "W-MON", "M": "MS"}
QUANTILES = (0.1, 0.5, 0.9)


class DemandDataError(ValueError):
    """The sales cannot be turned into series (message says what and what is accepted)."""


@dataclass
class Panel:
    """Units sold per series and period (``values``: n_series × n_periods)."""

    series: list[str]
    periods: pd.DatetimeIndex
    values: np.ndarray
    freq: str = "D"
    prices: np.ndarray | None = None
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def n_series(self) -> int:
        return len(self.series)

    def truncate(self, last: int) -> Panel:
        """Only the periods ``0..last`` (inclusive), series without any sale by then dropped."""
        values = self.values[:, : last + 1]
        keep = np.isfinite(values).any(axis=1)
        return Panel(
            series=[s for s, k in zip(self.series, keep, strict=True) if k],
            periods=self.periods[: last + 1],
            values=values[keep],
            freq=self.freq,
            prices=None if self.prices is None else self.prices[keep, : last + 1],
        )

    def to_frame(self) -> pd.DataFrame:
        """Long frame ``series``, ``date``, ``quantity`` (observed periods only)."""
        i, j = np.nonzero(np.isfinite(self.values))
        return pd.DataFrame(
            {"series": np.array(self.series)[i], "date": self.periods[j], "quantity": self.values[i, j]}
        )


def build_panel(
    sales: pd.DataFrame,
    *,
    date_col: str = "date",
    sku_col: str = "sku",
    qty_col: str | None = "quantity",
    store_col: str | None = None,
    price_col: str | None = None,
    freq: str = "D",
    min_sales: int = 2,
    gaps: str = "zero",
    periods: pd.DatetimeIndex | None = None,
) -> Panel:
    """Aggregate raw sales rows into a panel.

    Without ``qty_col`` every row is one unit (a transaction log). Negative quantities are returns:
    they are netted into their period, and a period whose net is negative counts as 0 sold. With
    ``store_col`` each store × SKU is its own series (``"store|sku"``). Series with fewer than
    ``min_sales`` selling periods cannot be evaluated and are listed in ``Panel.skipped``.

    ``gaps``: what a period without any row (after the series' first sale) means — ``"zero"`` (a POS
    export has no row for a day without sales: 0 sold) or ``"missing"`` (a panel data set where an
    absent row means "not recorded", e.g. a store's closed or unreported week: left unknown, never
    scored, and ignored by the features).

    ``periods``: the panel's periods (rows outside them are left out); by default every period from the
    first to the last sale. A fixed range makes each series' row independent of the other series given
    (a SKU forecast alone or among others gets the same row, hence the same forecast).
    """
    if gaps not in ("zero", "missing"):
        raise DemandDataError(f"unknown gaps mode {gaps!r}; accepted: zero, missing")
    if freq not in SEASON:
        raise DemandDataError(f"unknown frequency {freq!r}; accepted: D (daily), W (weekly), M (monthly)")
    needed = [c for c in (date_col, sku_col, qty_col, store_col, price_col) if c]
    missing = [c for c in needed if c not in sales.columns]
    if missing:
        raise DemandDataError(f"missing column(s) {missing}; the data has {list(sales.columns)}")
    if sales.empty:
        raise DemandDataError("no sales rows")
    dates = pd.to_datetime(sales[date_col], errors="coerce")
    if dates.isna().any():
        bad = sales.loc[dates.isna(), date_col].astype(str).head(3).tolist()
        raise DemandDataError(f"unparseable dates in {date_col!r}, e.g. {bad} (accepted: YYYY-MM-DD)")
    if qty_col:
        qty = pd.to_numeric(sales[qty_col], errors="coerce")
        if qty.isna().any():
            bad = sales.loc[qty.isna(), qty_col].astype(str).head(3).tolist()
            raise DemandDataError(f"non-numeric quantities in {qty_col!r}, e.g. {bad}")
    else:
        qty = pd.Series(1.0, index=sales.index)
    key = sales[sku_col].astype(str).str.strip()
    if store_col:
        key = sales[store_col].astype(str).str.strip() + "|" + key
    period = dates.dt.to_period({"D": "D", "W": "W-SUN", "M": "M"}[freq]).dt.start_time
    frame = pd.DataFrame({"series": key.to_numpy(), "period": period.to_numpy(), "qty": qty.to_numpy(float)})
    if price_col:
        frame["price"] = pd.to_numeric(sales[price_col], errors="coerce").to_numpy(float)
    if periods is not None:
        frame = frame[frame["period"].isin(periods)]
        if frame.empty:
            raise DemandDataError(f"no sales rows from {periods[0].date()} to {periods[-1].date()}")
    grouped = frame.groupby(["series", "period"], sort=True)
    net = grouped["qty"].sum().clip(lower=0.0)
    if periods is None:
        periods = pd.date_range(frame["period"].min(), frame["period"].max(), freq=PANDAS_FREQ[freq])
        if freq == "W":
            periods = pd.date_range(frame["period"].min(), frame["period"].max(), freq="7D")
    wide = net.unstack("period").reindex(columns=periods)
    selling = (wide > 0).sum(axis=1)
    skipped = {
        str(s): f"only {int(n)} period(s) with sales (needs {min_sales})" for s, n in selling.items() if n < min_sales
    }
    wide = wide[selling >= min_sales]
    if wide.empty:
        raise DemandDataError(f"no series has at least {min_sales} periods with sales")
    values = wide.to_numpy(float)
    first = np.argmax(np.nan_to_num(values, nan=0.0) > 0, axis=1)
    filled = np.nan_to_num(values, nan=0.0)
    columns = np.arange(values.shape[1])[None, :]
    values = np.where(columns >= first[:, None], filled if gaps == "zero" else values, np.nan)
    prices = None
    if price_col:
        price_wide = grouped["price"].mean().unstack("period").reindex(index=wide.index, columns=periods)
        prices = price_wide.ffill(axis=1).bfill(axis=1).to_numpy(float)
    return Panel(list(map(str, wide.index)), periods, values, freq, prices, skipped)


# --------------------------------------------------------------------------------------------------
# features


@functools.cache
def _holiday_days(years: tuple[int, ...]) -> np.ndarray:
    """Argentina's holidays of ``years`` as ``datetime64[D]`` (built once per set of years: a forecast of the
    same days asks again and again)."""
    import holidays

    ar = holidays.country_holidays("AR", years=list(years))
    return np.array(sorted(ar.keys()), dtype="datetime64[D]")


def _holiday_flags(periods: pd.DatetimeIndex) -> np.ndarray:
    years = tuple(sorted(set(periods.year) | {periods.year.max() + 1}))
    days = periods.to_numpy().astype("datetime64[D]")
    return np.isin(days, _holiday_days(years)).astype(float)


@functools.cache
def _openmp() -> Any:
    """One threadpoolctl controller for scikit-learn's OpenMP (inspecting the loaded libraries costs ~10 ms,
    as much as a forecast of a few series: done once per process, not at every call)."""
    import sklearn.ensemble  # noqa: F401  # loads the OpenMP runtime the controller must see
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _future_periods(panel: Panel, horizon: int) -> pd.DatetimeIndex:
    last = panel.periods[-1]
    step = {"D": pd.Timedelta(days=1), "W": pd.Timedelta(days=7)}.get(panel.freq)
    if step is not None:
        return pd.DatetimeIndex(last + step * np.arange(1, horizon + 1))
    return pd.DatetimeIndex([last + pd.DateOffset(months=k) for k in range(1, horizon + 1)])


def _calendar(periods: pd.DatetimeIndex, freq: str) -> np.ndarray:
    """Calendar features of target periods: weekday, day of month, payday window, holiday, month, week."""
    month = periods.month.to_numpy(float)
    if freq == "D":
        dom = periods.day.to_numpy(float)
        payday = (dom <= 5).astype(float)
        return np.column_stack([periods.dayofweek.to_numpy(float), dom, payday, _holiday_flags(periods), month])
    if freq == "W":
        return np.column_stack([periods.isocalendar().week.to_numpy(float), month])
    return month[:, None]


CAL_NAMES = {
    "D": ["dow", "dom", "payday", "holiday", "month"],
    "W": ["week", "month"],
    "M": ["month"],
}
FEATURE_NAMES = [
    "k",
    "log_scale",
    "last",
    "mean_season",
    "mean_4season",
    "mean_long",
    "same_pos_1",
    "same_pos_mean4",
    "last_year",
    "last_year_window",
    "zero_share",
    "since_sale",
    "age",
    "price_rel",
]


def _window_mean(values: np.ndarray, end: int, width: int) -> np.ndarray:
    lo = max(0, end - width + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values[:, lo : end + 1], axis=1)


def origin_features(
    values: np.ndarray,
    origin: int,
    leads: Sequence[int],
    freq: str,
    calendar: np.ndarray,
    prices: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows for every series × lead from ``origin`` (using columns ``≤ origin`` of ``values``
    only) and the per-series scale. ``calendar`` holds the target periods' calendar rows, indexed by
    ``origin + k`` (it may extend beyond ``values``). Rows are ordered lead-major."""
    m, year = SEASON[freq], YEAR[freq]
    past = values[:, : origin + 1]
    n = past.shape[0]
    long = {"D": 91, "W": 26, "M": 12}[freq]
    scale = _window_mean(past, origin, long)
    overall = _window_mean(past, origin, origin + 1)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, overall)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    scale = np.maximum(scale, 0.02)
    observed = np.isfinite(past)
    age = observed.sum(axis=1).astype(float)
    recent = past[:, max(0, origin - 4 * m + 1) :]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        zero_share = np.nanmean(recent == 0, axis=1)
    sold = np.nan_to_num(past, nan=0.0) > 0
    last_sale = np.where(sold.any(axis=1), origin - (sold.shape[1] - 1 - np.argmax(sold[:, ::-1], axis=1)), origin)
    since_sale = np.minimum(origin - last_sale + 0.0, 4.0 * m)
    if prices is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ref = np.nanmean(prices[:, max(0, origin - long + 1) : origin + 1], axis=1)
        price_rel = prices[:, origin] / np.where(ref > 0, ref, np.nan)
    else:
        price_rel = np.full(n, np.nan)
    base = {
        "log_scale": np.log(scale),
        "last": past[:, origin] / scale,
        "mean_season": _window_mean(past, origin, m) / scale,
        "mean_4season": _window_mean(past, origin, 4 * m) / scale,
        "mean_long": _window_mean(past, origin, 2 * long) / scale,
        "zero_share": zero_share,
        "since_sale": since_sale,
        "age": np.minimum(age, 3.0 * year),
        "price_rel": price_rel,
    }
    blocks = []
    for k in leads:
        target = origin + k
        back = m * int(np.ceil(k / m))
        same = [target - back - m * i for i in range(4)]
        same_vals = np.column_stack([past[:, s] if 0 <= s <= origin else np.full(n, np.nan) for s in same])
        ly = target - year
        ly_val = past[:, ly] if 0 <= ly <= origin else np.full(n, np.nan)
        lo, hi = ly - 3, min(ly + 3, origin)
        if lo >= 0 and hi >= lo:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                ly_win = np.nanmean(past[:, lo : hi + 1], axis=1)
        else:
            ly_win = np.full(n, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            same_mean = np.nanmean(same_vals, axis=1)
        cols = [
            np.full(n, float(k)),
            base["log_scale"],
            base["last"],
            base["mean_season"],
            base["mean_4season"],
            base["mean_long"],
            same_vals[:, 0] / scale,
            same_mean / scale,
            ly_val / scale,
            ly_win / scale,
            base["zero_share"],
            base["since_sale"],
            base["age"],
            base["price_rel"],
        ]
        cal = np.repeat(calendar[target][None, :], n, axis=0)
        blocks.append(np.column_stack([*cols, cal]))
    return np.vstack(blocks), scale


# --------------------------------------------------------------------------------------------------
# models


BASELINE_FEATURE = FEATURE_NAMES.index("mean_4season")
_CALENDARS: dict[tuple[str, int, str, bytes], np.ndarray] = {}
_CALENDARS_LOCK = threading.Lock()
"""Calendar rows of recent panels' periods and horizons (a service forecasts the same days request after
request): read-only arrays, the oldest dropped beyond 32."""


def _baseline(x: np.ndarray) -> np.ndarray:
    """The recent mean (scale-free) each GBM row's target is measured from (0 where unknown).

    The quantile models learn the departure from this baseline, not the raw ratio. On a log where most
    rows sell nothing (a bakery's intermittent items: 56% of training targets are 0), raw targets make
    the P10 and P50 models start at 0 and scikit-learn's quantile leaf update (the quantile of each
    leaf's residuals) then keeps every leaf at exactly 0: the same tree repeats 250 times and every
    product, best sellers included, is forecast 0. Residuals from a per-series baseline are continuous,
    so that fixed point does not exist."""
    return np.nan_to_num(x[:, BASELINE_FEATURE], nan=0.0)


@dataclass
class GlobalGBM:
    """One HistGradientBoosting model per quantile over all series (scale-free targets)."""

    horizon: int = 28
    quantiles: tuple[float, ...] = QUANTILES
    n_origins: int = 52
    origin_step: int | None = None
    max_rows: int = 160_000
    max_iter: int = 250
    learning_rate: float = 0.06
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 40
    seed: int = 0
    n_threads: int = 1
    """OpenMP threads for scikit-learn. One by default: on a small shared machine HGB's OpenMP barriers
    under oversubscription make two threads many times slower than one (measured 0.24 s vs 15 s)."""
    name: str = "global_gbm"
    models: dict[float, Any] = field(default_factory=dict)
    freq: str = "D"
    dead_columns: np.ndarray | None = None
    relative_target: bool = True
    """Targets measured from the series' recent mean (see :func:`_baseline`); False in models pickled
    before that change, which learned the raw ratio."""

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update({"relative_target": False, **state})

    def _offset(self, x: np.ndarray) -> np.ndarray:
        return _baseline(x) if self.relative_target else np.zeros(len(x))

    def _calendar(self, panel: Panel) -> np.ndarray:
        key = (panel.freq, self.horizon, str(panel.periods.dtype), panel.periods.asi8.tobytes())
        found = _CALENDARS.get(key)
        if found is None:
            periods = pd.DatetimeIndex(panel.periods.append(_future_periods(panel, self.horizon)))
            found = _calendar(periods, panel.freq)
            found.flags.writeable = False
            with _CALENDARS_LOCK:
                if len(_CALENDARS) >= 32:
                    _CALENDARS.pop(next(iter(_CALENDARS)))
                _CALENDARS[key] = found
        return found

    def training_set(self, panel: Panel) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.seed)
        t = panel.values.shape[1]
        step = self.origin_step or max(1, SEASON[panel.freq] if panel.freq == "D" else 1)
        last_origin = t - 1 - self.horizon
        origins = [last_origin - step * i for i in range(self.n_origins)]
        origins = [o for o in origins if o >= SEASON[panel.freq]]
        if not origins:
            raise DemandDataError(
                f"not enough history: need more than {self.horizon + SEASON[panel.freq]} periods to train"
            )
        calendar = self._calendar(panel)
        per_origin = max(1, self.max_rows // max(1, len(origins)))
        n_leads = int(min(self.horizon, max(1, per_origin // max(1, panel.n_series))))
        xs, ys = [], []
        for origin in origins:
            leads = sorted(rng.choice(np.arange(1, self.horizon + 1), size=n_leads, replace=False))
            x, scale = origin_features(panel.values, origin, leads, panel.freq, calendar, panel.prices)
            y = np.concatenate([panel.values[:, origin + k] / scale for k in leads]) - self._offset(x)
            ok = np.isfinite(y)
            xs.append(x[ok])
            ys.append(y[ok])
        return np.vstack(xs), np.concatenate(ys)

    def fit(self, panel: Panel) -> GlobalGBM:
        from sklearn.ensemble import HistGradientBoostingRegressor

        self.freq = panel.freq
        x, y = self.training_set(panel)
        # A feature that is missing everywhere (e.g. last year's sales on a short history) carries no
        # information and breaks the binning: it is zeroed for fitting and prediction alike.
        self.dead_columns = ~np.isfinite(x).any(axis=0)
        x[:, self.dead_columns] = 0.0
        self.models = {}
        for q in self.quantiles:
            model = HistGradientBoostingRegressor(
                loss="quantile",
                quantile=q,
                max_iter=self.max_iter,
                learning_rate=self.learning_rate,
                max_leaf_nodes=self.max_leaf_nodes,
                min_samples_leaf=self.min_samples_leaf,
                l2_regularization=1.0,
                early_stopping=False,
                random_state=self.seed,
            )
            with _openmp().limit(limits=self.n_threads, user_api="openmp"):
                model.fit(x, y)
            self.models[q] = model
        return self

    def predict_quantiles(self, panel: Panel) -> dict[float, np.ndarray]:
        """``{q: n_series × horizon}`` forecasts from the panel's last period."""
        if not self.models:
            raise RuntimeError("fit() the model first")
        origin = panel.values.shape[1] - 1
        leads = list(range(1, self.horizon + 1))
        x, scale = origin_features(panel.values, origin, leads, panel.freq, self._calendar(panel), panel.prices)
        if self.dead_columns is not None and len(self.dead_columns) == x.shape[1]:
            x[:, self.dead_columns] = 0.0
        n = panel.n_series
        preds = {}
        for q, model in self.models.items():
            with _openmp().limit(limits=self.n_threads, user_api="openmp"):
                ratio = np.clip(self._offset(x) + model.predict(x), 0.0, None)
            preds[q] = ratio.reshape(len(leads), n).T * scale[:, None]
        ordered = np.sort(np.stack([preds[q] for q in sorted(preds)]), axis=0)
        return {q: ordered[i] for i, q in enumerate(sorted(preds))}

    @property
    def point_quantile(self) -> float:
        """The quantile :meth:`predict` gives: P50, or the lowest fitted one without it."""
        return 0.5 if 0.5 in self.models else sorted(self.models)[0]

    def predict(self, panel: Panel) -> np.ndarray:
        return self.predict_quantiles(panel)[self.point_quantile]


@dataclass
class SeasonalNaive:
    horizon: int = 28
    name: str = "seasonal_naive"

    def fit(self, panel: Panel) -> SeasonalNaive:
        return self

    def predict(self, panel: Panel) -> np.ndarray:
        m = SEASON[panel.freq]
        t = panel.values.shape[1]
        out = np.empty((panel.n_series, self.horizon))
        for k in range(1, self.horizon + 1):
            src = t - 1 + k - m * int(np.ceil(k / m))
            out[:, k - 1] = panel.values[:, src] if src >= 0 else np.nan
        return np.nan_to_num(out, nan=0.0)


@dataclass
class MovingAverage:
    horizon: int = 28
    window: int | None = None
    name: str = "moving_average"

    def fit(self, panel: Panel) -> MovingAverage:
        return self

    def predict(self, panel: Panel) -> np.ndarray:
        width = self.window or MA_WINDOW[panel.freq]
        mean = np.nan_to_num(_window_mean(panel.values, panel.values.shape[1] - 1, width), nan=0.0)
        return np.repeat(mean[:, None], self.horizon, axis=1)


LIBRARY_LOGGERS = ("cmdstanpy", "prophet", "statsforecast", "numba")


def quiet_library_logs(verbose: bool = False) -> None:
    """Keep the forecasting libraries at WARNING unless ``verbose`` (Prophet and cmdstanpy print about
    940 INFO lines a backtest otherwise). cmdstanpy installs its own INFO handler on first use unless its
    logger already has one, so a null handler goes first."""
    if verbose:
        return
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(logging.NullHandler())
        logger.setLevel(logging.WARNING)


def _prophet_one(ds: np.ndarray, y: np.ndarray, future: np.ndarray, freq: str, verbose: bool = False) -> np.ndarray:
    quiet_library_logs(verbose)  # also in joblib's worker processes
    from prophet import Prophet

    ok = np.isfinite(y)
    frame = pd.DataFrame({"ds": ds[ok], "y": y[ok]})
    if len(frame) < 3 or frame["y"].nunique() < 2:
        return np.full(len(future), float(np.nanmean(y)) if ok.any() else 0.0)
    span_days = (frame["ds"].iloc[-1] - frame["ds"].iloc[0]).days
    model = Prophet(
        weekly_seasonality=freq == "D",
        yearly_seasonality=span_days >= 365,
        daily_seasonality=False,
        uncertainty_samples=0,
    )
    model.fit(frame)
    yhat = model.predict(pd.DataFrame({"ds": future}))["yhat"].to_numpy()
    return np.clip(yhat, 0.0, None)


@dataclass
class ProphetPerSeries:
    horizon: int = 28
    n_jobs: int = 2
    name: str = "prophet"
    verbose: bool = False

    def fit(self, panel: Panel) -> ProphetPerSeries:
        return self

    def predict(self, panel: Panel) -> np.ndarray:
        from joblib import Parallel, delayed

        ds = panel.periods.to_numpy()
        future = _future_periods(panel, self.horizon).to_numpy()
        # worker processes only pay off beyond a handful of series
        rows = Parallel(n_jobs=self.n_jobs if panel.n_series >= 20 else 1)(
            delayed(_prophet_one)(ds, panel.values[i], future, panel.freq, self.verbose) for i in range(panel.n_series)
        )
        return np.vstack(rows)


# --------------------------------------------------------------------------------------------------
# backtest


@dataclass
class DemandBacktest:
    horizon: int
    folds: int
    n_series: int
    freq: str
    results: dict[str, dict[str, Any]]
    skipped: dict[str, str]
    origins: list[str]
    details: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Per model with a choice to explain (``auto``): what it chose in each fold."""

    def to_json(self) -> dict[str, Any]:
        return {
            "horizon": self.horizon,
            "n_series": self.n_series,
            "folds": self.folds,
            "freq": self.freq,
            "origins": self.origins,
            "models": self.results,
            "skipped_series": len(self.skipped),
            "skipped_examples": dict(list(self.skipped.items())[:10]),
            **({"selection_per_fold": self.details} if self.details else {}),
        }


def backtest(
    panel: Panel,
    *,
    horizon: int = 28,
    folds: int = 3,
    models: Sequence[Any],
    progress: Callable[[str], None] | None = None,
) -> DemandBacktest:
    """Non-overlapping folds ending at the last period: fold ``j`` trains on everything up to
    ``T - j·H`` and forecasts the next ``H`` periods; errors are pooled over folds and series."""
    if horizon < 1 or folds < 1:
        raise DemandDataError("horizon and folds must be positive")
    t = panel.values.shape[1]
    min_train = horizon + 2 * SEASON[panel.freq]
    if t - folds * horizon < min_train:
        raise DemandDataError(
            f"not enough history for {folds} fold(s) of {horizon} periods: {t} periods, need at least "
            f"{folds * horizon + min_train}"
        )
    chosen = list(models)
    m = SEASON[panel.freq]
    acc: dict[str, dict[str, list[Any]]] = {
        mdl.name: {"actual": [], "pred": [], "mae": [], "scale": [], "seconds": [], "lo": [], "hi": [], "about": []}
        for mdl in chosen
    }
    origins = []
    for j in range(folds, 0, -1):
        origin = t - 1 - j * horizon
        origins.append(str(panel.periods[origin].date()))
        train = panel.truncate(origin)
        index = {s: i for i, s in enumerate(panel.series)}
        rows = np.array([index[s] for s in train.series])
        future = panel.values[rows, origin + 1 : origin + 1 + horizon]
        before_first = np.cumsum(np.isfinite(panel.values[rows, : origin + 1 + horizon]), axis=1)[:, origin + 1 :] == 0
        # not yet started → 0 sold; a gap ("missing" panels) → not scored
        actual = np.where(before_first, 0.0, future)
        scored = np.isfinite(actual)
        scales = np.array([metrics.mase_scale(v, m) for v in train.values])
        for mdl in chosen:
            started = time.perf_counter()
            fitted = mdl.fit(train)
            if hasattr(fitted, "predict_quantiles"):
                quantiles = fitted.predict_quantiles(train)
                pred = quantiles[0.5]
                acc[mdl.name]["lo"].append(quantiles[0.1][scored])
                acc[mdl.name]["hi"].append(quantiles[0.9][scored])
            else:
                pred = fitted.predict(train)
            acc[mdl.name]["seconds"].append(time.perf_counter() - started)
            if hasattr(fitted, "describe"):
                acc[mdl.name]["about"].append({"origin": str(panel.periods[origin].date()), **fitted.describe()})
            acc[mdl.name]["actual"].append(actual[scored])
            acc[mdl.name]["pred"].append(pred[scored])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                acc[mdl.name]["mae"].extend(np.nanmean(np.abs(actual - pred), axis=1).tolist())
            acc[mdl.name]["scale"].extend(scales.tolist())
        if progress:
            progress(f"fold origin {panel.periods[origin].date()}")
    results: dict[str, dict[str, Any]] = {}
    details: dict[str, list[dict[str, Any]]] = {}
    for name, a in acc.items():
        actual_all = np.concatenate(a["actual"])
        pred_all = np.concatenate(a["pred"])
        results[name] = {
            "wape": round(metrics.wape(actual_all, pred_all), 4),
            "mase": round(metrics.pooled_mase(a["mae"], a["scale"]), 4),
            "bias": round(metrics.bias(actual_all, pred_all), 4),
            "fit_seconds": round(float(np.sum(a["seconds"])), 2),
        }
        if a["lo"]:
            inside = metrics.coverage(actual_all, np.concatenate(a["lo"]), np.concatenate(a["hi"]))
            results[name]["coverage_p10_p90"] = round(inside, 4)
        if a["about"]:
            details[name] = a["about"]
    return DemandBacktest(horizon, folds, panel.n_series, panel.freq, results, panel.skipped, origins, details)
