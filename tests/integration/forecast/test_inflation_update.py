"""The monthly CPI update end to end: temp SQLite store, temp MLflow registry, real models."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minimarket import tracking
from minimarket.cli import app
from minimarket.config import get_settings

runner = CliRunner()
# Small, real settings: the gate's backtest over the last months only, intervals calibrated on 12 origins.
CHEAP = ["--calibration-months", "12"]
FAST = ["--eval-start", "2026-03", *CHEAP]


@pytest.fixture(scope="module")
def mlflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty MLflow SQLite store, created once: building the schema takes MLflow ~10 s per file."""
    from mlflow import MlflowClient

    db = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{db}").search_experiments()
    return db


@pytest.fixture(autouse=True)
def fresh_mlflow(isolated_state: Path, mlflow_template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test still gets its own store (a copy of the empty template, where the conftest points); the
    gate may decide on these short windows (7 months)."""
    shutil.copy(mlflow_template, isolated_state / "mlflow.db")
    monkeypatch.setenv("MINIMARKET_GATE_MIN_EVAL_SIZE", "3")
    get_settings.cache_clear()


def _update(*args: str):
    return runner.invoke(app, ["inflation", "update", *args])


def test_guard_record_refit_and_gate() -> None:
    refused = _update("--month", "2026-09", "--pct", "12", "--no-refit", *CHEAP)
    assert refused.exit_code == 1
    assert "fuera del rango plausible" in refused.output and "--force --reason" in refused.output

    gap = _update("--month", "2026-11", "--pct", "2", "--no-refit", *CHEAP)
    assert gap.exit_code == 1 and "no es el mes siguiente" in gap.output

    first = _update("--month", "2026-09", "--pct", "2.0", "--source", "INDEC", "--author", "ana", *FAST)
    assert first.exit_code == 0, first.output
    payload = json.loads(first.stdout)
    assert payload["model_version"] == "1" and payload["promoted"] is True
    assert payload["guard"]["ok"] and payload["forecast"][0]["month"] == "2026-10"
    assert tracking.alias_version("inflation-forecaster", "champion") == "1"

    again = _update("--month", "2026-09", "--pct", "2.1", "--no-refit", *CHEAP)
    assert again.exit_code == 1 and "ya tiene un valor" in again.output

    no_reason = _update("--month", "2026-09", "--pct", "2.1", "--force", "--no-refit", *CHEAP)
    assert no_reason.exit_code == 1 and "--reason" in no_reason.output

    revised = _update(
        "--month", "2026-09", "--pct", "2.1", "--force", "--reason", "INDEC revisó el dato", "--author", "beto", *FAST
    )
    assert revised.exit_code == 0, revised.output
    payload = json.loads(revised.stdout)
    assert payload["revision"] and payload["forced"] and payload["model_version"] == "2"
    assert "refit on data through 2026-09" in payload["gate_reason"]  # a revised figure refreshes the champion
    assert tracking.alias_version("inflation-forecaster", "champion") == "2"
    assert tracking.alias_version("inflation-forecaster", "challenger") == "2"

    history = json.loads(runner.invoke(app, ["inflation", "history", "--month", "2026-09"]).stdout)
    assert [(h["pct"], h["author"], h["forced"]) for h in history] == [
        ("2.0000", "ana", False),
        ("2.1000", "beto", True),
    ]
    assert history[1]["reason"] == "INDEC revisó el dato" and history[0]["source"] == "INDEC"

    hard = _update("--month", "2026-10", "--pct", "210", "--force", "--reason", "x", "--no-refit", *CHEAP)
    assert hard.exit_code == 1 and "límites absolutos" in hard.output


def test_gate_keeps_a_better_champion_and_refreshes_on_newer_data() -> None:
    from minimarket.forecast.inflation import InflationData
    from minimarket.forecast.inflation_mlflow import MODEL_NAME, evaluation_set, train_and_register

    data = InflationData.bundled().truncate("2025-12")
    outcome = train_and_register(data, eval_start="2025-09", calibration_months=12)
    assert outcome.decision is not None and outcome.decision.promoted
    second = tracking.register(f"models:/{MODEL_NAME}/{outcome.version}", MODEL_NAME)
    real = evaluation_set(data, "2025-09")
    rigged = tracking.EvaluationSet(
        real.description, real.size, real.digest, lambda uri: 0.9 if uri.endswith(f"/{second}") else 0.5
    )
    decision = tracking.promotion_gate(MODEL_NAME, second, policy=tracking.GatePolicy("mae_1m_pp"), evaluation=rigged)
    assert not decision.promoted and decision.champion_value == pytest.approx(0.5)
    assert tracking.alias_version(MODEL_NAME, "champion") == outcome.version
    assert tracking.alias_version(MODEL_NAME, "challenger") == second
    tags = tracking.client().get_model_version(MODEL_NAME, second).tags
    assert tags["gate_promoted"] == "false" and "worse than" in tags["gate_reason"]
    assert tags["gate_eval_digest"] == real.digest and tags["gate_eval_size"] == "4"

    same = train_and_register(data, eval_start="2025-09", calibration_months=12)  # same data: a tie keeps v1
    assert same.decision is not None and not same.decision.promoted and "tie keeps" in same.decision.reason
    newer = train_and_register(InflationData.bundled().truncate("2026-01"), eval_start="2025-09", calibration_months=12)
    assert newer.decision is not None and newer.decision.promoted and "through 2026-01" in newer.decision.reason


def test_inflation_backtest_cli_shape() -> None:
    result = runner.invoke(
        app, ["inflation", "backtest", "--json", "--start", "2026-01", "--models", "naive_last_month,ar,ets"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload["models"]) == {"naive_last_month", "ar", "ets"}
    assert set(payload["models"]["naive_last_month"]) == {"1", "3", "6"}
    assert payload["models"]["naive_last_month"]["1"]["mae_pp"] >= 0
