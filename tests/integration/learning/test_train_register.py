"""A tiny end-to-end run: train on synthetic PDFs → register in a temp MLflow → the doors read with the champion
(from a local copy, without importing MLflow), and see a change of champion made through MLflow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from minimarket import tracking
from minimarket.cli import app
from minimarket.config import get_settings
from minimarket.documents.invoice_reader import InvoiceReader
from minimarket.learning.dataset import load_refs
from minimarket.learning.runtime import champion_version, load_reader

runner = CliRunner()

CLI_PROBE = """
import json, sys
from minimarket.cli import app
try:
    app(sys.argv[1:], prog_name="minimarket")
except SystemExit:
    pass
heavy = {"mlflow", "prophet", "evidently", "dvc", "sklearn"}
print("IMPORTED " + json.dumps(sorted(heavy & {name.split(".")[0] for name in sys.modules})), file=sys.stderr)
"""


def _cli_in_a_new_process(*args: str) -> tuple[list[dict[str, object]], list[str]]:
    """Records printed by ``minimarket ARGS`` run in a fresh interpreter, and the heavy libraries it imported."""
    done = subprocess.run([sys.executable, "-c", CLI_PROBE, *args], capture_output=True, text=True, timeout=300)
    imported = next(line for line in done.stderr.splitlines() if line.startswith("IMPORTED "))
    records = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return records, json.loads(imported.removeprefix("IMPORTED "))


def test_train_register_and_extract_with_the_champion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlflow

    monkeypatch.setenv("MINIMARKET_GATE_MIN_EVAL_SIZE", "1")  # one test document decides, here only
    get_settings.cache_clear()
    settings = get_settings()
    data = tmp_path / "data"
    metrics = tmp_path / "metrics.json"
    assert champion_version(settings) is None and not load_reader(settings).learned  # no registry yet: rules
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

    # the door loads the champion's parts (kept locally when it was promoted) and they fill catalog SKUs
    reader = load_reader(settings)
    assert reader.learned and reader.version == "1" == champion_version(settings)
    document = load_refs(data / "test" / "pdf")[0]
    extracted = reader.extract(document.path)
    truth_skus = [i.sku for i in document.truth.items if i.sku]
    assert [i.sku for i in extracted.items if i.sku] == truth_skus
    assert all(i.sku is None for i in InvoiceReader(settings).extract(document.path).items)

    # the CLI reads with the champion from its local copy, loading neither MLflow nor scikit-learn
    records, imported = _cli_in_a_new_process("extract", str(document.path), "--jsonl")
    assert [i["sku"] for i in records[0]["items"] if i["sku"]] == truth_skus  # type: ignore[union-attr]
    assert imported == [], imported
    records, imported = _cli_in_a_new_process("extract", str(document.path), "--jsonl", "--rules-only")
    assert all(i["sku"] is None for i in records[0]["items"])  # type: ignore[union-attr]
    assert imported == [], imported

    # the registered pyfunc answers the documented input (a path here) with the contract JSON
    model = mlflow.pyfunc.load_model("models:/invoice-extractor@champion")
    out = model.predict(pd.DataFrame({"document": [str(document.path)]}))
    payload = json.loads(out["invoice"].iloc[0])
    assert out["status"].iloc[0] == payload["status"] == extracted.status
    assert payload["total"] == str(document.truth.total)

    # a change of champion made through MLflow is seen by the next door, then the champion comes back
    tracking.client().delete_registered_model_alias("invoice-extractor", tracking.CHAMPION)
    assert champion_version(settings) is None and not load_reader(settings).learned
    tracking.set_alias("invoice-extractor", tracking.CHAMPION, "1")
    assert champion_version(settings) == "1" and load_reader(settings).version == "1"


def test_bad_parameters_are_one_line_errors() -> None:
    result = runner.invoke(app, ["train", "extractor", "--kinds", "fax"])
    assert result.exit_code == 2 and "fax" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["train", "extractor", "--ocr-grid", "psm99-bin0-x1"])
    assert result.exit_code == 2 and "psm" in result.output
