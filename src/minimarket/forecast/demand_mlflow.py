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
from minimarket.workspace import RunContext, command_context

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


GATE_EVAL_DAYS = 28
"""The gate scores every version on the same last 28 days, whatever its horizon."""


def holdout_wape(model: GlobalGBM, panel: Panel, days: int | None = None) -> float:
    """Refit a copy of ``model``'s configuration on all but the last ``days`` (default: its horizon) and score
    its forecasts of those days, made from successive origins ``horizon`` days apart when ``days`` is longer."""
    days = days or model.horizon
    origin = panel.values.shape[1] - 1 - days
    train = panel.truncate(origin)
    index = {s: i for i, s in enumerate(panel.series)}
    rows = np.array([index[s] for s in train.series])
    actual = np.nan_to_num(panel.values[rows, origin + 1 :], nan=0.0)
    fresh = dataclasses.replace(model, models={}, dead_columns=None).fit(train)
    predicted = np.zeros_like(actual)
    for start in range(0, days, model.horizon):
        history = panel.truncate(origin + start)
        where = {s: i for i, s in enumerate(history.series)}
        ahead = fresh.predict(history)[[where[s] for s in train.series]]
        width = min(model.horizon, days - start)
        predicted[:, start : start + width] = ahead[:, :width]
    return metrics.wape(actual.ravel(), predicted.ravel())


def evaluation_set(panel: Panel, days: int = GATE_EVAL_DAYS) -> tracking.EvaluationSet:
    """The gate's evaluation set: the last ``days`` days of every series sold before them; each version is
    refit on the days before and scored by WAPE there (see :func:`holdout_wape`). A short history gives a
    third of its days."""
    days = max(1, min(days, panel.values.shape[1] // 3))
    origin = panel.values.shape[1] - 1 - days
    n_series = panel.truncate(origin).n_series

    def score(uri: str) -> float:
        return holdout_wape(mlflow.pyfunc.load_model(uri).unwrap_python_model().model, panel, days)

    return tracking.EvaluationSet(
        description=f"last {days} days ({panel.periods[origin + 1].date()}..{panel.periods[-1].date()}), "
        f"{n_series} series",
        size=n_series,
        digest=tracking.fingerprint(panel.values.tobytes(), list(panel.series), str(panel.periods[-1]), days),
        score=score,
    )


GATE_POLICY = tracking.GatePolicy(metric=GATE_METRIC, lower_is_better=True)


@dataclass
class DemandTrainOutcome:
    run_id: str
    version: str | None
    decision: tracking.GateDecision | None
    metrics: dict[str, float]
    note: str = ""


def _train_and_register(
    sales: pd.DataFrame,
    *,
    horizon: int = 28,
    use_prices: bool = True,
    context: RunContext | None = None,
    params: dict[str, Any] | None = None,
    policy: tracking.GatePolicy = GATE_POLICY,
) -> DemandTrainOutcome:
    """Fit the global model on all of ``sales`` (date, sku, quantity[, unit_price]), log the holdout
    WAPE next to seasonal naive and publish it (registered and gated unless ``context`` is a scratch run
    not asked to promote). ``policy`` carries the gate's pre-gate checks."""
    context = context or command_context("demand train")
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
    values = {GATE_METRIC: challenger, "seasonal_naive_wape_holdout": naive}
    logged = {
        "horizon": horizon,
        "n_series": panel.n_series,
        "n_periods": panel.values.shape[1],
        "last_date": str(panel.periods[-1].date()),
        "use_prices": bool(price_col),
        **{k: v for k, v in dataclasses.asdict(model).items() if k not in ("models", "dead_columns")},
    }
    with tracking.tracked_run(
        EXPERIMENT,
        f"demand-{panel.periods[-1].date()}-h{horizon}",
        context=context,
        data_version=tracking.fingerprint(sales),
        params=logged,
    ) as run:
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
        published = run.publish(
            info.model_uri,
            MODEL_NAME,
            policy=policy,
            evaluation=lambda: evaluation_set(panel),
            tags={"last_date": str(panel.periods[-1].date())},
        )
    return DemandTrainOutcome(run.run_id, published.version, published.decision, values, published.note)


def train_and_register(*args: Any, **kwargs: Any) -> Any:
    """See :func:`_train_and_register`; MLflow's console messages go to stderr so stdout stays JSON."""
    import contextlib
    import sys

    with contextlib.redirect_stdout(sys.stderr):
        return _train_and_register(*args, **kwargs)
