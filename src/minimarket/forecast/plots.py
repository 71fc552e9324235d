"""Figures the training runs log to MLflow (matplotlib, headless)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def _figure(width: float, height: float) -> Any:
    """A matplotlib figure that needs no pyplot (no global state, no backend switch): a notebook shows it
    with :func:`minimarket.reports.show`, MLflow saves it with ``savefig``."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def inflation_backtest_figure(headline: pd.Series, predictions: pd.DataFrame, forecast: pd.DataFrame) -> Any:
    """Monthly CPI % with each model's 1-month-ahead out-of-sample forecast, then the next months with interval."""
    fig = _figure(11, 4.5)
    ax = fig.subplots()
    start = pd.Period(str(predictions["target"].min()), freq="M")
    actual = headline[headline.index >= start]
    ax.plot(pd.PeriodIndex(actual.index).to_timestamp(), actual.to_numpy(), color="black", linewidth=1.6, label="INDEC")
    one = predictions[predictions["horizon"] == 1]
    for name, rows in one.groupby("model"):
        months = pd.PeriodIndex(rows["target"].astype(str), freq="M").to_timestamp()
        ax.plot(months, rows["pred"].to_numpy(), linewidth=1, alpha=0.8, label=f"{name} (1 mes)")
    future = pd.PeriodIndex(forecast["month"].astype(str), freq="M").to_timestamp()
    ax.plot(future, forecast["pct"], color="tab:red", marker="o", label="pronóstico")
    ax.fill_between(future, forecast["lower"], forecast["upper"], color="tab:red", alpha=0.2, label="intervalo 90 %")
    ax.set_ylabel("inflación mensual (%)")
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def demand_forecast_figure(history: pd.DataFrame, forecast: pd.DataFrame, days: int = 90) -> Any:
    """Total units per day over the last ``days`` and the summed P10/P50/P90 forecast of every series."""
    daily = history.groupby(pd.to_datetime(history["date"]))["quantity"].sum().sort_index().tail(days)
    ahead = forecast.assign(date=pd.to_datetime(forecast["date"])).groupby("date")[["p10", "p50", "p90"]].sum()
    fig = _figure(11, 4.5)
    ax = fig.subplots()
    ax.plot(daily.index, daily.to_numpy(), color="black", linewidth=1.2, label="ventas")
    ax.plot(ahead.index, ahead["p50"], color="tab:blue", label="Σ P50 de las series")
    band = "Σ P10 – Σ P90 de las series"
    ax.fill_between(ahead.index, ahead["p10"], ahead["p90"], color="tab:blue", alpha=0.2, label=band)
    ax.set_ylabel("unidades por día (todas las series)")
    ax.set_ylim(bottom=0, top=float(np.nanmax([daily.max(), ahead["p90"].max()])) * 1.1)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
