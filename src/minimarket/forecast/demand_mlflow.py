"""The global demand model as an MLflow pyfunc (``demand-forecaster``), trained, logged and gated.

Input: a long sales frame (``date``, ``sku``, ``quantity`` and optionally ``unit_price``) — the recent
history of the series to forecast. Output: one row per SKU and future day with ``p10``, ``p50``, ``p90``.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

from minimarket import tracking
from minimarket.forecast.demand import GlobalGBM, Panel, SeasonalNaive, _future_periods, build_panel, metrics

MODEL_NAME = "demand-forecaster"
EXPERIMENT = "demand"
GATE_METRIC = "wape_holdout"


def forecast_frame(model: GlobalGBM, panel: Panel) -> pd.DataFrame:
    """Quantile forecasts as a long frame: ``sku``, ``date``, ``p10``, ``p50``, ``p90``."""
    quantiles = model.predict_quantiles(panel)
    future = _future_periods(panel, model.horizon)
    rows = {"sku": np.repeat(panel.series, model.horizon), "date": np.tile(future.strftime("%Y-%m-%d"), panel.n_series)}
    for q, values in sorted(quantiles.items()):
        rows[f"p{round(q * 100):02d}"] = values.ravel()
    return pd.DataFrame(rows)


class DemandPyfunc(PythonModel):
    def __init__(self, model: GlobalGBM, price_col: bool) -> None:
        self.model = model
        self.price_col = price_col

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        frame = pd.DataFrame(model_input)
        panel = build_panel(
            frame,
            price_col="unit_price" if self.price_col and "unit_price" in frame.columns else None,
            freq=self.model.freq,
            min_sales=1,
        )
        return forecast_frame(self.model, panel)


def _input_example(sales: pd.DataFrame, price_col: str | None) -> pd.DataFrame:
    """A small request: the last 8 weeks of two series (what a client sends to get their forecast)."""
    columns = ["date", "sku", "quantity", *([price_col] if price_col else [])]
    recent = sales[sales["date"] >= sales["date"].max() - pd.Timedelta(days=55)]
    skus = recent["sku"].value_counts().index[:2]
    example = recent[recent["sku"].isin(skus)][columns].reset_index(drop=True)
    example["date"] = pd.to_datetime(example["date"]).dt.strftime("%Y-%m-%d")
    example["quantity"] = example["quantity"].astype(float)  # quantities may be fractional (kg)
    return example


def holdout_wape(model: GlobalGBM, panel: Panel) -> float:
    """Refit a copy of ``model``'s configuration on all but the last horizon and score that horizon."""
    origin = panel.values.shape[1] - 1 - model.horizon
    train = panel.truncate(origin)
    index = {s: i for i, s in enumerate(panel.series)}
    rows = np.array([index[s] for s in train.series])
    actual = np.nan_to_num(panel.values[rows, origin + 1 :], nan=0.0)
    fresh = dataclasses.replace(model, models={}, dead_columns=None)
    return metrics.wape(actual.ravel(), fresh.fit(train).predict(train).ravel())


@dataclass
class DemandTrainOutcome:
    run_id: str
    version: str | None
    decision: tracking.GateDecision | None
    metrics: dict[str, float]


def _train_and_register(
    sales: pd.DataFrame,
    *,
    horizon: int = 28,
    use_prices: bool = True,
    register: bool = True,
    params: dict[str, Any] | None = None,
) -> DemandTrainOutcome:
    """Fit the global model on all of ``sales`` (date, sku, quantity[, unit_price]), log the holdout
    WAPE next to seasonal naive, register a version and gate it against the champion."""
    price_col = "unit_price" if use_prices and "unit_price" in sales.columns else None
    panel = build_panel(sales, price_col=price_col)
    model = GlobalGBM(horizon=horizon, **(params or {}))
    challenger = holdout_wape(model, panel)
    origin = panel.values.shape[1] - 1 - horizon
    train = panel.truncate(origin)
    rows = np.array([{s: i for i, s in enumerate(panel.series)}[s] for s in train.series])
    actual = np.nan_to_num(panel.values[rows, origin + 1 :], nan=0.0)
    naive = metrics.wape(actual.ravel(), SeasonalNaive(horizon).predict(train).ravel())
    model.fit(panel)
    tracking.set_experiment(EXPERIMENT)
    values = {GATE_METRIC: challenger, "seasonal_naive_wape_holdout": naive}
    with mlflow.start_run(run_name=f"demand-{panel.periods[-1].date()}") as run:
        mlflow.log_params(
            {
                "horizon": horizon,
                "n_series": panel.n_series,
                "n_periods": panel.values.shape[1],
                "last_date": str(panel.periods[-1].date()),
                "use_prices": bool(price_col),
                **{k: v for k, v in dataclasses.asdict(model).items() if k not in ("models", "dead_columns")},
            }
        )
        mlflow.log_metrics(values)
        python_model = DemandPyfunc(model, bool(price_col))
        example = _input_example(sales, price_col)
        signature = mlflow.models.infer_signature(example, python_model.predict(None, example))
        from minimarket.monitoring.reference import log_reference
        from minimarket.monitoring.sources import training_features

        log_reference(training_features("sales", sales), "sales")
        with tempfile.TemporaryDirectory() as tmp:
            ahead = forecast_frame(model, panel)
            ahead.to_csv(Path(tmp) / "forecast.csv", index=False)
            mlflow.log_artifacts(tmp, artifact_path="evaluation")
        from minimarket.forecast.plots import demand_forecast_figure

        mlflow.log_figure(demand_forecast_figure(sales, ahead), "plots/forecast.png")
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=python_model,
            input_example=example,
            signature=signature,
            pip_requirements=tracking.pinned_requirements(*tracking.MODEL_REQUIREMENTS),
        )
        version = decision = None
        if register:
            version = tracking.register(info.model_uri, MODEL_NAME, tags={"last_date": str(panel.periods[-1].date())})

            def evaluate(uri: str) -> float:
                champion = mlflow.pyfunc.load_model(uri).unwrap_python_model()
                return holdout_wape(champion.model, panel)

            decision = tracking.promotion_gate(
                MODEL_NAME, version, metric=GATE_METRIC, challenger_value=challenger, evaluate=evaluate
            )
    return DemandTrainOutcome(run.info.run_id, version, decision, values)


def train_and_register(*args: Any, **kwargs: Any) -> Any:
    """See :func:`_train_and_register`; MLflow's console messages go to stderr so stdout stays JSON."""
    import contextlib
    import sys

    with contextlib.redirect_stdout(sys.stderr):
        return _train_and_register(*args, **kwargs)
