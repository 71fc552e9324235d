"""The invoice-extractor notebook run by hand: a report (figures inline, tables, the gate's sentence) whose files go
to its scratch folder and whose model is logged to a scratch experiment, never registered nor promoted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def test_invoice_extractor_notebook_by_hand_is_a_scratch_report(notebook: Any, tmp_path: Path) -> None:
    import mlflow

    from minimarket import tracking
    from minimarket.config import get_settings

    executed = notebook(
        "01_invoice_extractor.ipynb", tmp_path, n_train=2, n_val=1, n_test=1, kinds="pdf", ocr_grid="default",
        workers=1,
    )  # fmt: skip
    scratch = get_settings().state_dir / "scratch" / "01_invoice_extractor"
    figures = json.loads((scratch / "reports" / "metrics" / "invoice_extractor.json").read_text())
    assert figures["learned"]["by_kind"]["pdf"]["documents"] == 1 and set(figures["rules"]["by_kind"]) == {"pdf"}
    assert (scratch / "data" / "generated" / "extractor" / "test" / "pdf").is_dir()
    assert tracking.list_models() == []  # nothing registered, no champion moved
    experiment = mlflow.get_experiment_by_name("scratch-invoice-extractor")
    assert experiment is not None and mlflow.search_runs([experiment.experiment_id]).shape[0] == 1
    outputs = [json.dumps(cell.get("outputs", [])) for cell in executed.cells if cell.cell_type == "code"]
    assert sum('"image/png"' in out for out in outputs) >= 2  # rules vs learned, field accuracy
    assert any("not registered" in out and "promote=True" in out for out in outputs)
    assert any("text/html" in out and "item_f1" in out for out in outputs)  # the table of readers per kind
