"""Tables and figures that explain a demand model (notebook 03, MLflow artifacts): the selection table
(segment × candidate × WAPE), the backtest side by side, and the holdout forecast with its P10-P90
interval against what was actually sold."""

from __future__ import annotations

from typing import Any

import pandas as pd

from minimarket.forecast import metrics
from minimarket.forecast.demand import Panel


def selection_pivot(table: list[dict[str, Any]]) -> pd.DataFrame:
    """Segment × candidate WAPE on the selection's folds (rows: candidates; a ``*`` marks the chosen)."""
    frame = pd.DataFrame([row for row in table if row.get("segment") != "all"])
    if frame.empty:
        return frame
    frame["cell"] = frame["wape"].map(lambda w: "" if w is None or pd.isna(w) else f"{w:.3f}")
    frame.loc[frame["chosen"].astype(bool), "cell"] += " *"
    pivot = frame.pivot_table(index="candidate", columns="segment", values="cell", aggfunc="first", fill_value="")
    return pivot


def backtest_table(results: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """One row per model: WAPE, MASE, bias, P10-P90 coverage (when it has quantiles), fit seconds."""
    frame = pd.DataFrame(results).T
    frame.index.name = "model"
    return frame.sort_values("wape")


def coverage(frame: pd.DataFrame) -> float:
    """Share of actuals inside P10-P90 of a holdout frame (``actual``, ``p10``, ``p90``; goal 0.75-0.85)."""
    return metrics.coverage(frame["actual"], frame["p10"], frame["p90"])


def interval_figure(history: Panel, frame: pd.DataFrame, n_series: int = 4, days_back: int = 56) -> Any:
    """The best-selling series' last weeks, their holdout P50 and P10-P90 band, and the actuals."""
    import matplotlib.pyplot as plt

    totals = frame.groupby("series")["actual"].sum().sort_values(ascending=False)
    chosen = list(totals.index[:n_series])
    fig, axes = plt.subplots(len(chosen), 1, figsize=(9, 2.2 * len(chosen)), sharex=True, squeeze=False)
    index = {s: i for i, s in enumerate(history.series)}
    start = pd.Timestamp(frame["date"].min())
    for ax, series in zip(axes[:, 0], chosen, strict=True):
        part = frame[frame["series"] == series]
        past = history.values[index[series]]
        keep = (history.periods < start) & (history.periods >= start - pd.Timedelta(days=days_back))
        ax.plot(history.periods[keep], past[keep], color="0.5", lw=1, label="ventas")
        ax.fill_between(part["date"], part["p10"], part["p90"], color="tab:blue", alpha=0.25, label="P10-P90")
        ax.plot(part["date"], part["p50"], color="tab:blue", lw=1.5, label="P50")
        ax.plot(part["date"], part["actual"], "o", color="black", ms=3, label="real")
        ax.set_title(series, fontsize=9, loc="left")
        ax.set_ylabel("unidades")
    axes[0, 0].legend(loc="upper left", fontsize=8, ncol=4)
    fig.tight_layout()
    return fig
