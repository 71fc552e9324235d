"""Nixtla ``statsforecast`` models as demand candidates (one local model per series).

* ``auto_ets`` — AutoETS (additive seasonality for weekly/monthly cycles up to 24 periods; trend only
  for weekly/monthly data, where it can matter over the horizon);
* ``auto_theta`` — the standard Theta model with a seasonality test (additive decomposition: counts
  have zeros);
* ``croston_sba``, ``tsb``, ``adida`` — the intermittent-demand methods (Syntetos-Boylan approximation,
  Teunter-Syntetos-Babai, aggregate-disaggregate).

Each series sees only its last ``WINDOW[freq]`` periods (a year of days is plenty for a weekly cycle
and halves the fitting cost); gaps that were not recorded are interpolated, periods before the first
sale dropped. Series are fitted in ``n_jobs`` processes (default: the cores this process may use).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from minimarket.forecast.demand import SEASON, Panel

os.environ.setdefault("NIXTLA_NUMBA_CACHE", "1")
"""statsforecast compiles its models with numba at first use (tens of seconds); cached on disk, the next
processes skip it. Set before statsforecast is imported (it is only imported inside the functions)."""

WINDOW = {"D": 364, "W": 156, "M": 120}
MAX_SEASON_ETS = 24
"""statsforecast's ETS does not fit a seasonal component longer than this (weekly data: 52)."""
TSB_ALPHA = (0.1, 0.1)
"""Smoothing of TSB's demand size and probability (the usual small values for slow movers)."""


def cores() -> int:
    """CPU cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _factories(freq: str) -> dict[str, Callable[[], Any]]:
    from statsforecast.models import ADIDA, TSB, AutoETS, AutoTheta, CrostonSBA

    m = SEASON[freq]
    season = "A" if m <= MAX_SEASON_ETS else "N"
    trend = "N" if freq == "D" else "Z"
    return {
        "auto_ets": lambda: AutoETS(season_length=min(m, MAX_SEASON_ETS), model=f"Z{trend}{season}", alias="auto_ets"),
        "auto_theta": lambda: AutoTheta(
            season_length=m, decomposition_type="additive", model="STM", alias="auto_theta"
        ),
        "croston_sba": lambda: CrostonSBA(alias="croston_sba"),
        "tsb": lambda: TSB(alpha_d=TSB_ALPHA[0], alpha_p=TSB_ALPHA[1], alias="tsb"),
        "adida": lambda: ADIDA(alias="adida"),
    }


STATS_MODELS = ("auto_ets", "auto_theta", "croston_sba", "tsb", "adida")


def _long_frame(panel: Panel) -> pd.DataFrame:
    """``unique_id``, integer ``ds``, ``y`` for the last ``WINDOW`` periods of every series."""
    window = panel.values[:, -WINDOW[panel.freq] :]
    filled = pd.DataFrame(window).interpolate(axis=1, limit_area="inside").to_numpy(float)
    i, j = np.nonzero(np.isfinite(filled))
    return pd.DataFrame({"unique_id": i, "ds": j, "y": filled[i, j]})


def stats_forecasts(panel: Panel, names: Sequence[str], horizon: int, n_jobs: int | None = None) -> dict[str, Any]:
    """``{name: n_series × horizon}`` forecasts of the statsforecast models ``names`` from the panel's
    last period, all fitted in one pass over the series."""
    from statsforecast import StatsForecast
    from statsforecast.models import HistoricAverage

    factories = _factories(panel.freq)
    unknown = [n for n in names if n not in factories]
    if unknown:
        raise ValueError(f"unknown statsforecast model(s) {unknown}; known: {sorted(factories)}")
    frame = _long_frame(panel)
    out = {name: np.zeros((panel.n_series, horizon)) for name in names}
    if frame.empty or not names:
        return out
    jobs = n_jobs or cores()
    engine = StatsForecast(
        models=[factories[n]() for n in names],
        freq=1,
        n_jobs=jobs if frame["unique_id"].nunique() >= 50 else 1,
        fallback_model=HistoricAverage(),
    )
    forecast = engine.forecast(df=frame, h=horizon)
    rows = forecast["unique_id"].to_numpy(int)
    steps = forecast.groupby("unique_id").cumcount().to_numpy()
    for name in names:
        values = np.clip(np.nan_to_num(forecast[name].to_numpy(float), nan=0.0), 0.0, None)
        out[name][rows, steps] = values
    return out


@dataclass
class StatsModel:
    """One statsforecast model with the demand models' interface (``fit`` / ``predict`` on a panel)."""

    kind: str
    horizon: int = 28
    n_jobs: int | None = None
    name: str = field(default="")

    def __post_init__(self) -> None:
        if self.kind not in STATS_MODELS:
            raise ValueError(f"unknown statsforecast model {self.kind!r}; known: {list(STATS_MODELS)}")
        self.name = self.name or self.kind

    def fit(self, panel: Panel) -> StatsModel:
        """Local models are fitted at forecast time on the history they are given."""
        return self

    def predict(self, panel: Panel) -> np.ndarray:
        return stats_forecasts(panel, [self.kind], self.horizon, self.n_jobs)[self.kind]
