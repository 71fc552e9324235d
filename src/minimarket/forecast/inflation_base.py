"""The ground the inflation models stand on: the data they read, their protocol, log-point helpers, the small
numeric tools (robust regression, exponential average, seasonal drift) and the simple models the others
build on or combine.

:mod:`minimarket.forecast.inflation_combination` (the combination and its members) and
:mod:`minimarket.forecast.inflation` (the model registry, the backtest and the forecaster) both import
from here, never the other way round.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from minimarket.forecast import cpi


def huber_irls(
    x: np.ndarray,
    y: np.ndarray,
    *,
    epsilon: float = 1.35,
    ridge: float = 1e-3,
    sample_weight: np.ndarray | None = None,
    max_iter: int = 50,
) -> np.ndarray:
    """Huber-loss linear regression with an intercept and a small ridge penalty on the slopes.

    Returns ``[intercept, *slopes]``. The residual scale is re-estimated (MAD) at every iteration.
    """
    design = np.column_stack([np.ones(len(y)), x])
    base = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    penalty = ridge * np.eye(design.shape[1])
    penalty[0, 0] = 0.0
    weights = np.ones(len(y))
    beta = np.zeros(design.shape[1])
    for _ in range(max_iter):
        w = weights * base
        weighted = design * w[:, None]
        beta = np.linalg.solve(design.T @ weighted + penalty * w.sum(), weighted.T @ y)
        residual = y - design @ beta
        scale = float(np.median(np.abs(residual - np.median(residual)))) / 0.6745 + 1e-9
        ratio = np.abs(residual) / (epsilon * scale)
        new = np.where(ratio <= 1.0, 1.0, 1.0 / np.maximum(ratio, 1e-12))
        if np.allclose(new, weights, atol=1e-6):
            break
        weights = new
    return beta


def ewm_mean(values: np.ndarray, alpha: float) -> np.ndarray:
    """Adjusted exponential moving average (pandas ``ewm(alpha, adjust=True).mean()``)."""
    out = np.empty(len(values))
    num = den = 0.0
    for i, v in enumerate(values):
        num = num * (1.0 - alpha) + v
        den = den * (1.0 - alpha) + 1.0
        out[i] = num / den
    return out


def seasonal_drift(z: np.ndarray, months: np.ndarray, h: int) -> float:
    """Sum of the median month-on-month changes of ``z`` for the ``h`` calendar months after the
    last one (months seen fewer than twice contribute nothing)."""
    changes = np.diff(z)
    change_months = months[1:]
    total = 0.0
    for k in range(1, h + 1):
        month = (int(months[-1]) + k - 1) % 12 + 1
        chosen = changes[change_months == month]
        if len(chosen) >= 2:
            total += float(np.median(chosen))
    return total


COMPONENTS = ("core", "regulated", "seasonal")
LEVELS = (*COMPONENTS, "trim")
"""Component columns of :class:`InflationData` (``trim``: weighted trimmed mean of the divisions)."""


def to_log(pct: Any) -> Any:
    """Percent change → log points (100·ln(1 + pct/100))."""
    return 100.0 * np.log1p(np.asarray(pct, dtype=float) / 100.0)


def from_log(z: Any) -> Any:
    """Log points → percent change."""
    return 100.0 * np.expm1(np.asarray(z, dtype=float) / 100.0)


@dataclass(frozen=True)
class InflationData:
    """Headline monthly % (contiguous monthly ``PeriodIndex``) plus INDEC components where available."""

    headline: pd.Series
    components: pd.DataFrame = field(default_factory=pd.DataFrame)
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = self.headline.index
        if not isinstance(index, pd.PeriodIndex) or index.freqstr != "M":
            raise TypeError("headline must be indexed by a monthly PeriodIndex")
        if len(index) and len(pd.period_range(index[0], index[-1], freq="M")) != len(index):
            raise ValueError("headline months must be contiguous")

    @classmethod
    def bundled(cls, overrides: Mapping[str, float] | None = None, folder: Any = None) -> InflationData:
        """The bundled INDEC files, with ``overrides`` (``{"YYYY-MM": pct}``) replacing or extending
        the headline (observations recorded through the monthly update)."""
        headline, components = _bundled_series(*cpi.bundled_stamps(folder))
        data = cls(headline.copy(), components.copy())
        for month, pct in sorted((overrides or {}).items()):
            data = data.with_observation(month, pct)
        return data

    @property
    def period_index(self) -> pd.PeriodIndex:
        """The headline's months (typed)."""
        index = self.headline.index
        assert isinstance(index, pd.PeriodIndex)
        return index

    @property
    def last_month(self) -> pd.Period:
        return self.headline.index[-1]

    def pct(self, month: pd.Period | str) -> float:
        """The headline % of ``month`` (KeyError if unknown)."""
        position = self.period_index.get_indexer(pd.PeriodIndex([pd.Period(month, freq="M")]))[0]
        if position < 0:
            raise KeyError(f"no headline figure for {month}")
        return float(self.headline.to_numpy(float)[position])

    def truncate(self, last: pd.Period | str) -> InflationData:
        """Only the months up to and including ``last``."""
        period = pd.Period(last, freq="M")
        components = self.components.loc[:period] if not self.components.empty else self.components
        shorter = replace(self, headline=self.headline.loc[:period], components=components)
        # every feature is causal (computed from earlier months only): a prefix stays valid
        n = len(shorter.headline)
        shorter._memo["arrays"] = {k: v[:n] for k, v in self.arrays().items()}
        return shorter

    def with_observation(self, month: str | pd.Period, pct: float) -> InflationData:
        """A copy with ``month`` set to ``pct``: replaces an existing month or appends the next one."""
        period = pd.Period(month, freq="M")
        headline = self.headline.copy()
        if period in headline.index:
            headline.iloc[int(self.period_index.get_indexer(pd.PeriodIndex([period]))[0])] = float(pct)
        elif period == self.last_month + 1:
            headline = pd.concat([headline, pd.Series([float(pct)], index=pd.PeriodIndex([period], freq="M"))])
            headline.name = "pct"
            headline.index.name = "month"
        else:
            raise ValueError(f"month {period} is neither known nor the next one after {self.last_month}")
        return replace(self, headline=headline)

    def arrays(self) -> dict[str, np.ndarray]:
        """Log-point numpy arrays per month (computed once per object, prefixes shared by
        :meth:`truncate`): ``h`` (headline), each of ``LEVELS`` filled with the headline where the
        division file does not cover the month, ``slow`` (exponential average of the headline, α=0.3)
        and ``month`` (calendar month numbers)."""
        cached = self._memo.get("arrays")
        if cached is not None:
            return dict(cached)
        z = np.asarray(to_log(self.headline.to_numpy(float)), dtype=float)
        out: dict[str, np.ndarray] = {"h": z}
        for name in LEVELS:
            if name in self.components.columns:
                comp = self.components[name].reindex(self.headline.index).to_numpy(float)
                values = np.asarray(to_log(comp), dtype=float)
                out[name] = np.where(np.isfinite(values), values, z)
            else:
                out[name] = z.copy()
        out["slow"] = ewm_mean(z, 0.3)
        out["month"] = np.asarray(self.period_index.month, dtype=float)
        self._memo["arrays"] = out
        return dict(out)

    def features(self) -> pd.DataFrame:
        """:meth:`arrays` as a frame indexed by month (without ``month``)."""
        arrays = self.arrays()
        arrays.pop("month")
        return pd.DataFrame(arrays, index=self.headline.index)


