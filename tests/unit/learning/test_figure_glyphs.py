"""Training data and training of the figure reader's glyph model."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from minimarket.documents.ocr import figures
from minimarket.documents.ocr.figures import GARBAGE, GlyphModel
from minimarket.learning.figure_glyphs import figure_model_digest, harvest, random_figure, train_and_save


def test_random_figures_look_like_invoice_figures() -> None:
    rng = np.random.default_rng(1)
    figures = [random_figure(rng) for _ in range(200)]
    assert all(set(f) <= set("0123456789.,") for f in figures)
    assert any("," in f and "." in f for f in figures)


def test_harvest_labels_whole_characters_and_garbage() -> None:
    features, labels = harvest(2, seed=5, keep=1.0, keep_garbage=0.2)
    assert features.shape[0] == labels.shape[0] > 500
    assert set("0123456789.,") <= set(labels)
    assert GARBAGE in set(labels)


def test_a_small_model_trains_and_is_saved_whole(tmp_path: Path) -> None:
    path = tmp_path / "glyphs.npz"
    figures = train_and_save(path, sheets=3, seed=2)
    assert path.is_file() and not list(tmp_path.glob("*.partial.npz"))
    assert figures["test_accuracy"] > 0.6
    assert GARBAGE in GlyphModel.load(path).classes


def test_the_figure_model_in_use_is_identified_by_its_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    assert re.fullmatch(r"[0-9a-f]{12}|none", figure_model_digest())
    monkeypatch.setattr(figures, "MODEL_PATH", Path("/nonexistent/figure_glyphs.npz"))
    assert figure_model_digest() == "none"
