"""The inflation intervals are plausible: built from backtest errors in log space of the monthly rate, they stay
above zero even after a disinflation (whose misses made the old additive band reach -7 % at six months), widen
with the horizon, and cover the held-out months they are meant to cover."""

from __future__ import annotations

import pytest

from minimarket.forecast.inflation import InflationData, InflationForecaster, interval_coverage, make_models


@pytest.fixture(scope="module")
def data() -> InflationData:
    return InflationData.bundled()


def test_the_90_percent_interval_stays_positive_and_widens_with_the_horizon(data: InflationData) -> None:
    forecaster = InflationForecaster(model=make_models(["seasonal_drift"])[0], calibration_months=24).fit(data)
    forecast = forecaster.forecast(6)
    assert (forecast["lower"] > 0).all(), forecast  # monthly CPI has been positive for decades
    assert (forecast["lower"] < forecast["pct"]).all() and (forecast["pct"] < forecast["upper"]).all()
    widths = (forecast["upper"] - forecast["lower"]).to_list()
    assert widths[-1] > widths[0] and forecast["upper"].iloc[-1] < 3 * forecast["pct"].iloc[-1]


def test_held_out_coverage_is_near_the_nominal_level(data: InflationData) -> None:
    coverage = interval_coverage(data, make_models(["naive_last_month"])[0], calibration_months=24, test_months=24)
    assert set(coverage) == {1, 2, 3, 4, 5, 6}
    assert all(0.75 <= share <= 1.0 for share in coverage.values()), coverage
