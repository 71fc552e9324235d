"""The served demand model (``demand-forecaster``): chosen per segment by backtest, guarded, logged, gated.

Training (:func:`train_and_register`) fits :class:`~minimarket.forecast.demand_selection.AutoDemand` —
per segment (smooth, erratic, intermittent, lumpy) the candidate with the lowest rolling-origin WAPE on
the shop's own history — scores the same configuration honestly on a holdout (refitted on everything
before the last ``horizon`` days, selection included) next to seasonal naive, checks the guard
(:mod:`minimarket.forecast.demand_guard`), logs the selection table, the coverage of P10-P90 and the
model, registers a version and runs the promotion gate (which refuses a version the guard failed, with
the figures in its message).

The pyfunc's input: a long sales frame (``date``, ``sku``, ``quantity`` and optionally ``unit_price``) —
the recent history of the series to forecast. Output: one row per SKU and future day with ``p10``,
``p50``, ``p90``, the series' ``segment`` and the ``model`` that served it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow
import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

from minimarket import tracking
from minimarket.forecast import metrics
from minimarket.forecast.demand import (
    GlobalGBM,
    Panel,
    SeasonalNaive,
    _future_periods,
    build_panel,
    quiet_library_logs,
)
from minimarket.forecast.demand_guard import GuardVerdict, check_forecast
from minimarket.forecast.demand_selection import CANDIDATES, AutoDemand
from minimarket.workspace import RunContext, command_context

LOG = logging.getLogger(__name__)
MODEL_NAME = "demand-forecaster"
EXPERIMENT = "demand"
GATE_METRIC = "wape_holdout"
REQUIREMENTS = (*tracking.MODEL_REQUIREMENTS, "statsforecast", "prophet")


def forecast_frame(model: Any, panel: Panel) -> pd.DataFrame:
    """Quantile forecasts as a long frame: ``sku``, ``date``, ``p10``, ``p50``, ``p90`` (and, for the
    per-segment model, ``segment`` and ``model``)."""
    quantiles = model.predict_quantiles(panel)
    future = _future_periods(panel, model.horizon)
    rows: dict[str, Any] = {
        "sku": np.repeat(panel.series, model.horizon),
        "date": np.tile(future.strftime("%Y-%m-%d"), panel.n_series),
    }
    for q, values in sorted(quantiles.items()):
        rows[f"p{round(q * 100):02d}"] = values.ravel()
    if isinstance(model, AutoDemand):
        segments = model.segment_of(panel)
        rows["segment"] = np.repeat(segments, model.horizon)
        rows["model"] = np.repeat(
            [model.choices[s].model if s in model.choices else "" for s in segments], model.horizon
        )
    return pd.DataFrame(rows)


class DemandPyfunc(PythonModel):
    """Routes every series of the request to its segment's model (or, in versions logged before the
    per-segment selection, to the global GBM)."""

    def __init__(self, model: Any, price_col: bool) -> None:
        self.model = model
        self.price_col = price_col

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        quiet_library_logs()
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


def _holdout(panel: Panel, horizon: int) -> tuple[Panel, np.ndarray]:
    """Everything before the last ``horizon`` periods, and what those series sold in them."""
    origin = panel.values.shape[1] - 1 - horizon
    train = panel.truncate(origin)
    index = {s: i for i, s in enumerate(panel.series)}
    rows = np.array([index[s] for s in train.series])
    return train, np.nan_to_num(panel.values[rows, origin + 1 :], nan=0.0)


def fresh_copy(model: Any) -> Any:
    """An unfitted model with ``model``'s configuration."""
    if isinstance(model, GlobalGBM):
        return dataclasses.replace(model, models={}, dead_columns=None)
    if isinstance(model, AutoDemand):
        return dataclasses.replace(model, segments={}, choices={}, table=[], failed={})
    raise TypeError(f"unknown demand model {type(model).__name__}")


