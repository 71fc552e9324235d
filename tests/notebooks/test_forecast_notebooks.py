"""The forecasting notebooks run end to end with small papermill parameters (real kernel)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest


def _run(notebook: Any, name: str, tmp_path: Path, **parameters: object) -> Path:
    out = tmp_path / name
    nbformat.write(notebook(name, tmp_path, **parameters), out)
    return out


def test_inflation_notebook_promotes_only_when_asked(
    notebook: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from minimarket import tracking
    from minimarket.config import get_settings

    monkeypatch.setenv("MINIMARKET_GATE_MIN_EVAL_SIZE", "3")
    get_settings.cache_clear()
    out = _run(
        notebook, "02_inflation.ipynb", tmp_path, backtest_start="2026-04", eval_start="2026-04",
        models="naive_last_month,seasonal_drift", calibration_months=6, promote=True,
    )  # fmt: skip
    metrics = get_settings().state_dir / "scratch" / "02_inflation" / "reports" / "metrics" / "inflation.json"
    assert "naive_last_month" in json.loads(metrics.read_text())["models"]
    text = out.read_text()
    assert text.count('"image/png"') >= 2 and "MAE 1 m (pp)" in text  # error-by-horizon and backtest figures, table
    assert "became `champion`" in text and "evaluation set" in text
    assert tracking.alias_version("inflation-forecaster", tracking.CHAMPION) == "1"


def test_demand_notebook(notebook: Any, tmp_path: Path) -> None:
    metrics = tmp_path / "demand.json"
    _run(
        notebook,
        "03_demand.ipynb", tmp_path, sales_csv="", days=120, n_skus=10, horizon=7, folds=1, inner_folds=1,
        models="seasonal_naive,moving_average,croston_sba", compare="seasonal_naive", metrics_path=str(metrics),
    )  # fmt: skip
    figures = json.loads(metrics.read_text())
    assert figures["horizon"] == 7 and "seasonal_naive" in figures["models"]
    assert figures["served"]["selection"] and 0 < figures["served"]["holdout"]["coverage_p10_p90_holdout"] <= 1


def test_monthly_update_notebook_without_figure_is_a_noop(notebook: Any, tmp_path: Path) -> None:
    out = _run(notebook, "monthly_inflation_update.ipynb", tmp_path)
    assert "skipped" in out.read_text() and "scratch" in out.read_text()
