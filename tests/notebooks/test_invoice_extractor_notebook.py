"""The invoice-extractor notebook runs end to end with its small default parameters (real kernel, MLflow)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def test_invoice_extractor_notebook_trains_and_registers(notebook: Any, tmp_path: Path) -> None:
    metrics = tmp_path / "invoice_extractor.json"
    notebook("01_invoice_extractor.ipynb", tmp_path, data_dir=str(tmp_path / "data"), metrics_path=str(metrics))
    figures = json.loads(metrics.read_text())
    assert figures["learned"]["by_kind"]["pdf"]["documents"] == 1
    assert set(figures["rules"]["by_kind"]) == {"pdf"}
    from minimarket import tracking

    assert tracking.alias_version("invoice-extractor", tracking.CHAMPION) == "1"