@dataclass
class HoldoutScore:
    wape: float
    naive_wape: float
    coverage: float
    frame: pd.DataFrame = field(repr=False)
    """One row per series and day of the holdout: ``series``, ``date``, ``actual``, ``p10``, ``p50``, ``p90``."""


def holdout_score(model: Any, panel: Panel) -> HoldoutScore:
    """Refit a copy of ``model``'s configuration on all but the last horizon and score that horizon
    (WAPE of P50, seasonal naive's WAPE, share of actuals inside P10-P90)."""
    train, actual = _holdout(panel, model.horizon)
    quantiles = fresh_copy(model).fit(train).predict_quantiles(train)
    naive = SeasonalNaive(model.horizon).predict(train)
    frame = pd.DataFrame(
        {
            "series": np.repeat(train.series, model.horizon),
            "date": np.tile(_future_periods(train, model.horizon), train.n_series),
            "actual": actual.ravel(),
            **{f"p{round(q * 100):02d}": values.ravel() for q, values in sorted(quantiles.items())},
        }
    )
    return HoldoutScore(
        wape=metrics.wape(actual.ravel(), quantiles[0.5].ravel()),
        naive_wape=metrics.wape(actual.ravel(), naive.ravel()),
        coverage=metrics.coverage(actual.ravel(), quantiles[0.1].ravel(), quantiles[0.9].ravel()),
        frame=frame,
    )


GATE_EVAL_DAYS = 28
"""The gate scores every version on the same last 28 days, whatever its horizon."""


def holdout_wape(model: Any, panel: Panel, days: int | None = None) -> float:
    """Refit a copy of ``model``'s configuration (selection included) on all but the last ``days`` (default:
    its horizon) and score its forecasts of those days, made from successive origins ``horizon`` days apart
    when ``days`` is longer."""
    days = days or model.horizon
    origin = panel.values.shape[1] - 1 - days
    train = panel.truncate(origin)
    index = {s: i for i, s in enumerate(panel.series)}
    rows = np.array([index[s] for s in train.series])
    actual = np.nan_to_num(panel.values[rows, origin + 1 :], nan=0.0)
    fresh = fresh_copy(model).fit(train)
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
    selection: list[dict[str, Any]] = field(default_factory=list)
    table: list[dict[str, Any]] = field(default_factory=list)
    guard: GuardVerdict | None = None
    holdout: pd.DataFrame | None = None
    panel: Panel | None = None
    note: str = ""


def make_model(models: str | list[str] = "auto", horizon: int = 28, folds: int = 2, **gbm: Any) -> Any:
    """The model training fits: ``auto`` (every candidate, chosen per segment), a comma list of
    candidates to choose among, or a single candidate name."""
    names = [m.strip() for m in models.split(",") if m.strip()] if isinstance(models, str) else list(models)
    gbm_config = GlobalGBM(horizon=horizon, **gbm)
    if names == ["global_gbm"]:
        return gbm_config
    candidates = CANDIDATES if (not names or "auto" in names) else tuple(names)
    return AutoDemand(horizon=horizon, candidates=candidates, inner_folds=folds, gbm=gbm_config)


def _log_selection(model: Any, tmp: Path) -> None:
    if isinstance(model, AutoDemand):
        pd.DataFrame(model.table).to_csv(tmp / "selection_table.csv", index=False)
        (tmp / "selection.json").write_text(json.dumps(model.describe(), indent=2, default=str))


