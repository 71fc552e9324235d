"""`minimarket train figures` writes a glyph model the figure reader loads; bad targets get a clear error."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from minimarket.cli import app
from minimarket.documents.ocr.figures import GlyphModel

runner = CliRunner()


def test_train_figures_writes_a_model_and_prints_its_accuracy(tmp_path: Path) -> None:
    out = tmp_path / "glyphs.npz"
    result = runner.invoke(app, ["train", "figures", "--sheets", "3", "--seed", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["path"] == str(out) and figures["test_accuracy"] > 0.5
    assert "0" in GlyphModel.load(out).classes


def test_train_figures_into_a_missing_folder_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "figures", "--out", str(tmp_path / "nope" / "g.npz")])
    assert result.exit_code == 2
    assert "no existe" in result.output and "Traceback" not in result.output


def test_train_figures_into_a_folder_it_cannot_write_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "glyphs.npz"
    target.mkdir()  # a folder where the file should go: the model cannot be moved into place
    result = runner.invoke(app, ["train", "figures", "--sheets", "1", "--out", str(target)])
    assert result.exit_code == 1
    assert "No se pudo escribir" in result.output and "Traceback" not in result.output
    assert not list(tmp_path.glob("*.partial.npz"))
