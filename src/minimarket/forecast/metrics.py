"""Forecast error metrics shared by the inflation and demand backtests (pure numpy)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike


def _arrays(actual: ArrayLike, predicted: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(actual, dtype=float)
    p = np.asarray(predicted, dtype=float)
    if a.shape != p.shape:
        raise ValueError(f"actual and predicted differ in shape: {a.shape} vs {p.shape}")
    return a, p


def mae(actual: ArrayLike, predicted: ArrayLike) -> float:
    """Mean absolute error (``nan`` for no points)."""
    a, p = _arrays(actual, predicted)
    return float(np.mean(np.abs(a - p))) if a.size else float("nan")


def wape(actual: ArrayLike, predicted: ArrayLike) -> float:
    """Weighted absolute percentage error: sum |a - p| / sum |a| (``nan`` when nothing was sold)."""
    a, p = _arrays(actual, predicted)
    denominator = float(np.sum(np.abs(a)))
    return float(np.sum(np.abs(a - p)) / denominator) if denominator > 0 else float("nan")


def bias(actual: ArrayLike, predicted: ArrayLike) -> float:
    """Relative bias: sum (p - a) / sum |a|; positive means over-forecasting."""
    a, p = _arrays(actual, predicted)
    denominator = float(np.sum(np.abs(a)))
    return float(np.sum(p - a) / denominator) if denominator > 0 else float("nan")


def mase_scale(history: ArrayLike, season: int = 1) -> float:
    """In-sample MAE of the seasonal naive forecast on ``history`` (the MASE denominator); pairs with
    a missing (``NaN``) end are ignored."""
    h = np.asarray(history, dtype=float)
    if h.size <= season:
        return float("nan")
    diffs = np.abs(h[season:] - h[:-season])
    diffs = diffs[np.isfinite(diffs)]
    return float(np.mean(diffs)) if diffs.size else float("nan")


def mase(actual: ArrayLike, predicted: ArrayLike, scale: float) -> float:
    """Mean absolute scaled error given the naive scale of the training history."""
    if not np.isfinite(scale) or scale <= 0:
        return float("nan")
    return mae(actual, predicted) / scale


def pooled_mase(errors: Sequence[float], scales: Sequence[float]) -> float:
    """Average of per-series MASE values, skipping series whose scale is undefined or zero."""
    values = [e / s for e, s in zip(errors, scales, strict=True) if np.isfinite(s) and s > 0 and np.isfinite(e)]
    return float(np.mean(values)) if values else float("nan")


def pinball_loss(actual: ArrayLike, predicted: ArrayLike, quantile: float) -> float:
    """Mean quantile (pinball) loss at ``quantile``."""
    a, p = _arrays(actual, predicted)
    diff = a - p
    return float(np.mean(np.maximum(quantile * diff, (quantile - 1) * diff))) if a.size else float("nan")


def coverage(actual: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> float:
    """Share of actual values inside [lower, upper]."""
    a = np.asarray(actual, dtype=float)
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    return float(np.mean((a >= lo) & (a <= hi))) if a.size else float("nan")
