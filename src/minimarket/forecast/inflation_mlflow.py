"""The inflation forecaster as an MLflow pyfunc model, trained, logged and gated.

Registered as ``inflation-forecaster``. Input: a frame with an integer ``horizon`` column (1..6);
output: ``month``, ``horizon``, ``pct``, ``lower``, ``upper`` (90 % interval) per requested horizon.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import mlflow.pyfunc
import pandas as pd
from mlflow.pyfunc import PythonModel

from minimarket import tracking
from minimarket.forecast.inflation import (
    InflationData,
    InflationForecaster,
    InflationModel,
    make_models,
    production_model,
    rolling_backtest,
)
from minimarket.workspace import RunContext, command_context

MODEL_NAME = "inflation-forecaster"
EXPERIMENT = "inflation"
GATE_METRIC = "mae_1m_pp"
DEFAULT_EVAL_START = "2019-01"


class InflationPyfunc(PythonModel):
    """Wraps a fitted :class:`InflationForecaster`."""

    def __init__(self, forecaster: InflationForecaster) -> None:
        self.forecaster = forecaster

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        horizons = sorted({int(h) for h in pd.DataFrame(model_input)["horizon"]})
        if not horizons or horizons[0] < 1 or horizons[-1] > self.forecaster.max_horizon:
            raise ValueError(f"horizon must be between 1 and {self.forecaster.max_horizon}")
        frame = self.forecaster.forecast(horizons[-1])
        return frame[frame["horizon"].isin(horizons)].reset_index(drop=True)


def one_month_mae(model: InflationModel, data: InflationData, start: str, end: str | None = None) -> float:
    """1-month-ahead MAE (pp) of ``model`` re-run origin by origin on ``data`` (the gate's metric)."""
    result = rolling_backtest(data, [model], horizons=(1,), start=start, end=end)
    return result.mae()[model.name]["1"]


def _log_drift_reference(data: InflationData, predictions: pd.DataFrame, model_name: str) -> None:
    """Log the CPI features (monthly %, its change, the out-of-sample residuals) drift checks compare with."""
    from minimarket.monitoring.reference import log_reference
    from minimarket.monitoring.sources import training_features

    chosen = predictions[(predictions["model"] == model_name) & (predictions["horizon"] == 1)]
    forecasts = pd.Series(
        chosen["pred"].to_numpy(dtype=float), index=pd.PeriodIndex(chosen["target"].astype(str), freq="M")
    )
    log_reference(training_features("cpi", data.headline, forecasts=forecasts), "cpi")


def evaluation_set(data: InflationData, eval_start: str) -> tracking.EvaluationSet:
    """The gate's evaluation set: every month from ``eval_start`` to the last known one, forecast one month
    ahead from the data before it; both versions are re-run origin by origin on it."""
    months = max(0, len(pd.period_range(pd.Period(eval_start, freq="M"), data.last_month, freq="M")))

    def score(uri: str) -> float:
        wrapper = mlflow.pyfunc.load_model(uri).unwrap_python_model()
        return one_month_mae(wrapper.forecaster.model, data, eval_start)

    return tracking.EvaluationSet(
        description=f"INDEC headline, 1-month-ahead targets {eval_start}..{data.last_month}",
        size=months,
        digest=tracking.fingerprint(data.headline, data.components, eval_start),
        score=score,
    )


GATE_POLICY = tracking.GatePolicy(metric=GATE_METRIC, lower_is_better=True, refresh_on_tie=True)
"""A monthly refit of the same configuration ties the champion on the rolling backtest and replaces it."""


@dataclass
class TrainOutcome:
    run_id: str
    version: str | None
    decision: tracking.GateDecision | None
    metrics: dict[str, float]
    forecast: pd.DataFrame
    backtest: pd.DataFrame | None = None
    note: str = ""


def _train_and_register(
    data: InflationData,
    *,
    eval_start: str = DEFAULT_EVAL_START,
    baselines: tuple[str, ...] = ("naive_last_month",),
    context: RunContext | None = None,
    run_name: str | None = None,
    extra_params: dict[str, Any] | None = None,
    calibration_months: int | None = None,
) -> TrainOutcome:
    """Fit the production forecaster on ``data``, log it with its backtest against ``baselines`` and publish it
    (:meth:`tracking.TrackedRun.publish`: registered and gated on the same evaluation window, unless the
    ``context`` is a scratch run not asked to promote)."""
    context = context or command_context("inflation train")
    model = production_model()
    forecaster = InflationForecaster(model=model)
    if calibration_months:
        forecaster.calibration_months = calibration_months
    forecaster.fit(data)
    backtest = rolling_backtest(data, [model, *make_models(baselines)], horizons=(1,), start=eval_start)
    mae = backtest.mae()
    metrics = {f"{name}_mae_1m_pp": per_h["1"] for name, per_h in mae.items()}
    metrics[GATE_METRIC] = mae[model.name]["1"]
    forecast = forecaster.forecast(6)
    params = {
        "model": model.name,
        "members": ",".join(m.name for m in model.members),
        "weight_rules": ",".join(r.label for r in model.rules),
        "rule_select_window": model.select_window,
        "last_month": str(data.last_month),
        "n_months": len(data.headline),
        "eval_start": eval_start,
        "interval_level": forecaster.level,
        "calibration_months": forecaster.calibration_months,
        **(extra_params or {}),
    }
    version_of_data = tracking.fingerprint(data.headline, data.components)
    with tracking.tracked_run(
        EXPERIMENT,
        run_name or f"inflation-{data.last_month}",
        context=context,
        data_version=version_of_data,
        params=params,
    ) as run:
        mlflow.log_metrics(metrics)
        with tempfile.TemporaryDirectory() as tmp:
            backtest.predictions.astype({"origin": str, "target": str}).to_csv(Path(tmp) / "backtest.csv", index=False)
            forecast.to_csv(Path(tmp) / "forecast.csv", index=False)
            mlflow.log_artifacts(tmp, artifact_path="evaluation")
        from minimarket.forecast.plots import inflation_backtest_figure

        figure = inflation_backtest_figure(data.headline, backtest.predictions, forecast)
        mlflow.log_figure(figure, "plots/backtest.png")
        _log_drift_reference(data, backtest.predictions, model.name)
        example = pd.DataFrame({"horizon": [1, 2, 3]})
        python_model = InflationPyfunc(forecaster)
        signature = mlflow.models.infer_signature(example, python_model.predict(None, example))
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
            policy=GATE_POLICY,
            evaluation=lambda: evaluation_set(data, eval_start),
            tags={
                "last_month": str(data.last_month),
                tracking.DATA_THROUGH_TAG: str(data.last_month),
                tracking.CONFIG_TAG: tracking.fingerprint(
                    params["model"], params["members"], params["weight_rules"], params["rule_select_window"]
                ),
            },
        )
        mlflow.log_text(json.dumps(mae, indent=2), "evaluation/mae.json")
        mlflow.log_text(json.dumps(model.last_choice, indent=2), "evaluation/weight_rule_chosen.json")
    return TrainOutcome(
        run.run_id, published.version, published.decision, metrics, forecast, backtest.predictions, published.note
    )


def load_champion_forecaster() -> InflationForecaster:
    """The forecaster behind ``models:/inflation-forecaster@champion``."""
    wrapper: InflationPyfunc = tracking.load_model(MODEL_NAME).unwrap_python_model()
    return wrapper.forecaster


def train_and_register(*args: Any, **kwargs: Any) -> Any:
    """See :func:`_train_and_register`; MLflow's console messages go to stderr so stdout stays JSON."""
    import contextlib
    import sys

    with contextlib.redirect_stdout(sys.stderr):
        return _train_and_register(*args, **kwargs)
