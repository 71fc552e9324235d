"""Drift reference data: the feature frame the ``champion`` model was trained or evaluated on.

A training run logs its feature frame with :func:`log_reference` (inside its active MLflow run, as the
artifact ``reference/<dataset>.parquet``), building it with
:func:`minimarket.monitoring.sources.training_features` so that it matches what the check builds::

    from minimarket.monitoring.reference import log_reference
    from minimarket.monitoring.sources import training_features

    with mlflow.start_run():
        ...
        log_reference(training_features("sales", train_sales), "sales")
        # invoices: training_features("invoices", extracted_invoices)
        # cpi:      training_features("cpi", data.headline, forecasts=backtest_1m_preds_by_target)

and :func:`champion_reference` fetches it back from the run of the version holding the alias
``champion``. When there is no champion, or it has no such artifact, :func:`champion_reference` raises
:class:`NoChampionReference` with the reason, and the drift check falls back to a window of the store
(see :mod:`minimarket.monitoring.drift`).

For ``cpi`` the inflation model's residuals come from the champion run's evaluation artifacts
(:func:`champion_cpi_residuals`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from minimarket import tracking
from minimarket.monitoring.features import DATE, dataset_spec

ARTIFACT_DIR = "reference"
"""Folder of the run's artifacts holding the reference frames."""
TAG_PREFIX = "drift_reference."


class NoChampionReference(LookupError):
    """No champion reference is available (the message says why)."""


@dataclass(frozen=True)
class Reference:
    """A reference frame and where it came from."""

    frame: pd.DataFrame
    source: str
    """``"champion"`` (MLflow artifact), ``"store"`` (fallback window) or ``"given"`` (passed by the caller)."""
    description: str
    model_name: str | None = None
    model_version: str | None = None
    run_id: str | None = None


def artifact_name(dataset: str) -> str:
    """``reference/<dataset>.parquet``: where a run keeps the reference of ``dataset``."""
    dataset_spec(dataset)
    return f"{ARTIFACT_DIR}/{dataset}.parquet"


def _store_exists() -> bool:
    """False when the tracking store is a SQLite file that does not exist yet (nothing registered)."""
    uri = tracking.tracking_uri()
    if uri.startswith("sqlite:///"):
        return Path(uri.removeprefix("sqlite:///")).is_file()
    return True


def log_reference(frame: pd.DataFrame, dataset: str, *, run_id: str | None = None) -> str:
    """Log ``frame`` (a feature frame from :mod:`minimarket.monitoring.features`) as the ``dataset``
    reference of the active MLflow run (or of ``run_id``); returns the artifact path in the run."""
    import mlflow

    name = artifact_name(dataset)
    if DATE not in frame.columns:
        raise ValueError(f"a {dataset} reference frame needs a {DATE!r} column (use the feature builders)")
    if frame.empty:
        raise ValueError(f"refusing to log an empty {dataset} reference frame")
    tracking.configure()
    active = mlflow.active_run()
    target = run_id or (active.info.run_id if active is not None else None)
    if target is None:
        raise RuntimeError("log_reference needs an active MLflow run (mlflow.start_run()) or a run_id")
    client = tracking.client()
    dates = pd.to_datetime(frame[DATE])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{dataset}.parquet"
        frame.to_parquet(path, index=False)
        client.log_artifact(target, str(path), artifact_path=ARTIFACT_DIR)
    client.set_tag(target, f"{TAG_PREFIX}{dataset}", f"{len(frame)} rows, {dates.min().date()}..{dates.max().date()}")
    return name


def _champion_run(model_name: str) -> tuple[str, str]:
    """(version, run_id) of ``model_name@champion``."""
    if not _store_exists():
        raise NoChampionReference(f"no MLflow tracking store yet ({tracking.tracking_uri()})")
    version = tracking.alias_version(model_name, tracking.CHAMPION)
    if version is None:
        raise NoChampionReference(f"{model_name} has no version with alias '{tracking.CHAMPION}'")
    run_id = tracking.client().get_model_version(model_name, version).run_id
    if not run_id:
        raise NoChampionReference(f"{model_name} v{version} (champion) is not linked to a run")
    return version, str(run_id)


