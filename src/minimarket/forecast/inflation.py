"""Monthly inflation models, a rolling-origin backtest and the production forecaster.

Every model sees only the months up to its forecast origin (the backtest truncates the data before
calling it), forecasts the monthly % ``h`` months ahead, and works in log space
(``z = 100·ln(1 + pct/100)``) so that compounding and the 2023-12 devaluation spike (25.5 %) do not
distort the fit.

Models (``MODELS``):

* ``naive_last_month`` — next month = this month (the honest baseline).
* ``seasonal_drift`` — this month plus half the median month-to-month change of the target
  calendar months (December up, April–May down …), estimated on the past only.
* ``ets`` — statsmodels exponential smoothing (additive, no trend) on ``z``.
* ``ar`` — statsmodels AutoReg(2) on the month-to-month change of ``z`` over the last 60 months.
* ``components_huber`` — robust (Huber) direct regression of the ``h``-month change on the latest
  headline and INDEC's core / regulated / seasonal components (when the division file covers the
  month; the headline stands in after it ends).
* ``lags_huber`` — the same with two headline lags, a slow moving average and target-month dummies.
* ``gap_regression`` / ``gap_momentum`` — direct regressions in log-inflation space on
  mean-reversion and component gaps (see :mod:`minimarket.forecast.inflation_combination`).
* ``core_seasonal`` / ``trimmed_seasonal`` — core inflation, or the weighted trimmed mean of the 12
  divisions, plus the seasonal drift.
* ``prophet`` — Prophet with yearly seasonality on ``z``.
* ``ensemble`` — the previous production model: the plain mean of ``seasonal_drift``,
  ``components_huber`` and ``lags_huber`` (kept for comparison).
* ``combination`` — the production model: an online forecast combination whose weights *and*
  weighting rule are learned at each origin from the members' past out-of-sample errors only.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from minimarket.config import get_settings
from minimarket.forecast.inflation_base import (
    COMPONENTS,
    LEVELS,
    HuberDirect,
    InflationData,
    InflationModel,
    NaiveLastMonth,
    SeasonalDrift,
    components_huber,
    from_log,
    lags_huber,
    to_log,
)
from minimarket.forecast.inflation_combination import GapRegression, LevelPlusSeason, OnlineCombination

LOG = logging.getLogger(__name__)

__all__ = [
    "AR",
    "BACKTEST_START",
    "COMPONENTS",
    "DEFAULT_HORIZONS",
    "ETS",
    "LEVELS",
    "MODELS",
    "BacktestResult",
    "Ensemble",
    "HuberDirect",
    "InflationData",
    "InflationForecaster",
    "InflationModel",
    "NaiveLastMonth",
    "ProphetModel",
    "SeasonalDrift",
    "components_huber",
    "expected_cumulative_inflation",
    "from_log",
    "lags_huber",
    "make_models",
    "months_between",
    "previous_ensemble",
    "production_model",
    "rolling_backtest",
    "to_log",
]

DEFAULT_HORIZONS: tuple[int, ...] = (1, 3, 6)
BACKTEST_START = "2019-01"


@dataclass
class ETS:
    """Simple exponential smoothing (additive errors, no trend) on log inflation."""

    name: str = "ets"

    def predict(self, data: InflationData, horizons: Sequence[int]) -> dict[int, float]:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        z = to_log(data.headline.to_numpy())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = ExponentialSmoothing(z, trend=None, seasonal=None, initialization_method="estimated").fit()
        forecast = fitted.forecast(max(horizons))
        return {h: float(from_log(forecast[h - 1])) for h in horizons}


@dataclass
class AR:
    """AutoReg on month-to-month changes of log inflation (recursive multi-step)."""

    lags: int = 2
    window: int = 60
    name: str = "ar"

    def predict(self, data: InflationData, horizons: Sequence[int]) -> dict[int, float]:
        from statsmodels.tsa.ar_model import AutoReg

        z = to_log(data.headline.to_numpy())[-self.window :]
        changes = np.diff(z)
        if len(changes) < 3 * self.lags + 5:
            return NaiveLastMonth().predict(data, horizons)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = AutoReg(changes, lags=self.lags, trend="n").fit()
        steps = fitted.forecast(max(horizons))
        path = z[-1] + np.cumsum(steps)
        return {h: float(from_log(path[h - 1])) for h in horizons}


@dataclass
class ProphetModel:
    """Prophet (yearly seasonality, default changepoints) on log inflation."""

    name: str = "prophet"
    changepoint_prior_scale: float = 0.05

    def predict(self, data: InflationData, horizons: Sequence[int]) -> dict[int, float]:
        from prophet import Prophet

        logging.getLogger("cmdstanpy").setLevel(logging.WARNING)
        logging.getLogger("prophet").setLevel(logging.WARNING)
        frame = pd.DataFrame({"ds": data.period_index.to_timestamp(), "y": to_log(data.headline.to_numpy())})
        model = Prophet(
            yearly_seasonality=True,
            weekly_seasonality=False,
            daily_seasonality=False,
            changepoint_prior_scale=self.changepoint_prior_scale,
            uncertainty_samples=0,
        )
        model.fit(frame)
        future = pd.DataFrame(
            {"ds": pd.period_range(data.last_month + 1, periods=max(horizons), freq="M").to_timestamp()}
        )
        yhat = model.predict(future)["yhat"].to_numpy()
        return {h: float(from_log(yhat[h - 1])) for h in horizons}


@dataclass
class Ensemble:
    """Mean of the members' forecasts in log space."""

    members: tuple[InflationModel, ...]
    name: str = "ensemble"

    def predict(self, data: InflationData, horizons: Sequence[int]) -> dict[int, float]:
        forecasts = [m.predict(data, horizons) for m in self.members]
        return {h: float(from_log(np.mean([to_log(f[h]) for f in forecasts]))) for h in horizons}


