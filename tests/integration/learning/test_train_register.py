"""A tiny end-to-end run: train on synthetic PDFs → register in a temp MLflow → `extract` uses the champion."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from minimarket import tracking
from minimarket.cli import app
from minimarket.documents.extract import extract, learned_parts
from minimarket.learning import runtime
from minimarket.learning.dataset import load_refs

runner = CliRunner()


@pytest.fixture(autouse=True)
def _fresh_champion_cache() -> None:
    runtime.clear_cache()


def test_train_register_and_extract_with_the_champion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlflow

    from minimarket.config import get_settings

    monkeypatch.setenv("MINIMARKET_GATE_MIN_EVAL_SIZE", "1")  # one test document decides, here only
    get_settings.cache_clear()
    data = tmp_path / "data"
    metrics = tmp_path / "metrics.json"
    assert learned_parts() is None  # no registry yet: rules only
    result = runner.invoke(
        app,
        [
            "train", "extractor", "--n-train", "2", "--n-val", "1", "--n-test", "1", "--kinds", "pdf",
            "--data-dir", str(data), "--metrics", str(metrics), "--workers", "1",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["mlflow"]["version"] == "1" and figures["mlflow"]["decision"]["promoted"]
    assert figures["mlflow"]["decision"]["eval_size"] == 1 and figures["mlflow"]["decision"]["eval_digest"]
    assert json.loads(metrics.read_text())["learned"]["by_kind"]["pdf"]["documents"] == 1
    assert tracking.alias_version("invoice-extractor", tracking.CHAMPION) == "1"

    run = tracking.client().get_run(figures["mlflow"]["run_id"])
    assert "test_learned_pdf_item_f1" in run.data.metrics and "test_rules_pdf_header_accuracy" in run.data.metrics
    assert run.data.params["kinds"] == "pdf"
    artifacts = {a.path for a in tracking.client().list_artifacts(run.info.run_id, "evaluation")}
    assert "evaluation/documents.csv" in artifacts

    # extract() picks the champion up by itself (once per process) and fills catalog SKUs
    document = load_refs(data / "test" / "pdf")[0]
    parts = learned_parts()
    assert parts is not None and learned_parts() is parts
    extracted = extract(document.path)
    truth_skus = [i.sku for i in document.truth.items if i.sku]
    assert [i.sku for i in extracted.items if i.sku] == truth_skus
    monkeypatch.setenv("MINIMARKET_EXTRACTOR", "rules")
    assert all(i.sku is None for i in extract(document.path).items)
    monkeypatch.delenv("MINIMARKET_EXTRACTOR")

    # the registered pyfunc answers the documented input (a path here) with the contract JSON
    model = mlflow.pyfunc.load_model("models:/invoice-extractor@champion")
    out = model.predict(pd.DataFrame({"document": [str(document.path)]}))
    payload = json.loads(out["invoice"].iloc[0])
    assert out["status"].iloc[0] == payload["status"] == extracted.status
    assert payload["total"] == str(document.truth.total)


def test_bad_parameters_are_one_line_errors() -> None:
    result = runner.invoke(app, ["train", "extractor", "--kinds", "fax"])
    assert result.exit_code == 2 and "fax" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["train", "extractor", "--ocr-grid", "psm99-bin0-x1"])
    assert result.exit_code == 2 and "psm" in result.output
