"""The guard no demand model can skip: what it would serve must be a usable forecast.

A forecast is refused when

* it is not a number somewhere (NaN or infinite),
* it is zero for every series and day although the history it was trained on has sales,
* or it did worse than seasonal naive on the model's own holdout backtest (or could not be scored).

Training reports a refusal as the failure of that candidate and the promotion gate refuses the
version with these figures in its message (:func:`minimarket.forecast.demand_mlflow.train_and_register`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class GuardVerdict:
    ok: bool
    reasons: tuple[str, ...] = ()
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return "; ".join(self.reasons) if self.reasons else "passed"


def check_forecast(
    p50: np.ndarray, *, history_units: float, holdout_wape: float, naive_wape: float, model: str = "the model"
) -> GuardVerdict:
    """Judge ``p50`` (series × periods ahead) and the holdout figures; ``history_units`` is the total
    sold in the training history."""
    forecast = np.asarray(p50, dtype=float)
    reasons = []
    if forecast.size == 0:
        reasons.append(f"{model} forecast nothing")
    elif not np.isfinite(forecast).all():
        reasons.append(
            f"{model} forecast NaN or infinite values ({int((~np.isfinite(forecast)).sum())} of {forecast.size})"
        )
    elif history_units > 0 and not (forecast > 0).any():
        reasons.append(
            f"{model} forecast 0 for every series and day though the history sold {history_units:,.0f} units"
        )
    if not np.isfinite(holdout_wape):
        reasons.append(f"{model} could not be scored on its holdout (WAPE {holdout_wape})")
    elif np.isfinite(naive_wape) and holdout_wape > naive_wape:
        reasons.append(
            f"{model} holdout WAPE {holdout_wape:.4f} is worse than seasonal naive's {naive_wape:.4f} "
            f"({holdout_wape / naive_wape:.2f}x) on the same days"
        )
    figures = {
        "holdout_wape": float(holdout_wape),
        "seasonal_naive_wape": float(naive_wape),
        "forecast_units": float(np.nansum(forecast)) if forecast.size else 0.0,
        "history_units": float(history_units),
    }
    return GuardVerdict(not reasons, tuple(reasons), figures)