def previous_ensemble() -> Ensemble:
    """The first production model (plain mean of three members), kept for comparison."""
    return Ensemble(members=(SeasonalDrift(), components_huber(), lags_huber()))


def production_model() -> OnlineCombination:
    """The model that is registered and serves forecasts."""
    return OnlineCombination()


MODELS: dict[str, Callable[[], InflationModel]] = {
    "naive_last_month": NaiveLastMonth,
    "seasonal_drift": SeasonalDrift,
    "ets": ETS,
    "ar": AR,
    "components_huber": components_huber,
    "lags_huber": lags_huber,
    "gap_regression": GapRegression,
    "gap_momentum": lambda: GapRegression(name="gap_momentum", momentum=True),
    "core_seasonal": lambda: LevelPlusSeason(level="core", name="core_seasonal"),
    "trimmed_seasonal": lambda: LevelPlusSeason(level="trim", name="trimmed_seasonal"),
    "prophet": ProphetModel,
    "ensemble": previous_ensemble,
    "combination": production_model,
}


def make_models(names: Iterable[str] | None = None) -> list[InflationModel]:
    """Fresh model objects by name (all of ``MODELS`` by default)."""
    chosen = list(names) if names is not None else list(MODELS)
    unknown = [n for n in chosen if n not in MODELS]
    if unknown:
        raise ValueError(f"unknown inflation model(s) {unknown}; known: {sorted(MODELS)}")
    return [MODELS[n]() for n in chosen]


@dataclass
class BacktestResult:
    """Out-of-sample predictions of a rolling-origin backtest (one row per model, horizon, target)."""

    predictions: pd.DataFrame
    start: str
    end: str

    def mae(self, start: str | None = None, end: str | None = None) -> dict[str, dict[str, float]]:
        """``{model: {"1": mae_pp, "3": …}}`` over targets in [start, end] (the whole span by default)."""
        frame = self.predictions
        lo = pd.Period(start or self.start, freq="M")
        hi = pd.Period(end or self.end, freq="M")
        frame = frame[(frame["target"] >= lo) & (frame["target"] <= hi)]
        out: dict[str, dict[str, float]] = {}
        for (model, horizon), group in frame.groupby(["model", "horizon"], sort=False):
            out.setdefault(str(model), {})[str(horizon)] = float((group["pred"] - group["actual"]).abs().mean())
        return out

    def to_json(self, windows: Mapping[str, tuple[str, str]] | None = None) -> dict[str, Any]:
        """The CLI/benchmark shape: ``{"models": {NAME: {"1": {"mae_pp": x}, …}}, …}``."""
        models = {name: {h: {"mae_pp": round(v, 4)} for h, v in per_h.items()} for name, per_h in self.mae().items()}
        result: dict[str, Any] = {"start": self.start, "end": self.end, "models": models}
        for label, (lo, hi) in (windows or {}).items():
            result[label] = {
                "start": lo,
                "end": hi,
                "models": {
                    name: {h: {"mae_pp": round(v, 4)} for h, v in per_h.items()}
                    for name, per_h in self.mae(lo, hi).items()
                },
            }
        return result


