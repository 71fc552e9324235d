"""Evaluate what is served: each ``champion`` through the same doors the product uses.

The training stages compare a challenger with the champion on their own evaluation data (the promotion
gate). This is the pipeline's last look before drift: one metrics file saying which version of each model
is champion, how the served invoice extraction does on the held-out synthetic test split (through the
reader :func:`~minimarket.learning.runtime.load_reader` builds, exactly as ``minimarket extract`` reads a
document), what the inflation champion forecasts,
and what the demand champion expects per category; plus the tables DVC draws as plots.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from minimarket import tracking
from minimarket.config import get_settings

if TYPE_CHECKING:
    from minimarket.documents.invoice_reader import InvoiceReader

EXTRACTOR = "invoice-extractor"
INFLATION = "inflation-forecaster"
DEMAND = "demand-forecaster"


@dataclass
class Evaluation:
    """The figures (``metrics``) and the plot tables (name → frame) of one evaluation."""

    metrics: dict[str, Any] = field(default_factory=dict)
    plots: dict[str, pd.DataFrame] = field(default_factory=dict)

    def write(self, metrics_path: Path, plots_dir: Path) -> None:
        metrics_path.parent.mkdir(parents=True, exist_ok=True)
        metrics_path.write_text(json.dumps(self.metrics, indent=2, ensure_ascii=False, default=str) + "\n")
        plots_dir.mkdir(parents=True, exist_ok=True)
        for name, frame in self.plots.items():
            frame.to_csv(plots_dir / f"{name}.csv", index=False)


def champion_summary(name: str) -> dict[str, Any]:
    """Which version is champion and the figures its promotion gate recorded."""
    version = tracking.alias_version(name, tracking.CHAMPION)
    if version is None:
        return {"champion": None}
    tags = dict(tracking.client().get_model_version(name, version).tags or {})
    return {
        "champion": version,
        "gate_metric": tags.get("gate_metric"),
        "gate_value": _float(tags.get("gate_challenger_value")),
        "previous_champion_value": _float(tags.get("gate_champion_value")),
        "manual_promotion_reason": tags.get("manual_promotion_reason"),
    }


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def evaluate_extraction(
    reader: InvoiceReader, test_root: Path, workers: int = 2
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Extraction by ``reader`` (the served one: champion if registered, else rules) on every
    ``<test_root>/<kind>/`` folder; the table has one row per kind and field (``label`` = "field · kind",
    what the DVC bar chart draws)."""
    from minimarket.learning.dataset import load_refs
    from minimarket.learning.metrics import aggregate, rounded, score_document

    folders = sorted(p for p in test_root.iterdir() if (p / "manifest.jsonl").is_file()) if test_root.is_dir() else []
    if not folders:
        raise FileNotFoundError(f"no generated test documents under {test_root} (run `dvc repro synth_invoices`)")
    refs = [ref for folder in folders for ref in load_refs(folder, "test")]
    scores = [
        score_document(got.to_json_dict(), ref.truth.to_json_dict(), name=ref.name, kind=ref.kind, layout=ref.layout)
        for ref, got in zip(refs, reader.extract_many([ref.path for ref in refs], workers=workers), strict=True)
    ]
    by_kind: dict[str, list[Any]] = defaultdict(list)
    for score in scores:
        by_kind[score.kind].append(score)
    figures = {"overall": rounded(aggregate(scores)), "by_kind": {k: rounded(aggregate(v)) for k, v in by_kind.items()}}
    rows = [
        {"label": f"{name} · {kind}", "kind": kind, "field_name": name, "accuracy": accuracy}
        for kind, summary in figures["by_kind"].items()
        for name, accuracy in summary["field_accuracy"].items()
        if accuracy is not None and accuracy == accuracy  # a field never checked has no bar
    ]
    return figures, pd.DataFrame(rows, columns=["label", "kind", "field_name", "accuracy"])


