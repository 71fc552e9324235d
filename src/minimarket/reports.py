"""What the training and evaluation notebooks show: tables of models, figures, the gate's decision.

The notebooks stay thin: each cell calls one of these and displays the result. Figures are plain
matplotlib :class:`~matplotlib.figure.Figure` objects (no pyplot state); :func:`show` puts one inline as
a PNG, which works the same in JupyterLab, papermill and nbmake.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from minimarket.tracking import GateDecision

if TYPE_CHECKING:
    from minimarket.evaluation import Evaluation
    from minimarket.forecast.inflation import InflationData
    from minimarket.learning.train import TrainParams
    from minimarket.monitoring.pipeline_store import SeededStore


def show(figure: Any) -> None:
    """Display ``figure`` inline as a PNG (and nothing else: no repr text, no pyplot window)."""
    from IPython.display import Image, display

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    display(Image(data=buffer.getvalue(), format="png"))


def say(text: str) -> None:
    """Display ``text`` as Markdown (a sentence of the report)."""
    from IPython.display import Markdown, display

    display(Markdown(text))


def records_table(rows: Any) -> pd.DataFrame:
    """A list of records (dicts) as a table; an empty list gives an empty table."""
    return pd.DataFrame(list(rows or []))


def write_json(path: Path, payload: Any) -> Path:
    """Write ``payload`` as indented JSON (a DVC metrics file), creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return path


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def gate_sentence(decision: GateDecision | dict[str, Any] | None, note: str = "") -> str:
    """The promotion gate's decision in one sentence (or why there was no gate: ``note``)."""
    if decision is None:
        return note or "No model was registered, so the promotion gate did not run."
    if isinstance(decision, dict):
        decision = GateDecision(**decision)
    return decision.sentence()


# --- inflation -------------------------------------------------------------------------------------------------


def inflation_data_sentence(data: InflationData, backtest_start: str) -> str:
    """What the inflation notebook works on, in one sentence."""
    first, last = data.headline.index[0], data.last_month
    return (
        f"INDEC monthly CPI from {first} to {last} ({len(data.headline)} months); backtest targets from "
        f"{backtest_start} to {last}, each model refit at every origin on the months before it."
    )


def update_sentence(result: Mapping[str, Any]) -> str:
    """The monthly update's outcome in one sentence."""
    status = result.get("status")
    if status != "recorded":
        return f"**{status}**: {result.get('reason', '')}"
    gate = result.get("gate_reason") or "no refit"
    verdict = "became champion" if result.get("promoted") else "did not become champion"
    version = result.get("model_version")
    model = f"version {version} {verdict}" if version else "nothing was registered"
    return f"**recorded** {result['month']}: {result['pct']} % ({result['source']}); {model} — {gate}."


def inflation_models_table(mae: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """One row per model, its backtest MAE (pp) at each horizon, best 1-month MAE first."""
    rows = {model: {f"MAE {h} m (pp)": value for h, value in per_h.items()} for model, per_h in mae.items()}
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")
    table = table[sorted(table.columns, key=lambda c: int(str(c).split()[1]))]
    return table.sort_values(table.columns[0]).round(3)


def errors_by_horizon_figure(mae: Mapping[str, Mapping[str, float]]) -> Any:
    """MAE (pp) of each model against the horizon (months ahead)."""
    fig = _figure(7, 3.8)
    ax = fig.subplots()
    for model, per_h in sorted(mae.items()):
        horizons = sorted(int(h) for h in per_h)
        ax.plot(horizons, [per_h[str(h)] for h in horizons], marker="o", label=model)
        ax.set_xticks(horizons)
    ax.set_xlabel("months ahead")
    ax.set_ylabel("MAE (percentage points)")
    ax.set_title("Backtest error by horizon")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def forecast_table(forecast: pd.DataFrame) -> pd.DataFrame:
    """The inflation forecast with its 90 % interval, rounded for reading."""
    columns = [c for c in ("month", "horizon", "pct", "lower", "upper") if c in forecast.columns]
    return forecast[columns].round(2).set_index("month")


# --- invoice extraction ------------------------------------------------------------------------------------------


def split_table(params: TrainParams) -> pd.DataFrame:
    """Documents per split and kind of a training run."""
    sizes = {"train": params.n_train, "val": params.n_val, "test": params.n_test}
    return pd.DataFrame({kind: sizes for kind in params.kinds}).rename_axis("split")


def extractor_by_kind_table(figures: Mapping[str, Any]) -> pd.DataFrame:
    """Rules vs learned on the test split: one row per kind and reader, the headline figures as columns."""
    keys = ("documents", "fully_correct_share", "header_accuracy", "item_f1", "sku_accuracy")
    rows = []
    for reader in ("rules", "learned"):
        for kind, summary in figures[reader]["by_kind"].items():
            rows.append({"kind": kind, "reader": reader, **{k: summary.get(k) for k in keys}})
    return pd.DataFrame(rows).set_index(["kind", "reader"])


def model_choice_table(figures: Mapping[str, Any]) -> pd.DataFrame:
    """The learned variants compared on the validation split (the chosen one is marked)."""
    rows = pd.DataFrame(figures.get("model_choice") or [])
    if rows.empty:
        return rows
    chosen = figures.get("chosen", {}).get("items")
    rows.insert(1, "chosen", rows["variant"] == chosen)
    keep = [c for c in ("variant", "chosen", "score", "fully_correct_share", "header_accuracy", "item_f1") if c in rows]
    return rows[keep].set_index("variant")


def field_accuracy_figure(by_kind: Mapping[str, Mapping[str, Any]], title: str = "Field accuracy per kind") -> Any:
    """Accuracy of each header field, one bar per document kind."""
    kinds = sorted(by_kind)
    fields = sorted({f for summary in by_kind.values() for f in (summary.get("field_accuracy") or {})})
    fig = _figure(9, max(3.0, 0.28 * len(fields) + 1.2))
    ax = fig.subplots()
    y = np.arange(len(fields))
    height = 0.8 / max(1, len(kinds))
    for i, kind in enumerate(kinds):
        accuracy = by_kind[kind].get("field_accuracy") or {}
        values = [accuracy.get(f) for f in fields]
        widths = [0.0 if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in values]
        ax.barh(y + i * height, widths, height=height, label=kind)
    ax.set_yticks(y + height * (len(kinds) - 1) / 2, fields)
    ax.set_xlim(0, 1.02)
    ax.set_xlabel("accuracy")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="lower right")
    ax.invert_yaxis()
    fig.tight_layout()
    return fig