def rolling_backtest(
    data: InflationData,
    models: Sequence[InflationModel],
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    start: str = BACKTEST_START,
    end: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> BacktestResult:
    """Rolling-origin evaluation: for every origin the models see only months ≤ origin and forecast
    ``origin + h``; targets run from ``start`` to ``end`` (the last month by default)."""
    first = pd.Period(start, freq="M")
    last = pd.Period(end, freq="M") if end else data.last_month
    if last > data.last_month:
        raise ValueError(f"backtest end {last} is after the last known month {data.last_month}")
    if first > last:
        raise ValueError(f"backtest start {first} is after its end {last}")
    max_h = max(horizons)
    rows: list[dict[str, Any]] = []
    origin = first - max_h
    while origin < last:
        if origin < data.headline.index[0] + 12:
            origin += 1
            continue
        past = data.truncate(origin)
        wanted = [h for h in horizons if first <= origin + h <= last]
        for model in models:
            forecast = model.predict(past, wanted)
            for h in wanted:
                target = origin + h
                rows.append(
                    {
                        "model": model.name,
                        "horizon": h,
                        "origin": origin,
                        "target": target,
                        "pred": forecast[h],
                        "actual": data.pct(target),
                    }
                )
        if progress is not None:
            progress(str(origin))
        origin += 1
    return BacktestResult(pd.DataFrame(rows), start=str(first), end=str(last))


RATE_FLOOR_PCT = 0.05
"""Monthly rates below this (%) are taken as this in log space (a zero or negative month has no logarithm)."""


def log_rate(pct: Any) -> Any:
    """``ln`` of the monthly rate in % (floored at :data:`RATE_FLOOR_PCT`)."""
    return np.log(np.maximum(np.asarray(pct, dtype=float), RATE_FLOOR_PCT))


def rate_residual_quantiles(
    predictions: pd.DataFrame, horizons: Sequence[int], level: float, min_half_width: float
) -> dict[int, tuple[float, float]]:
    """Per horizon, the ``(1-level)/2`` and ``(1+level)/2`` quantiles of ``ln(actual) - ln(pred)`` of backtest
    ``predictions``, at least ``min_half_width`` either side of zero (few errors: ``±min_half_width·h``)."""
    alpha = 1.0 - level
    quantiles: dict[int, tuple[float, float]] = {}
    for h in horizons:
        group = predictions[predictions["horizon"] == h]
        residuals = log_rate(group["actual"].to_numpy()) - log_rate(group["pred"].to_numpy())
        if len(residuals) < 5:
            quantiles[h] = (-min_half_width * h, min_half_width * h)
            continue
        lo, hi = np.quantile(residuals, [alpha / 2, 1 - alpha / 2])
        quantiles[h] = (min(float(lo), -min_half_width), max(float(hi), min_half_width))
    return quantiles


def rate_interval(point: float, lo: float, hi: float) -> tuple[float, float]:
    """``(lower, upper)`` of a monthly rate: the point (floored) scaled by ``e^lo`` and ``e^hi``."""
    base = max(float(point), RATE_FLOOR_PCT)
    return base * math.exp(lo), base * math.exp(hi)


@dataclass
class InflationForecaster:
    """The production forecaster: a model plus empirical prediction intervals.

    Intervals come from the model's own out-of-sample errors over the last ``calibration_months`` origins
    (``Settings.inflation_calibration_months`` by default), per horizon, in **log space of the monthly rate**:
    the residual ``ln(actual) - ln(forecast)`` (rates floored at ``RATE_FLOOR_PCT``), whose ``α/2`` and
    ``1-α/2`` quantiles scale the point forecast (``forecast · e^q``). A band is therefore as wide, relative
    to the level, as the model's recent misses, and never reaches below zero (Argentina's monthly CPI has
    been positive for decades); a half-width floor of ``min_log_half_width`` keeps a calm stretch from
    yielding a zero-width band.
    """

    model: InflationModel = field(default_factory=production_model)
    level: float = 0.9
    calibration_months: int = field(default_factory=lambda: get_settings().inflation_calibration_months)
    max_horizon: int = 6
    min_log_half_width: float = 0.2
    data: InflationData | None = None
    residual_quantiles: dict[int, tuple[float, float]] = field(default_factory=dict)
    interval_space: str = "log_rate"

    def fit(self, data: InflationData) -> InflationForecaster:
        horizons = list(range(1, self.max_horizon + 1))
        start = data.last_month - self.calibration_months + 1
        result = rolling_backtest(data, [self.model], horizons, start=str(start), end=str(data.last_month))
        self.residual_quantiles = rate_residual_quantiles(
            result.predictions, horizons, self.level, self.min_log_half_width
        )
        self.data = data
        return self

    def forecast(self, months: int = 6) -> pd.DataFrame:
        """``month``, ``pct``, ``lower``, ``upper`` for the ``months`` months after the last known one."""
        if self.data is None:
            raise RuntimeError("fit() the forecaster before forecasting")
        if not 1 <= months <= self.max_horizon:
            raise ValueError(f"months must be between 1 and {self.max_horizon}")
        horizons = list(range(1, months + 1))
        point = self.model.predict(self.data, horizons)
        legacy = self.__dict__.get("interval_space", "log_points") == "log_points"  # versions pickled before
        rows = []
        for h in horizons:
            lo, hi = self.residual_quantiles[h]
            if legacy:
                z = float(to_log(point[h]))
                lower, upper = float(from_log(z + lo)), float(from_log(z + hi))
            else:
                lower, upper = rate_interval(point[h], lo, hi)
            rows.append(
                {"month": str(self.data.last_month + h), "horizon": h, "pct": point[h], "lower": lower, "upper": upper}
            )
        return pd.DataFrame(rows)

    def widened_interval(self, horizon: int, factor: float) -> tuple[float, float, float]:
        """(point, lower, upper) for ``horizon`` with the interval's half-widths multiplied by ``factor``."""
        row = self.forecast(horizon).iloc[-1]
        point = float(row["pct"])
        lower = point - factor * (point - float(row["lower"]))
        upper = point + factor * (float(row["upper"]) - point)
        return point, lower, upper


def interval_coverage(
    data: InflationData,
    model: InflationModel,
    *,
    level: float = 0.9,
    calibration_months: int = 24,
    test_months: int = 24,
    min_log_half_width: float = 0.2,
) -> dict[int, float]:
    """Out-of-sample coverage of the intervals, per horizon: quantiles from the errors of the
    ``calibration_months`` before the last ``test_months``, share of those last months' actuals inside."""
    horizons = list(range(1, 7))
    first = data.last_month - (calibration_months + test_months) + 1
    split = data.last_month - test_months + 1
    frame = rolling_backtest(data, [model], horizons, start=str(first)).predictions
    calibration = frame[frame["target"] < split]
    test = frame[frame["target"] >= split]
    quantiles = rate_residual_quantiles(calibration, horizons, level, min_log_half_width)
    coverage: dict[int, float] = {}
    for h in horizons:
        rows = test[test["horizon"] == h]
        bounds = [rate_interval(p, *quantiles[h]) for p in rows["pred"]]
        inside = [lo <= a <= hi for (lo, hi), a in zip(bounds, rows["actual"], strict=True)]
        coverage[h] = float(np.mean(inside)) if inside else math.nan
    return coverage


def expected_cumulative_inflation(monthly_pct: Sequence[float], fraction_of_last: float = 1.0) -> float:
    """Compound monthly % into a cumulative % (the last month counted by ``fraction_of_last``)."""
    total = 1.0
    for i, pct in enumerate(monthly_pct):
        weight = fraction_of_last if i == len(monthly_pct) - 1 else 1.0
        total *= (1.0 + pct / 100.0) ** weight
    return 100.0 * (total - 1.0)


def months_between(first: str, last: str) -> int:
    """Number of months from ``first`` to ``last`` (``YYYY-MM``), inclusive."""
    return (pd.Period(last, freq="M") - pd.Period(first, freq="M")).n + 1