class InflationModel(Protocol):
    name: str

    def predict(self, data: InflationData, horizons: Sequence[int]) -> dict[int, float]:
        """Monthly % for ``last_month + h`` for each ``h``, from ``data`` only."""
        ...


@dataclass
class NaiveLastMonth:
    name: str = "naive_last_month"

    def predict(self, data: InflationData, horizons: Sequence[int]) -> dict[int, float]:
        last = float(data.headline.iloc[-1])
        return {h: last for h in horizons}


@dataclass
class SeasonalDrift:
    """Last month plus ``shrink`` × the median change of each upcoming calendar month."""

    shrink: float = 0.5
    name: str = "seasonal_drift"

    def predict(self, data: InflationData, horizons: Sequence[int]) -> dict[int, float]:
        arrays = data.arrays()
        z = arrays["h"]
        return {h: float(from_log(z[-1] + self.shrink * seasonal_drift(z, arrays["month"], h))) for h in horizons}


def _direct_regression(
    arrays: Mapping[str, np.ndarray], columns: Sequence[str], h: int, month_dummies: bool, extra_lag: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training matrix for the direct ``h``-step regression and the row to predict from."""
    z = arrays["h"]
    n = len(z)
    parts = [arrays[c] for c in columns]
    if extra_lag:
        parts += [np.concatenate([[np.nan], z[:-1]]), arrays["slow"]]
    if month_dummies:
        target_months = (arrays["month"].astype(int) + h - 1) % 12 + 1
        parts += [(target_months == m).astype(float) for m in range(1, 13)]
    base = np.column_stack(parts)
    target = np.full(n, np.nan)
    target[: n - h] = z[h:] - z[: n - h]
    train = np.isfinite(base).all(axis=1) & np.isfinite(target)
    return base[train], target[train], base[-1:]


@dataclass
class HuberDirect:
    """Robust direct regression of the ``h``-month change in log inflation."""

    name: str
    columns: tuple[str, ...] = ("h", *COMPONENTS)
    month_dummies: bool = False
    extra_lag: bool = False
    ridge: float = 1e-2
    min_rows: int = 18

    def predict(self, data: InflationData, horizons: Sequence[int]) -> dict[int, float]:
        arrays = data.arrays()
        last = float(arrays["h"][-1])
        out: dict[int, float] = {}
        for h in horizons:
            x, y, row = _direct_regression(arrays, self.columns, h, self.month_dummies, self.extra_lag)
            if len(y) < self.min_rows or not np.isfinite(row).all():
                out[h] = float(from_log(last))
                continue
            beta = huber_irls(x, y, ridge=self.ridge)
            out[h] = float(from_log(last + beta[0] + float(row[0] @ beta[1:])))
        return out


def components_huber() -> HuberDirect:
    return HuberDirect(name="components_huber")


def lags_huber() -> HuberDirect:
    return HuberDirect(name="lags_huber", month_dummies=True, extra_lag=True)


@lru_cache(maxsize=4)
def _bundled_series(folder: Path, stamps: tuple[tuple[int, int] | None, ...]) -> tuple[pd.Series, pd.DataFrame]:
    """Headline and components of the INDEC files in ``folder``, read again only when a file's modification
    time or size (``stamps``, from :func:`cpi.bundled_stamps`) changed. Callers get copies."""
    del stamps  # part of the cache key only
    headline = cpi.headline_series(folder)
    try:
        table = cpi.precise_component_table(cpi.load_division_cpi(folder))
        table["trim"] = cpi.trimmed_mean_inflation(table)
        components = table[[c for c in LEVELS if c in table.columns]]
    except FileNotFoundError:
        components = pd.DataFrame()
    return headline, components
