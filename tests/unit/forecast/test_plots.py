"""The training runs' plots: what they draw."""

from __future__ import annotations

import pandas as pd

from minimarket.forecast.plots import demand_forecast_figure, inflation_backtest_figure


def test_inflation_backtest_figure_draws_indec_each_model_and_the_forecast_interval() -> None:
    months = pd.period_range("2025-01", "2025-12", freq="M")
    headline = pd.Series([2.0 + 0.1 * i for i in range(12)], index=months)
    predictions = pd.DataFrame(
        {
            "target": [str(m) for m in months[6:]] * 2,
            "horizon": [1] * 12,
            "model": ["naive_last_month"] * 6 + ["combination"] * 6,
            "pred": [2.5] * 12,
        }
    )
    forecast = pd.DataFrame(
        {"month": ["2026-01", "2026-02"], "pct": [2.1, 2.0], "lower": [1.5, 1.3], "upper": [2.8, 2.9]}
    )
    fig = inflation_backtest_figure(headline, predictions, forecast)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels[0] == "INDEC" and len(fig.axes[0].get_lines()[0].get_xdata()) == 6  # from the first target on
    assert {"naive_last_month (1 mes)", "combination (1 mes)", "pronóstico"} <= set(labels)


def test_demand_forecast_figure_sums_the_series_per_day() -> None:
    history = pd.DataFrame({"date": ["2026-01-01", "2026-01-01", "2026-01-02"], "quantity": [3, 4, 5]})
    forecast = pd.DataFrame({"date": ["2026-01-03", "2026-01-03"], "p10": [1, 2], "p50": [2, 3], "p90": [4, 5]})
    fig = demand_forecast_figure(history, forecast)
    sales, p50 = fig.axes[0].get_lines()[:2]
    assert list(sales.get_ydata()) == [7, 5] and list(p50.get_ydata()) == [5]
