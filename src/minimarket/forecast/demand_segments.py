"""Demand patterns of a series by ADI and CV² (Syntetos-Boylan): smooth, erratic, intermittent, lumpy.

* ADI — average demand interval: observed periods / periods with a sale (1 = sells every period).
* CV² — squared coefficient of variation of the sizes of the non-zero sales.

The classic cut-offs 1.32 (ADI) and 0.49 (CV²) split the plane into four segments; each segment gets
its own model in :mod:`minimarket.forecast.demand_selection`. Only the recent window of the history is
looked at, so a product that became a regular seller is classified by what it does now.
"""

from __future__ import annotations

import warnings

import numpy as np

SEGMENTS = ("smooth", "erratic", "intermittent", "lumpy")
ADI_CUT = 1.32
CV2_CUT = 0.49
RECENT = {"D": 182, "W": 52, "M": 36}
"""Periods looked at: half a year of days, a year of weeks, three years of months."""


def adi_cv2(values: np.ndarray, freq: str = "D") -> tuple[np.ndarray, np.ndarray]:
    """Per-series ADI and CV² over the last ``RECENT[freq]`` periods (``NaN`` = not observed).

    A series without any sale in the window has ADI ``inf``; one with a single sale has CV² 0."""
    recent = np.asarray(values, dtype=float)[:, -RECENT[freq] :]
    observed = np.isfinite(recent).sum(axis=1)
    sold = np.nan_to_num(recent, nan=0.0) > 0
    selling = sold.sum(axis=1)
    adi = np.where(selling > 0, observed / np.maximum(selling, 1), np.inf)
    sizes = np.where(sold, recent, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(sizes, axis=1)
        std = np.nanstd(sizes, axis=1)
    cv2 = np.where(selling > 1, (std / np.where(mean > 0, mean, 1.0)) ** 2, 0.0)
    return adi, cv2


def classify(values: np.ndarray, freq: str = "D") -> list[str]:
    """The segment of every series (row of ``values``)."""
    adi, cv2 = adi_cv2(values, freq)
    out = []
    for a, c in zip(adi, cv2, strict=True):
        regular = a < ADI_CUT
        steady = c < CV2_CUT
        out.append("smooth" if regular and steady else "erratic" if regular else "intermittent" if steady else "lumpy")
    return out