def _champion_backtest(history: int) -> pd.DataFrame:
    """The champion's own 1-month-ahead backtest (the run's ``evaluation/backtest.csv``), last ``history`` months."""
    import tempfile

    version = tracking.alias_version(INFLATION, tracking.CHAMPION)
    mlflow_client = tracking.client()
    run_id = mlflow_client.get_model_version(INFLATION, str(version)).run_id
    model_name = mlflow_client.get_run(run_id).data.params.get("model")
    with tempfile.TemporaryDirectory() as tmp:
        frame = pd.read_csv(mlflow_client.download_artifacts(run_id, "evaluation/backtest.csv", tmp))
    frame = frame[(frame["horizon"] == 1) & (frame["model"] == model_name)].sort_values("target").tail(history)
    return pd.DataFrame(
        {"month": frame["target"].astype(str), "actual": frame["actual"].round(3), "forecast": frame["pred"].round(3)}
    )


def evaluate_inflation(months: int = 6, history: int = 24) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """The champion's forecast with its 90 % interval, and its 1-month-ahead backtest over the last ``history``
    months against INDEC's figures: two tables whose every row is complete."""
    model = tracking.load_model(INFLATION)
    forecast = model.predict(pd.DataFrame({"horizon": list(range(1, months + 1))}))
    future = forecast[["month", "pct", "lower", "upper"]].rename(columns={"pct": "forecast"})
    future = future.assign(month=future["month"].astype(str)).round(3)
    backtest = _champion_backtest(history)
    errors = (backtest["forecast"] - backtest["actual"]).abs()
    figures = {
        "next_month": str(future["month"].iloc[0]),
        "next_month_pct": round(float(future["forecast"].iloc[0]), 3),
        "next_month_interval": [round(float(future["lower"].iloc[0]), 3), round(float(future["upper"].iloc[0]), 3)],
        "months_ahead": months,
        "backtest_months": len(backtest),
        "backtest_mae_1m_pp": round(float(errors.mean()), 4) if len(errors) else None,
    }
    return figures, backtest.reset_index(drop=True), future.reset_index(drop=True)


def evaluate_demand(sales_csv: Path, recent_days: int = 56) -> tuple[dict[str, Any], pd.DataFrame]:
    """What the demand champion expects per category over its horizon, from the latest ``recent_days`` of sales."""
    from minimarket.catalog import bundled_products
    from minimarket.sales_csv import SalesColumns, read_sales_csv

    columns = SalesColumns(date="date", sku="sku", quantity="quantity", unit_price="unit_price")
    sales = read_sales_csv(sales_csv, columns).to_frame().drop(columns="store")
    recent = sales[sales["date"] > sales["date"].max() - pd.Timedelta(days=recent_days)].copy()
    recent["date"] = recent["date"].dt.strftime("%Y-%m-%d")
    recent["unit_price"] = recent["unit_price"].fillna(0.0)
    forecast = tracking.load_model(DEMAND).predict(recent)
    category = {product.sku: product.category for product in bundled_products()}
    forecast["category"] = forecast["sku"].map(category).fillna("sin categoría")
    table = forecast.groupby("category", as_index=False)[["p10", "p50", "p90"]].sum().round(1)
    figures = {"series": int(forecast["sku"].nunique()), "horizon_days": int(forecast["date"].nunique())}
    return figures, table.sort_values("p50", ascending=False)


def evaluate_champions(
    *, test_root: Path | None = None, sales_csv: Path | None = None, workers: int = 2, models: Sequence[str] = ()
) -> Evaluation:
    """Evaluate every registered champion (or those in ``models``); a missing champion is reported, not fatal."""
    settings = get_settings()
    test_root = test_root or settings.generated_dir / "extractor" / "test"
    sales_csv = sales_csv or settings.generated_dir / "sales.csv"
    chosen = list(models) or [EXTRACTOR, INFLATION, DEMAND]
    result = Evaluation()
    for name in chosen:
        summary = champion_summary(name)
        result.metrics[name] = summary
        if summary["champion"] is None and name != EXTRACTOR:
            summary["skipped"] = "no champion registered"
            continue
        if name == EXTRACTOR:
            from minimarket.learning.runtime import load_reader

            figures, table = evaluate_extraction(load_reader(settings), test_root, workers)
            result.plots["extractor_field_accuracy"] = table
        elif name == INFLATION:
            figures, backtest, forecast = evaluate_inflation()
            result.plots["inflation_backtest"] = backtest
            result.plots["inflation_forecast"] = forecast
        else:
            figures, table = evaluate_demand(sales_csv)
            result.plots["demand_by_category"] = table
        summary.update(figures)
    return result
