"""``notebooks/04_drift.ipynb`` runs under papermill from its own folder (as nbmake does) with small parameters."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

from minimarket.config import REPO_ROOT

NOTEBOOK = REPO_ROOT / "notebooks" / "04_drift.ipynb"


def test_notebook_is_thin_and_stripped() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [c for c in code if "parameters" in c.metadata.get("tags", [])] == [code[0]]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    assert "from minimarket.monitoring.drift import run_stage" in code[1].source


@pytest.mark.slow
def test_notebook_checks_drift_and_writes_the_stage_outputs(
    sales_store: Callable[..., int], notebook: Callable[..., Any], tmp_path: Path
) -> None:
    sales_store(shift=True)
    executed = notebook(
        "04_drift.ipynb",
        tmp_path,
        dataset="sales",
        store="shop",
        out_dir=str(tmp_path / "drift"),
        metrics_path=str(tmp_path / "metrics" / "drift.json"),
        log_mlflow=False,
    )
    figures = json.loads((tmp_path / "metrics" / "drift.json").read_text())
    assert figures == {"sales": figures["sales"]} and figures["sales"]["drifted"] == 1
    assert len(list((tmp_path / "drift").glob("sales-*.html"))) == 1
    outputs = json.dumps(executed.cells[-1].outputs)
    assert "text/html" in outputs and "evidently" in outputs.lower()
