from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from minimarket.forecast import cpi
from minimarket.forecast.inflation import (
    InflationData,
    InflationForecaster,
    NaiveLastMonth,
    SeasonalDrift,
    components_huber,
    from_log,
    make_models,
    production_model,
    rolling_backtest,
    to_log,
)
from minimarket.forecast.inflation_combination import (
    GapRegression,
    OnlineCombination,
    WeightRule,
    cached_predict,
    huber_irls,
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
    models = [SeasonalDrift(), components_huber(), GapRegression(), production_model()]
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


def test_huber_irls_recovers_the_line_despite_outliers():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 2))
    y = 0.5 + x @ np.array([2.0, -1.0]) + rng.normal(scale=0.05, size=120)
    y[:8] += 25.0  # gross outliers
    beta = huber_irls(x, y)
    np.testing.assert_allclose(beta, [0.5, 2.0, -1.0], atol=0.1)
    ols = np.linalg.lstsq(np.column_stack([np.ones(120), x]), y, rcond=None)[0]
    assert abs(ols[0] - 0.5) > 1.0  # least squares is dragged away by them


def test_weight_rules_use_only_errors_known_at_each_origin():
    errors = np.array([[1.0, 2.0]] * 10 + [[3.0, 0.5]] * 2)
    known = np.arange(12)  # at origin r, rows 0..r-1 are known
    inverse = WeightRule("inverse", window=12).weights(errors, known)
    assert inverse[3].tolist() == [0.5, 0.5]  # fewer than 6 known errors: equal weights
    assert inverse[8, 0] == pytest.approx(2 / 3)  # 1/1 vs 1/2
    best = WeightRule("best", window=2).weights(errors, known)
    assert best[10].tolist() == [1.0, 0.0] and best[-1].tolist() == [0.0, 1.0]  # rows 9-10: means 2 vs 1.25
    exp = WeightRule("exp", window=24).weights(errors, known)
    assert np.allclose(exp.sum(axis=1), 1.0) and exp[9, 0] > 0.99


def test_forgetting_factor_decides_how_fast_old_errors_fade():
    # member 0 was better for a long time, member 1 over the last three months
    errors = np.array([[0.5, 2.0]] * 20 + [[2.0, 0.5]] * 3)
    known = np.full(len(errors), len(errors))
    fast = WeightRule("exp", window=24, discount=0.7).weights(errors, known)[-1]
    slow = WeightRule("exp", window=24, discount=0.95).weights(errors, known)[-1]
    assert fast[1] > 0.5 > slow[1]  # a short memory already trusts member 1, a long one does not


def test_median_rule_ignores_a_runaway_member():
    preds = np.array([[2.0, 2.1, 2.2, 9.0, 2.3], [3.0, 3.0, 3.0, -5.0, 3.1]])
    errors = np.zeros_like(preds)
    rule = WeightRule("median")
    assert rule.label == "median"
    np.testing.assert_allclose(rule.combine(errors, np.array([0, 1]), preds), [2.2, 3.0])
    with pytest.raises(ValueError, match="combine"):
        rule.weights(errors, np.array([0, 1]))
    inverse = WeightRule("inverse", window=12)
    errors = np.ones_like(preds)
    np.testing.assert_allclose(inverse.combine(errors, np.array([0, 1]), preds), preds.mean(axis=1))


def test_default_rules_extend_the_base_rules_with_the_robust_ones():
    from minimarket.forecast.inflation_combination import BASE_RULES, DEFAULT_RULES, ROBUST_RULES

    assert DEFAULT_RULES[: len(BASE_RULES)] == BASE_RULES and DEFAULT_RULES[0].kind == "equal"
    labels = [r.label for r in ROBUST_RULES]
    assert labels == ["median", "exp24(eta=5,discount=0.7)", "exp24(eta=5,discount=0.95)"]
    assert len({r.label for r in DEFAULT_RULES}) == len(DEFAULT_RULES)


def test_combination_learns_weights_from_the_past(data):
    combo = OnlineCombination()
    history = data.truncate("2025-12")
    forecast = combo.predict(history, [1, 3])
    assert set(forecast) == {1, 3} and all(np.isfinite(list(forecast.values())))
    assert set(combo.last_choice) == {1, 3}
    members = [cached_predict(m, history, [1])[1] for m in combo.members]
    assert min(members) - 1e-9 <= forecast[1] <= max(members) + 1e-9  # a convex combination


def test_memoised_forecasts_are_keyed_on_the_data_content(data):
    model = GapRegression()
    history = data.truncate("2024-06")
    first = cached_predict(model, history, [1, 2])
    assert first == model.predict(history, [1, 2])
    headline = history.headline.where(history.headline.index != history.last_month, 9.0)
    changed = InflationData(headline, history.components)
    assert cached_predict(model, changed, [1]) != {1: first[1]}


def test_truncated_features_are_prefixes_of_the_full_ones(data):
    short = data.truncate("2022-03")
    fresh = InflationData(short.headline.copy(), short.components.copy())
    for key, values in short.arrays().items():
        np.testing.assert_allclose(values, fresh.arrays()[key])
    assert short.pct("2022-03") == pytest.approx(float(data.headline.loc[pd.Period("2022-03", "M")]))


def test_trimmed_mean_ignores_the_extreme_divisions():
    weights = cpi.DIVISION_WEIGHTS
    row = {code: 2.0 for code in weights}
    row["04"] = 40.0  # a utility-tariff jump (9.4 % of the basket) is trimmed away
    table = pd.DataFrame([row], index=pd.PeriodIndex(["2024-04"], freq="M"))
    assert cpi.trimmed_mean_inflation(table).iloc[0] == pytest.approx(2.0)
    components = InflationData.bundled().components
    assert {"core", "regulated", "seasonal", "trim"} <= set(components.columns)


def test_registry_names_are_unique_and_buildable():
    models = make_models(["naive_last_month", "gap_momentum", "core_seasonal", "trimmed_seasonal", "combination"])
    assert [m.name for m in models] == [
        "naive_last_month",
        "gap_momentum",
        "core_seasonal",
        "trimmed_seasonal",
        "combination",
    ]
    with pytest.raises(ValueError, match="unknown inflation model"):
        make_models(["nope"])


def test_bundled_data_is_read_again_when_a_file_changes_and_callers_get_copies(tmp_path: Path) -> None:
    import shutil

    from minimarket.config import get_settings

    for name in (cpi.NATIONAL_FILE, cpi.DIVISIONS_FILE):
        shutil.copy(get_settings().cpi_dir / name, tmp_path / name)
    first = InflationData.bundled(folder=tmp_path)
    first.headline.iloc[-1] = -99.0  # a caller's edit must not reach the next caller
    again = InflationData.bundled(folder=tmp_path)
    assert again.headline.iloc[-1] != -99.0
    national = tmp_path / cpi.NATIONAL_FILE
    lines = national.read_text(encoding="utf-8").splitlines()
    national.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # the last month withdrawn
    assert InflationData.bundled(folder=tmp_path).last_month == again.last_month - 1
