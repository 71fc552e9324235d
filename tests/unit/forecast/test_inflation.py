import numpy as np
import pandas as pd
import pytest

from minimarket.forecast.inflation import (
    InflationData,
    InflationForecaster,
    NaiveLastMonth,
    SeasonalDrift,
    components_huber,
    from_log,
    rolling_backtest,
    to_log,
)
from minimarket.forecast.inflation_update import UpdateRefused, check_plausibility, parse_month


@pytest.fixture(scope="module")
def data() -> InflationData:
    return InflationData.bundled()


def test_log_roundtrip():
    assert from_log(to_log(25.5)) == pytest.approx(25.5)


def test_naive_backtest_reproduces_the_reference_figures(data):
    result = rolling_backtest(data, [NaiveLastMonth()], horizons=(1,), start="2019-01", end="2026-08")
    assert result.mae()["naive_last_month"]["1"] == pytest.approx(1.15, abs=0.01)
    assert result.mae("2025-01", "2026-08")["naive_last_month"]["1"] == pytest.approx(0.42, abs=0.01)


def test_backtest_is_strictly_out_of_sample(data):
    """Poisoning every month after the last origin must not change any forecast made before it."""
    models = [SeasonalDrift(), components_huber()]
    clean = rolling_backtest(data.truncate("2024-06"), models, horizons=(1, 3), start="2024-01", end="2024-06")
    poisoned_headline = data.headline.copy()
    poisoned_headline.loc[pd.Period("2024-07", "M") :] = 99.0
    poisoned = InflationData(poisoned_headline, data.components)
    dirty = rolling_backtest(poisoned, models, horizons=(1, 3), start="2024-01", end="2024-06")
    pd.testing.assert_frame_equal(clean.predictions, dirty.predictions)


def test_with_observation_appends_next_or_replaces_known(data):
    nxt = data.last_month + 1
    longer = data.with_observation(str(nxt), 2.0)
    assert longer.last_month == nxt and longer.headline.iloc[-1] == 2.0
    revised = data.with_observation("2020-01", 9.9)
    assert revised.headline.loc[pd.Period("2020-01", "M")] == 9.9
    with pytest.raises(ValueError):
        data.with_observation(str(nxt + 2), 2.0)


def test_forecaster_intervals_contain_the_point(data):
    forecaster = InflationForecaster(calibration_months=12, max_horizon=3).fit(data.truncate("2025-12"))
    frame = forecaster.forecast(3)
    assert list(frame["month"]) == ["2026-01", "2026-02", "2026-03"]
    assert (frame["lower"] < frame["pct"]).all() and (frame["pct"] < frame["upper"]).all()
    point, lower, upper = forecaster.widened_interval(1, 2.0)
    assert lower < frame["lower"].iloc[0] and upper > frame["upper"].iloc[0]
    assert point == pytest.approx(frame["pct"].iloc[0])


def test_guard_accepts_plausible_and_refuses_outliers(data, monkeypatch):
    history = data.truncate("2026-08")
    ok = check_plausibility(history, "2026-08", float(history.headline.iloc[-1]), calibration_months=12)
    assert ok.ok, ok.explain()
    bad = check_plausibility(history, "2026-08", 12.0, calibration_months=12)
    assert not bad.ok and not bad.within_interval and bad.within_hard_bounds
    assert "fuera del rango plausible" in bad.explain()
    typo = check_plausibility(history, "2026-08", 210.0, calibration_months=12)
    assert not typo.within_hard_bounds and "límites absolutos" in typo.explain()


def test_guard_factor_widens_the_band(data, monkeypatch):
    from minimarket.config import get_settings

    history = data.truncate("2026-08")
    narrow = check_plausibility(history, "2026-08", 2.0, calibration_months=12)
    monkeypatch.setenv("MINIMARKET_INFLATION_GUARD_FACTOR", "4")
    get_settings.cache_clear()
    try:
        wide = check_plausibility(history, "2026-08", 2.0, calibration_months=12)
    finally:
        monkeypatch.delenv("MINIMARKET_INFLATION_GUARD_FACTOR")
        get_settings.cache_clear()
    assert wide.upper - wide.lower > 2 * (narrow.upper - narrow.lower)


@pytest.mark.parametrize("bad", ["2026-13", "26-09", "2026/09", ""])
def test_month_format(bad):
    with pytest.raises(UpdateRefused):
        parse_month(bad)


def test_intervals_are_finite(data):
    frame = InflationForecaster(calibration_months=12, max_horizon=2).fit(data.truncate("2024-02")).forecast(2)
    assert np.isfinite(frame[["pct", "lower", "upper"]].to_numpy()).all()
