"""``minimarket synth``: the documented command line, run as a user would."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from minimarket.cli import app

runner = CliRunner()


def test_synth_invoices_writes_documents_truth_and_expected(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["synth", "invoices", "--n", "3", "--out", str(out), "--kind", "pdf", "--seed", "1"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    assert summary["documents"] == 3 and summary["kinds"] == {"pdf": 3}
    expected = json.loads((out / "expected.json").read_text())
    assert len(expected) == 3
    for name in expected:
        assert (out / name).is_file() and (out / f"{name[:-4]}.truth.json").is_file()


def test_synth_invoices_rejects_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["synth", "invoices", "--n", "2", "--out", str(tmp_path), "--layout", "nope"])
    assert result.exit_code == 2
    assert "unknown layout 'nope'" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["synth", "invoices", "--n", "0", "--out", str(tmp_path)])
    assert result.exit_code != 0
    file = tmp_path / "file.txt"
    file.write_text("x")
    result = runner.invoke(app, ["synth", "invoices", "--n", "1", "--out", str(file)])
    assert result.exit_code == 2 and "not a folder" in result.output


def test_synth_samples(tmp_path: Path) -> None:
    result = runner.invoke(app, ["synth", "samples", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    expected = json.loads((tmp_path / "expected.json").read_text())
    assert sorted(expected) == ["factura_a.pdf", "factura_c.pdf", "factura_escaneada.pdf", "factura_foto.jpg"]
    assert expected["factura_a.pdf"]["invoice_type"] == "A" and expected["factura_c.pdf"]["afip_code"] == 11
    assert sum(path.stat().st_size for path in tmp_path.iterdir()) < 1_500_000
