"""Every demand model by name, for the backtest and the CLI: the simple ones of :mod:`demand`, the statistical
ones of :mod:`demand_stats` and the per-segment selection of :mod:`demand_selection` (which build on
:mod:`demand`, so the names live here, above all three)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from minimarket.forecast.demand import DemandDataError, GlobalGBM, MovingAverage, ProphetPerSeries, SeasonalNaive


def _stats(kind: str) -> Callable[[int], Any]:
    def make(h: int) -> Any:
        from minimarket.forecast.demand_stats import StatsModel

        return StatsModel(kind, horizon=h)

    return make


def _auto(h: int) -> Any:
    from minimarket.forecast.demand_selection import AutoDemand

    return AutoDemand(horizon=h)


MODEL_FACTORIES: dict[str, Callable[[int], Any]] = {
    "global_gbm": lambda h: GlobalGBM(horizon=h),
    "seasonal_naive": lambda h: SeasonalNaive(horizon=h),
    "moving_average": lambda h: MovingAverage(horizon=h),
    "prophet": lambda h: ProphetPerSeries(horizon=h),
    **{kind: _stats(kind) for kind in ("auto_ets", "auto_theta", "croston_sba", "tsb", "adida")},
    "auto": _auto,
}
"""Every model the backtest knows; ``auto`` is the per-segment selection that training serves."""


def make_models(names: Sequence[str] | None, horizon: int, *, verbose: bool = False) -> list[Any]:
    """The models ``names`` (all when empty) for ``horizon`` periods; ``verbose`` lets Prophet log."""
    chosen = list(names) if names else list(MODEL_FACTORIES)
    unknown = [n for n in chosen if n not in MODEL_FACTORIES]
    if unknown:
        raise DemandDataError(f"unknown model(s) {unknown}; known: {sorted(MODEL_FACTORIES)}")
    models = [MODEL_FACTORIES[n](horizon) for n in chosen]
    for model in models:
        if hasattr(model, "verbose"):
            model.verbose = verbose
    return models