# --- evaluation of the champions ---------------------------------------------------------------------------------


def extraction_table(metrics: Mapping[str, Any], model: str = "invoice-extractor") -> pd.DataFrame:
    """The served extraction's figures per kind (and overall)."""
    keys = ("documents", "fully_correct_share", "header_accuracy", "item_f1", "sku_accuracy")
    figures = metrics[model]
    rows = {kind: {k: summary.get(k) for k in keys} for kind, summary in figures.get("by_kind", {}).items()}
    rows["overall"] = {k: figures.get("overall", {}).get(k) for k in keys}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("kind")


def show_or_say(evaluation: Evaluation, model: str) -> None:
    """Show the evaluation's figure for ``model`` (``inflation`` or ``demand``), or say why there is none."""
    plots = evaluation.plots
    if model == "inflation" and "inflation_forecast" in plots:
        show(inflation_forecast_figure(plots["inflation_backtest"], plots["inflation_forecast"]))
    elif model == "demand" and "demand_by_category" in plots:
        show(demand_by_category_figure(plots["demand_by_category"]))
    else:
        say(f"No {model} champion is registered: nothing to evaluate.")


def store_sentence(seeded: SeededStore | None) -> str:
    """Which store the drift check reads."""
    if seeded is None:
        return "Checking the shop's own database."
    return (
        f"Seeded the pipeline's scratch store ({seeded.url}): {seeded.products} products, "
        f"{seeded.sales_rows:,} sales rows, {seeded.invoices} synthetic invoices."
    )


def champions_table(metrics: Mapping[str, Any]) -> pd.DataFrame:
    """Which version of each model is champion and the figure its gate recorded."""
    rows = []
    for model, summary in metrics.items():
        rows.append(
            {
                "model": model,
                "champion": summary.get("champion"),
                "gate metric": summary.get("gate_metric"),
                "gate value": summary.get("gate_value"),
                "previous champion's value": summary.get("previous_champion_value"),
                "note": summary.get("skipped") or summary.get("manual_promotion_reason") or "",
            }
        )
    return pd.DataFrame(rows).set_index("model")


def inflation_forecast_figure(backtest: pd.DataFrame, forecast: pd.DataFrame) -> Any:
    """Actual monthly CPI % against the champion's 1-month-ahead backtest forecasts, then its forecast with
    the 90 % interval (tables of :func:`minimarket.evaluation.evaluate_inflation`)."""
    fig = _figure(10, 4)
    ax = fig.subplots()
    past = pd.PeriodIndex(backtest["month"].astype(str), freq="M").to_timestamp()
    ax.plot(past, backtest["actual"], color="black", marker=".", label="INDEC")
    ax.plot(past, backtest["forecast"], color="tab:blue", linestyle="--", label="1 month ahead (backtest)")
    future = pd.PeriodIndex(forecast["month"].astype(str), freq="M").to_timestamp()
    ax.plot(future, forecast["forecast"], color="tab:red", marker="o", label="forecast")
    ax.fill_between(future, forecast["lower"], forecast["upper"], color="tab:red", alpha=0.2, label="90 % interval")
    ax.set_ylabel("monthly inflation (%)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def demand_by_category_figure(table: pd.DataFrame) -> Any:
    """Expected units per category over the horizon: P50 bars with the P10–P90 range."""
    ordered = table.sort_values("p50")
    fig = _figure(8, max(3.0, 0.3 * len(ordered) + 1.0))
    ax = fig.subplots()
    y = np.arange(len(ordered))
    low = (ordered["p50"] - ordered["p10"]).clip(lower=0)
    high = (ordered["p90"] - ordered["p50"]).clip(lower=0)
    ax.barh(y, ordered["p50"], xerr=[low, high], color="tab:blue", alpha=0.8, capsize=2)
    ax.set_yticks(y, ordered["category"])
    ax.set_xlabel("units over the horizon (P50, P10–P90)")
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return fig
