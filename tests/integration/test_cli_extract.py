"""``minimarket extract``: the documented command line, run as a user would (real files, real database)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minimarket.cli import app
from minimarket.config import REPO_ROOT

REAL_INVOICES = REPO_ROOT.parent / "shared" / "data" / "invoices"
runner = CliRunner()

needs_real = pytest.mark.skipif(
    not (REAL_INVOICES / "expected.json").is_file(),
    reason=f"shared development invoices not found at {REAL_INVOICES}",
)


def _records(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Two real invoices, a truncated PDF, and files that are not documents (skipped by content)."""
    if not (REAL_INVOICES / "expected.json").is_file():
        pytest.skip(f"shared development invoices not found at {REAL_INVOICES}")
    out = tmp_path / "facturas"
    (out / "sub").mkdir(parents=True)
    shutil.copy(REAL_INVOICES / "factura128.pdf", out / "a_factura128.pdf")
    shutil.copy(REAL_INVOICES / "factura1475.pdf", out / "sub" / "c_factura1475.pdf")
    data = (REAL_INVOICES / "factura1360.pdf").read_bytes()
    (out / "b_cortado.pdf").write_bytes(data[: len(data) // 3])
    (out / "notas.txt").write_text("no es una factura")
    (out / "expected.json").write_text("{}")
    return out


def test_folder_with_a_bad_file_jsonl_and_exit_code(folder: Path) -> None:
    result = runner.invoke(app, ["extract", str(folder), "--jsonl", "--no-progress"])
    assert result.exit_code == 1, result.output  # one document was rejected
    records = _records(result.stdout)
    assert len(result.stdout.strip().splitlines()) == 3  # one line per document, nothing else on stdout
    assert [Path(str(r["source_file"])).name for r in records] == [
        "a_factura128.pdf",
        "b_cortado.pdf",
        "c_factura1475.pdf",
    ]
    assert [r["status"] for r in records] == ["accepted", "rejected", "accepted"]
    assert records[1]["error"]["code"] == "corrupt_file"  # type: ignore[index]
    assert records[0]["total"] == "178000.00" and records[2]["number"] == 1475
    assert "3 documento(s): 2 aceptado(s), 0 para revisar, 1 rechazado(s)" in result.stderr
    assert "Traceback" not in result.output


def test_parallel_workers_give_the_same_records(folder: Path) -> None:
    serial = runner.invoke(app, ["extract", str(folder), "--jsonl", "--no-progress"])
    parallel = runner.invoke(app, ["extract", str(folder), "--jsonl", "--workers", "2"])
    assert parallel.exit_code == serial.exit_code == 1
    assert _records(parallel.stdout) == _records(serial.stdout)


@needs_real
def test_single_document_pretty_json_exit_zero() -> None:
    result = runner.invoke(app, ["extract", str(REAL_INVOICES / "facturamy.pdf"), "--pretty"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("{\n  ")
    record = json.loads(result.stdout)
    assert record["afip_code"] == 201 and record["total"] == "594636.99" and len(record["items"]) == 10
    assert record["status"] == "accepted"
    assert result.stderr == ""  # no progress bar or summary for a single document


@needs_real
def test_output_to_a_program_is_one_json_per_line_by_default() -> None:
    """DESIGN's contract: piped output (not a terminal, as here) is one extracted-invoice JSON per line."""
    files = [str(REAL_INVOICES / "facturamy.pdf"), str(REAL_INVOICES / "factura128.pdf")]
    result = runner.invoke(app, ["extract", *files, "--no-progress"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and [json.loads(line)["source_file"] for line in lines] == files


@needs_real
def test_save_stores_once_and_reports_duplicates(tmp_path: Path) -> None:
    copy = tmp_path / "otra_copia.pdf"
    shutil.copy(REAL_INVOICES / "factura128.pdf", copy)
    args = ["extract", str(REAL_INVOICES / "factura128.pdf"), str(copy), "--jsonl", "--save", "--no-progress"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    saved = [r["saved"] for r in _records(first.stdout)]
    assert saved[0]["created"] is True  # type: ignore[index]
    assert saved[1]["created"] is False and saved[1]["duplicate_of"] == "sha256"  # type: ignore[index]
    assert "guardados 1, duplicados 1" in first.stderr
    again = runner.invoke(app, args)
    assert [r["saved"]["created"] for r in _records(again.stdout)] == [False, False]  # type: ignore[index]


def test_save_skips_rejected_documents(tmp_path: Path) -> None:
    bad = tmp_path / "vacio.pdf"
    bad.write_bytes(b"")
    result = runner.invoke(app, ["extract", str(bad), "--jsonl", "--save"])
    assert result.exit_code == 1
    (record,) = _records(result.stdout)
    assert record["status"] == "rejected" and "saved" not in record


def test_usage_errors_exit_two(tmp_path: Path) -> None:
    empty = tmp_path / "vacia"
    empty.mkdir()
    (empty / "leeme.txt").write_text("nada")
    result = runner.invoke(app, ["extract", str(empty)])
    assert result.exit_code == 2
    assert "no hay documentos para leer" in result.stderr and "Traceback" not in result.output
    result = runner.invoke(app, ["extract", str(empty), "--workers", "0"])
    assert result.exit_code == 2


def test_help_lists_the_options() -> None:
    result = runner.invoke(app, ["extract", "--help"])
    assert result.exit_code == 0
    for option in ("--jsonl", "--workers", "--save"):
        assert option in result.stdout
