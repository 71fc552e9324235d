"""Start-up of the command line: what a fresh interpreter imports for `minimarket --help` and for reading one
text PDF (the import set, not the time: benchmarks/startup.py measures the time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = {"mlflow", "prophet", "evidently", "dvc", "sklearn"}

PROBE = """
import json, sys
from minimarket.cli import app
try:
    app(sys.argv[1:], prog_name="minimarket")
except SystemExit:
    pass
sys.stdout.flush()
print("IMPORTED " + json.dumps(sorted({name.split(".")[0] for name in sys.modules})), file=sys.stderr)
"""


def imported_by(*args: str) -> tuple[set[str], str]:
    """Top-level packages imported by ``minimarket ARGS`` in a fresh interpreter, and what it printed."""
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=300)
    line = next(line for line in done.stderr.splitlines() if line.startswith("IMPORTED "))
    return set(json.loads(line.removeprefix("IMPORTED "))), done.stdout


@pytest.fixture(scope="module")
def text_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from minimarket.catalog import bundled_catalog
    from minimarket.synth.invoices import SampleOptions, make_document

    document = make_document(bundled_catalog(), 17, 0, "pdf", options=SampleOptions(max_items=4))
    path = tmp_path_factory.mktemp("pdf") / document.name
    path.write_bytes(document.data)
    return path


def test_help_loads_neither_models_nor_settings() -> None:
    modules, stdout = imported_by("--help")
    assert "extract" in stdout and "train" in stdout
    assert not modules & (HEAVY | {"numpy", "pandas", "pydantic_settings", "rich"}), sorted(modules)


def test_reading_a_text_pdf_loads_no_model_library(text_pdf: Path) -> None:
    modules, stdout = imported_by("extract", str(text_pdf), "--jsonl")  # no champion registered here
    assert json.loads(stdout)["status"] == "accepted"
    assert not modules & (HEAVY | {"pandas"}), sorted(modules & (HEAVY | {"pandas"}))


def test_store_commands_load_no_model_library() -> None:
    subprocess.run([sys.executable, "-m", "minimarket.cli", "db", "upgrade"], check=True, capture_output=True)
    for command in (["invoices", "list"], ["stock", "levels"], ["stock", "alerts", "--json"]):
        modules, _ = imported_by(*command)
        assert not modules & (HEAVY | {"pandas"}), (command, sorted(modules & (HEAVY | {"pandas"})))
