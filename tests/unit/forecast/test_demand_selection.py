"""Segments, statsforecast candidates, the per-segment selection, the guard and library log levels."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from minimarket.forecast.demand import GlobalGBM, Panel, build_panel, quiet_library_logs
from minimarket.forecast.demand_guard import check_forecast
from minimarket.forecast.demand_segments import adi_cv2, classify
from minimarket.forecast.demand_selection import AutoDemand, _candidate_failure
from minimarket.forecast.demand_stats import StatsModel


def _panel(days: int = 140, seed: int = 0) -> Panel:
    """Two smooth weekly-patterned series, two intermittent ones, one lumpy one."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2025-01-06", periods=days, freq="D")
    weekly = np.array([1, 1, 1, 2, 3, 5, 2], float)
    rows = []
    series = {
        "smooth-a": rng.poisson(6 * weekly[dates.dayofweek]),
        "smooth-b": rng.poisson(4 * weekly[dates.dayofweek]),
        "slow-a": rng.binomial(1, 0.3, days),
        "slow-b": rng.binomial(1, 0.25, days),
        "lumpy": rng.binomial(1, 0.15, days) * rng.choice([1, 2, 12], days),
    }
    for sku, values in series.items():
        rows += [{"date": d, "sku": sku, "quantity": q} for d, q in zip(dates, values, strict=True) if q]
    return build_panel(pd.DataFrame(rows))


def test_adi_cv2_segments() -> None:
    panel = _panel()
    labels = dict(zip(panel.series, classify(panel.values), strict=True))
    assert labels["smooth-a"] in ("smooth", "erratic") and labels["slow-a"] == "intermittent"
    assert labels["lumpy"] == "lumpy"
    adi, cv2 = adi_cv2(np.array([[1.0, 0, 0, 1, 0, 0, 1, 0, 0], [2.0, 2, 2, 2, 2, 2, 2, 2, 2]]))
    assert adi.tolist() == [3.0, 1.0] and cv2.tolist() == [0.0, 0.0]


def test_statsforecast_candidates_forecast_every_series() -> None:
    panel = _panel(days=70)
    for kind in ("auto_ets", "croston_sba"):
        forecast = StatsModel(kind, horizon=7, n_jobs=1).predict(panel)
        assert forecast.shape == (panel.n_series, 7) and np.isfinite(forecast).all() and (forecast >= 0).all()
    smooth = panel.series.index("smooth-a")
    assert forecast[smooth].mean() > 5  # Croston on a regular seller is about its mean level


def test_auto_selects_per_segment_never_worse_than_seasonal_naive() -> None:
    panel = _panel()
    gbm = GlobalGBM(n_origins=10, max_iter=40)
    model = AutoDemand(
        horizon=7, candidates=("moving_average", "croston_sba", "global_gbm"), inner_folds=2, n_jobs=1, gbm=gbm
    ).fit(panel)
    chosen = {row["segment"]: row for row in model.selection()}
    assert set(chosen) == set(classify(panel.values))
    for row in chosen.values():
        assert row["wape"] <= row["seasonal_naive_wape"]
    table = pd.DataFrame(model.table)
    assert {"seasonal_naive", "moving_average", "croston_sba", "global_gbm"} <= set(table["candidate"])
    assert table.groupby("segment")["chosen"].sum().eq(1).all()
    quantiles = model.predict_quantiles(panel)
    assert all(q.shape == (panel.n_series, 7) for q in quantiles.values())
    assert (quantiles[0.1] <= quantiles[0.5]).all() and (quantiles[0.5] <= quantiles[0.9]).all()
    smooth = panel.series.index("smooth-a")
    assert quantiles[0.1][smooth].min() > 0  # a regular seller's P10 is not 0


def test_selection_looks_only_at_the_history_it_is_given() -> None:
    panel = _panel()
    cut = panel.values.shape[1] - 15
    poisoned = Panel(panel.series, panel.periods, panel.values.copy(), panel.freq)
    poisoned.values[:, cut + 1 :] = 1000.0
    config = {"horizon": 7, "candidates": ("moving_average", "tsb"), "inner_folds": 2, "n_jobs": 1}
    clean = AutoDemand(**config).fit(panel.truncate(cut))
    dirty = AutoDemand(**config).fit(poisoned.truncate(cut))
    assert clean.table == dirty.table


def test_a_candidate_forecasting_zeros_or_nan_is_a_failure() -> None:
    actual = np.array([[1.0, 0.0, 3.0], [0.0, 2.0, np.nan]])
    assert "0 everywhere" in _candidate_failure("x", actual, np.zeros((2, 3)))
    assert "NaN" in _candidate_failure("x", actual, np.array([[1.0, np.nan, 1.0], [1.0, 1.0, 1.0]]))
    assert _candidate_failure("x", actual, np.ones((2, 3))) is None


def test_guard_refuses_zeros_nan_and_losing_to_seasonal_naive() -> None:
    ok = check_forecast(np.ones((3, 7)), history_units=100, holdout_wape=0.4, naive_wape=0.5)
    assert ok.ok and ok.message == "passed"
    zeros = check_forecast(np.zeros((3, 7)), history_units=100, holdout_wape=1.0, naive_wape=0.55)
    assert not zeros.ok and "0 for every series" in zeros.message and "1.0000" in zeros.message
    assert "0.5500" in zeros.message
    nan = check_forecast(np.full((3, 7), np.nan), history_units=100, holdout_wape=0.4, naive_wape=0.5)
    assert not nan.ok and "NaN" in nan.message
    worse = check_forecast(np.ones((3, 7)), history_units=100, holdout_wape=0.61, naive_wape=0.6)
    assert not worse.ok and "worse than seasonal naive" in worse.message


def test_prophet_logs_stay_at_warning_unless_verbose(capfd: pytest.CaptureFixture[str]) -> None:
    from minimarket.forecast.demand import ProphetPerSeries

    quiet_library_logs()
    assert logging.getLogger("cmdstanpy").level == logging.WARNING
    panel = _panel(days=42)
    ProphetPerSeries(horizon=7, n_jobs=1).predict(Panel(panel.series[:1], panel.periods, panel.values[:1], "D"))
    captured = capfd.readouterr()
    assert "INFO" not in captured.err + captured.out
