"""The invoice-extractor notebook runs end to end with its small default parameters (real kernel, MLflow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minimarket.config import REPO_ROOT

papermill = pytest.importorskip("papermill")


def test_invoice_extractor_notebook_trains_and_registers(tmp_path: Path) -> None:
    metrics = tmp_path / "invoice_extractor.json"
    out = tmp_path / "01_invoice_extractor.ipynb"
    papermill.execute_notebook(
        str(REPO_ROOT / "notebooks" / "01_invoice_extractor.ipynb"),
        str(out),
        parameters={"data_dir": str(tmp_path / "data"), "metrics_path": str(metrics)},
        cwd=str(tmp_path),
        progress_bar=False,
    )
    figures = json.loads(metrics.read_text())
    assert figures["learned"]["by_kind"]["pdf"]["documents"] == 1
    assert set(figures["rules"]["by_kind"]) == {"pdf"}
    from minimarket import tracking

    assert tracking.alias_version("invoice-extractor", tracking.CHAMPION) == "1"
