"""`05_evaluate.ipynb`: the served extraction on a held-out split, champions reported (or their absence)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from minimarket.learning.dataset import generate_corpus
from minimarket.synth.sales import simulate_sales


def test_evaluate_notebook_without_forecast_champions(notebook: Any, tmp_path: Path) -> None:
    folders = generate_corpus(tmp_path / "corpus", {"test": 2}, ["pdf"], seed=3)
    sales = tmp_path / "sales.csv"
    simulate_sales(days=60, n_skus=4).sales.to_csv(sales, index=False)
    metrics, plots = tmp_path / "evaluate.json", tmp_path / "plots"
    executed = notebook(
        "05_evaluate.ipynb",
        tmp_path,
        test_root=str(folders["test"]["pdf"].parent),
        sales_csv=str(sales),
        workers=1,
        metrics_path=str(metrics),
        plots_dir=str(plots),
    )
    figures = json.loads(metrics.read_text())
    extractor = figures["invoice-extractor"]
    assert extractor["champion"] is None  # rules only: nothing registered in this test's MLflow
    assert extractor["overall"]["documents"] == 2 and extractor["by_kind"]["pdf"]["header_accuracy"] == 1.0
    assert (
        figures["inflation-forecaster"]["skipped"]
        == figures["demand-forecaster"]["skipped"]
        == "no champion registered"
    )
    table = (plots / "extractor_field_accuracy.csv").read_text().splitlines()
    assert table[0] == "label,kind,field_name,accuracy" and any(line.startswith("total · pdf,pdf,total,") for line in table)
    outputs = json.dumps([cell.get("outputs", []) for cell in executed.cells if cell.cell_type == "code"])
    assert outputs.count('"image/png"') == 1 and "No inflation champion is registered" in outputs