def _read_artifact(run_id: str, path: str, reader: Callable[[Path], pd.DataFrame]) -> pd.DataFrame | None:
    """``reader(local copy)`` of the run's artifact ``path``, or None when the run has no such file."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    from mlflow.exceptions import MlflowException

    with tempfile.TemporaryDirectory(prefix="mm-ref-") as tmp:
        try:
            local = Path(tracking.client().download_artifacts(run_id, path, tmp))
        except (MlflowException, OSError):
            return None
        return reader(local) if local.is_file() else None


def champion_reference(model_name: str, dataset: str) -> Reference:
    """The ``dataset`` reference frame logged by the run of ``model_name@champion``.

    Raises :class:`NoChampionReference` (with the reason) when there is no champion or no artifact.
    """
    name = artifact_name(dataset)
    version, run_id = _champion_run(model_name)
    frame = _read_artifact(run_id, name, pd.read_parquet)
    if frame is None:
        raise NoChampionReference(f"{model_name} v{version} (champion, run {run_id[:8]}) logged no {name}")
    if DATE in frame.columns:
        frame[DATE] = pd.to_datetime(frame[DATE])
    return Reference(
        frame=frame,
        source="champion",
        description=f"{model_name} v{version} (champion), run {run_id[:8]}, artifact {name}",
        model_name=model_name,
        model_version=version,
        run_id=run_id,
    )


def champion_cpi_forecasts(model_name: str = "inflation-forecaster") -> tuple[pd.Series, str]:
    """The inflation champion's forecast (monthly %) for each target month it has one for.

    Months of its evaluation come from the run's ``evaluation/backtest.csv`` (out-of-sample
    rolling-origin predictions of the production model, 1 month ahead); the months after the data it was
    fitted on come from ``evaluation/forecast.csv`` (its forecast from the last month, 1-6 months ahead).
    Residuals are ``actual − forecast``. Raises :class:`NoChampionReference` when unavailable.
    """
    version, run_id = _champion_run(model_name)
    frame = _read_artifact(run_id, "evaluation/backtest.csv", pd.read_csv)
    if frame is None:
        raise NoChampionReference(f"{model_name} v{version} (champion) logged no evaluation/backtest.csv")
    needed = {"model", "horizon", "target", "pred"}
    if needed - set(frame.columns):
        raise NoChampionReference(f"{model_name} v{version}: backtest.csv lacks {sorted(needed - set(frame.columns))}")
    params: dict[str, Any] = tracking.client().get_run(run_id).data.params
    chosen = frame[frame["horizon"] == 1]
    if params.get("model") in set(chosen["model"]):
        chosen = chosen[chosen["model"] == params["model"]]
    elif chosen["model"].nunique() > 1:
        raise NoChampionReference(f"{model_name} v{version}: cannot tell the production model in backtest.csv")
    forecasts = pd.Series(
        chosen["pred"].to_numpy(dtype=float),
        index=pd.PeriodIndex(chosen["target"].astype(str), freq="M"),
        name="forecast_pct",
    )
    future = _read_artifact(run_id, "evaluation/forecast.csv", pd.read_csv)
    if future is not None and {"month", "pct"} <= set(future.columns):
        extra = pd.Series(
            future["pct"].to_numpy(dtype=float), index=pd.PeriodIndex(future["month"].astype(str), freq="M")
        )
        forecasts = pd.concat([forecasts, extra[~extra.index.isin(forecasts.index)]])
    forecasts = forecasts[~forecasts.index.duplicated(keep="last")].sort_index()
    return forecasts, f"{model_name} v{version} (champion) forecasts, run {run_id[:8]}"