def _train_and_register(
    sales: pd.DataFrame,
    *,
    horizon: int = 28,
    models: str | list[str] = "auto",
    folds: int = 2,
    use_prices: bool = True,
    context: RunContext | None = None,
    params: dict[str, Any] | None = None,
    policy: tracking.GatePolicy = GATE_POLICY,
) -> DemandTrainOutcome:
    """Fit the demand model on all of ``sales`` (date, sku, quantity[, unit_price]), log its holdout
    WAPE and P10-P90 coverage next to seasonal naive and publish it (registered and gated unless
    ``context`` is a scratch run not asked to promote). The guard is one of the gate's pre-gate checks: a
    version it refuses is registered but never promoted, with the figures in the gate's reason."""
    quiet_library_logs()
    context = context or command_context("demand train")
    price_col = "unit_price" if use_prices and "unit_price" in sales.columns else None
    panel = build_panel(sales, price_col=price_col)
    model = make_model(models, horizon, folds, **(params or {}))
    score = holdout_score(model, panel)
    model.fit(panel)
    ahead = forecast_frame(model, panel)
    history_units = float(np.nansum(panel.values))
    verdict = check_forecast(
        ahead[["p50"]].to_numpy(float),
        history_units=history_units,
        holdout_wape=score.wape,
        naive_wape=score.naive_wape,
        model=getattr(model, "name", "model"),
    )
    if not verdict.ok:
        LOG.warning("demand model refused: %s", verdict.message)
    LOG.info(
        "demand holdout: WAPE %.4f (seasonal naive %.4f), P10-P90 coverage %.3f",
        score.wape,
        score.naive_wape,
        score.coverage,
    )
    tracking.set_experiment(EXPERIMENT)
    values = {
        GATE_METRIC: score.wape,
        "seasonal_naive_wape_holdout": score.naive_wape,
        "coverage_p10_p90_holdout": score.coverage,
    }
    selection = model.selection() if isinstance(model, AutoDemand) else []
    for row in selection:
        if row["wape"] is not None:
            values[f"inner_wape_{row['segment']}"] = row["wape"]
    logged = {
        "horizon": horizon,
        "models": models if isinstance(models, str) else ",".join(models),
        "inner_folds": folds,
        "n_series": panel.n_series,
        "n_periods": panel.values.shape[1],
        "last_date": str(panel.periods[-1].date()),
        "use_prices": bool(price_col),
        **{f"served_{row['segment']}": row["model"] for row in selection},
    }
    guarded = dataclasses.replace(policy, checks=(*policy.checks, lambda _uri: None if verdict.ok else verdict.message))
    with tracking.tracked_run(
        EXPERIMENT,
        f"demand-{panel.periods[-1].date()}-h{horizon}",
        context=context,
        data_version=tracking.fingerprint(sales),
        params=logged,
    ) as run:
        mlflow.log_metrics({k: v for k, v in values.items() if np.isfinite(v)})
        mlflow.set_tag("guard", verdict.message)
        python_model = DemandPyfunc(model, bool(price_col))
        example = _input_example(sales, price_col)
        signature = mlflow.models.infer_signature(example, python_model.predict(None, example))
        from minimarket.monitoring.reference import log_reference
        from minimarket.monitoring.sources import training_features

        log_reference(training_features("sales", sales), "sales")
        with tempfile.TemporaryDirectory() as tmp:
            ahead.to_csv(Path(tmp) / "forecast.csv", index=False)
            score.frame.to_csv(Path(tmp) / "holdout.csv", index=False)
            _log_selection(model, Path(tmp))
            mlflow.log_artifacts(tmp, artifact_path="evaluation")
        from minimarket.forecast.plots import demand_forecast_figure

        mlflow.log_figure(demand_forecast_figure(sales, ahead), "plots/forecast.png")
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=python_model,
            input_example=example,
            signature=signature,
            pip_requirements=tracking.pinned_requirements(*REQUIREMENTS),
        )
        published = run.publish(
            info.model_uri,
            MODEL_NAME,
            policy=guarded,
            evaluation=lambda: evaluation_set(panel),
            tags={"last_date": str(panel.periods[-1].date())},
        )
    table = model.table if isinstance(model, AutoDemand) else []
    return DemandTrainOutcome(
        run.run_id,
        published.version,
        published.decision,
        values,
        selection,
        table,
        verdict,
        score.frame,
        panel,
        published.note,
    )


def train_and_register(*args: Any, **kwargs: Any) -> Any:
    """See :func:`_train_and_register`; MLflow's console messages go to stderr so stdout stays JSON."""
    import contextlib
    import sys

    with contextlib.redirect_stdout(sys.stderr):
        return _train_and_register(*args, **kwargs)
