"""Reference data from the champion's MLflow run (real SQLite tracking store), and the fallbacks."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from minimarket import tracking
from minimarket.config import get_settings
from minimarket.monitoring import sources
from minimarket.monitoring.drift import check_datasets, check_drift, log_to_mlflow
from minimarket.monitoring.reference import (
    NoChampionReference,
    champion_cpi_forecasts,
    champion_reference,
    log_reference,
)
from minimarket.store.db import session_scope

from .conftest import SALES_DAYS, SALES_END, shifted_sales


@pytest.fixture(scope="module")
def mlflow_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One tracking store for the module (creating MLflow's SQLite schema takes seconds)."""
    return tmp_path_factory.mktemp("mlflow")


@pytest.fixture
def shared_mlflow(mlflow_dir: Path, isolated_state: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    uri = f"sqlite:///{mlflow_dir / 'mlflow.db'}"
    monkeypatch.setenv("MINIMARKET_MLFLOW_URI", uri)
    get_settings.cache_clear()
    tracking.set_experiment("drift-tests")
    yield uri
    get_settings.cache_clear()


def _register_champion(name: str, run_id: str) -> str:
    client = tracking.client()
    if not client.search_registered_models(f"name='{name}'"):
        client.create_registered_model(name)
    run = client.get_run(run_id)
    version = client.create_model_version(name, source=f"{run.info.artifact_uri}/reference", run_id=run_id)
    tracking.set_alias(name, tracking.CHAMPION, str(version.version))
    return str(version.version)


def test_champion_reference_is_used_without_the_current_window(
    shared_mlflow: str, sales_store: Callable[..., int], tmp_path: Path
) -> None:
    sales_store(shift=False)
    first = SALES_END - dt.timedelta(days=SALES_DAYS - 1)
    training = sources.training_features("sales", shifted_sales(False))  # what a training run logs
    with session_scope() as session:
        stored = sources.sales(session, first, SALES_END)  # what the check builds from the store
    pd.testing.assert_frame_equal(training, stored, check_dtype=False, check_like=True)
    with mlflow.start_run() as run:
        assert log_reference(training, "sales") == "reference/sales.parquet"
    version = _register_champion("demand-forecaster", run.info.run_id)
    tags = tracking.client().get_run(run.info.run_id).data.tags
    assert tags["drift_reference.sales"].startswith(f"{SALES_DAYS} rows")

    reference = champion_reference("demand-forecaster", "sales")
    assert reference.source == "champion" and reference.model_version == version and len(reference.frame) == SALES_DAYS
    pd.testing.assert_frame_equal(reference.frame, training, check_dtype=False)

    result = check_drift("sales", out_dir=tmp_path)
    assert result.reference_source == "champion" and result.fallback_reason is None
    assert result.n_reference == SALES_DAYS - 28 and not result.drifted
    assert any("28 reference rows inside the current window were left out" in n for n in result.notes)

    # a newer champion that logged no reference: the check falls back to the store and says why
    with mlflow.start_run() as bare:
        mlflow.log_param("note", "no reference")
    _register_champion("demand-forecaster", bare.info.run_id)
    with pytest.raises(NoChampionReference, match=r"logged no reference/sales\.parquet"):
        champion_reference("demand-forecaster", "sales")
    fallback = check_drift("sales", out_dir=tmp_path)
    assert fallback.reference_source == "store" and "logged no reference/sales.parquet" in (
        fallback.fallback_reason or ""
    )


def test_cpi_residuals_come_from_the_champion_evaluation(shared_mlflow: str, tmp_path: Path) -> None:
    from minimarket.forecast.inflation import InflationData, make_models, rolling_backtest

    data = InflationData.bundled()
    backtest = rolling_backtest(data, make_models(["naive_last_month"]), horizons=(1, 3), start="2021-01")
    with mlflow.start_run() as run, tempfile.TemporaryDirectory() as tmp:
        # the layout minimarket.forecast.inflation_mlflow logs: params.model, evaluation/{backtest,forecast}.csv
        mlflow.log_param("model", "naive_last_month")
        backtest.predictions.astype({"origin": str, "target": str}).to_csv(Path(tmp) / "backtest.csv", index=False)
        pd.DataFrame({"month": ["2026-09", "2026-10"], "horizon": [1, 2], "pct": [2.0, 2.1]}).to_csv(
            Path(tmp) / "forecast.csv", index=False
        )
        mlflow.log_artifacts(tmp, artifact_path="evaluation")
    _register_champion("inflation-forecaster", run.info.run_id)

    forecasts, described = champion_cpi_forecasts()
    assert "inflation-forecaster" in described and forecasts.index.is_monotonic_increasing
    august = pd.Period("2026-08", freq="M")
    assert forecasts[august] == pytest.approx(float(data.headline[august - 1]))  # naive: last month's figure
    assert forecasts[pd.Period("2026-10", freq="M")] == pytest.approx(2.1)

    result = check_drift("cpi", out_dir=tmp_path, persist=False)
    assert "residual_pp" in {c.column for c in result.columns}
    assert any("residuals against inflation-forecaster" in n for n in result.notes)

    summary = check_datasets(["cpi"], out_dir=tmp_path, persist=False)
    run_id = log_to_mlflow(summary, params={"window_days": 365})
    logged = tracking.client().get_run(run_id)
    assert logged.data.metrics["drift_share_cpi"] == pytest.approx(summary.results[0].drift_share)
    names = {a.path for a in tracking.client().list_artifacts(run_id, "drift/cpi")}
    assert any(p.endswith(".html") for p in names) and any(p.endswith(".json") for p in names)


def test_log_reference_needs_a_run_and_data(shared_mlflow: str) -> None:
    frame = pd.DataFrame({"date": pd.date_range("2026-01-01", periods=3), "pct": [1.0, 2.0, 3.0]})
    with pytest.raises(RuntimeError, match="active MLflow run"):
        log_reference(frame, "cpi")
    with pytest.raises(ValueError, match="empty"):
        log_reference(frame.head(0), "cpi")
    with pytest.raises(ValueError, match="'date' column"):
        log_reference(frame.drop(columns="date"), "cpi")
    with pytest.raises(ValueError, match="unknown dataset"):
        log_reference(frame, "stock")
    with pytest.raises(NoChampionReference, match="invoice-extractor has no version with alias 'champion'"):
        champion_reference("invoice-extractor", "invoices")
