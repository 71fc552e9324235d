"""Figures of number columns Tesseract left out or garbled: read again from the page's ink."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace

import numpy as np
import pytest

from minimarket.documents.ocr.figure_cells import CELL_CONF, _a_title, _Cell, reread_figure_cells
from minimarket.documents.ocr.figures import GlyphModel, bundled_model
from minimarket.documents.ocr.tesseract import OcrWord
from minimarket.learning.figure_glyphs import degrade

needs_model = pytest.mark.skipif(bundled_model() is None, reason="no figure model bundled")

DPI = 150
SIZE = 9.0
COLUMNS = {"quantity": 300.0, "unit": 345.0, "price": 420.0, "rate": 470.0, "amount": 550.0}
"""Right edges (points) of the table's right-aligned columns."""


@dataclass(frozen=True)
class Cell:
    text: str
    column: str
    word: OcrWord


def _table(seed: int = 4, rows: int = 12) -> tuple[np.ndarray, list[Cell]]:
    """A degraded picture of an items table (description left-aligned, figures right-aligned in columns)
    and, for each cell, the word Tesseract would read there with the right text."""
    import pypdfium2 as pdfium
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    rng = np.random.default_rng(seed)
    width, height = 595.0, 420.0
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    pdf.setFont("Helvetica", SIZE)
    placed: list[tuple[str, str, float, float, float]] = []  # text, column, left, right, baseline (points)
    titles = {
        "description": "Descripción",
        "quantity": "Cantidad",
        "price": "Precio",
        "rate": "IVA",
        "amount": "Importe",
    }
    y = height - 40
    for column, title in titles.items():
        right = COLUMNS.get(column)
        left = 40.0 if right is None else right - stringWidth(title, "Helvetica", SIZE)
        placed.append((title, "title", left, left + stringWidth(title, "Helvetica", SIZE), y))
    for _ in range(rows):
        y -= SIZE * 2.0
        quantity = int(rng.integers(1, 40))
        price = float(rng.uniform(100, 30000))
        amount = quantity * round(price, 2)
        texts = {
            "description": "Galletitas surtidas x kg",
            "quantity": f"{quantity},000",
            "unit": "bulto",
            "price": f"{price:,.2f}".replace(",", "_").replace(".", ",").replace("_", "."),
            "rate": "21%",
            "amount": f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", "."),
        }
        for column, text in texts.items():
            right = COLUMNS.get(column)
            left = 40.0 if right is None else right - stringWidth(text, "Helvetica", SIZE)
            placed.append((text, column, left, left + stringWidth(text, "Helvetica", SIZE), y))
    for text, _, left, _, baseline in placed:
        pdf.drawString(left, baseline, text)
    pdf.showPage()
    pdf.save()
    document = pdfium.PdfDocument(buffer.getvalue())
    try:
        image = document[0].render(scale=DPI / 72, grayscale=True).to_numpy()
    finally:
        document.close()
    image = np.ascontiguousarray(image if image.ndim == 2 else image[:, :, 0])
    image, scale = degrade(image, np.random.default_rng(seed), DPI)
    k = DPI / 72 * scale
    baselines = sorted({round(b) for *_, b in placed}, reverse=True)
    cells = []
    for text, column, left, right, baseline in placed:
        top, bottom = (height - baseline - 0.75 * SIZE) * k, (height - baseline + 0.2 * SIZE) * k
        line = baselines.index(round(baseline))
        cells.append(
            Cell(
                text, column, OcrWord(text, round(left * k), round(top), round(right * k), round(bottom), 92.0, 1, line)
            )
        )
    return image, cells


def _model() -> GlyphModel:
    model = bundled_model()
    assert model is not None
    return model


def _split_as_letters(word: OcrWord) -> list[OcrWord]:
    """A blurred figure as Tesseract garbles it: two doubtful words of letters ("27.301,46" as "DAN MO")."""
    middle = (word.left + word.right) // 2
    return [replace(word, text="DAN", conf=41.0, right=middle), replace(word, text="MO", conf=30.0, left=middle + 1)]


def _same_figure(read: str, printed: str) -> bool:
    """The same digits and decimals (the reader may lose a thousands dot: "29289,69" is "29.289,69")."""
    return read.replace(".", "") == printed.replace(".", "")


def _overlaps(a: OcrWord, b: OcrWord) -> bool:
    return min(a.right, b.right) > max(a.left, b.left) and min(a.bottom, b.bottom) > max(a.top, b.top)


@needs_model
def test_a_column_tesseract_left_out_is_read_on_its_rows() -> None:
    image, cells = _table()
    prices = [c for c in cells if c.column == "price"]
    given = [c.word for c in cells if c.column != "price"]
    words = reread_figure_cells(image, given, _model())
    assert words[: len(given)] == given  # nothing Tesseract read is touched
    added = words[len(given) :]
    right = 0
    for word in added:
        twin = next((c for c in prices if _overlaps(word, c.word)), None)
        assert twin is not None, f"{word.text} read where no price is"
        assert word.conf == CELL_CONF and (word.block, word.line) == (twin.word.block, twin.word.line)
        right += _same_figure(word.text, twin.text)
    assert len(added) >= 0.9 * len(prices)
    assert right >= 0.7 * len(prices), f"{right} of {len(prices)} prices read right"


@needs_model
def test_figures_tesseract_garbled_are_read_in_place_of_its_words() -> None:
    image, cells = _table()
    amounts = [c for c in cells if c.column == "amount"]
    garbled = {id(c): _split_as_letters(c.word) for c in amounts}
    given = [w for c in cells for w in garbled.get(id(c), [c.word])]
    words = reread_figure_cells(image, given, _model())
    assert not any(w.text in ("DAN", "MO") for w in words)
    read = [w for w in words if w.conf == CELL_CONF]
    right = sum(any(_same_figure(w.text, c.text) and _overlaps(w, c.word) for w in read) for c in amounts)
    assert right >= 0.7 * len(amounts), f"{right} of {len(amounts)} amounts read right"
    assert all(w in words for c in cells if c.column != "amount" for w in [c.word])


@needs_model
def test_titles_rates_descriptions_and_figures_tesseract_read_are_left_as_read() -> None:
    image, cells = _table()
    given = [c.word for c in cells]
    assert reread_figure_cells(image, given, _model()) == given


@needs_model
def test_a_unit_column_read_with_some_doubt_is_left_as_read() -> None:
    """'bulto' at 66 to 72 of confidence in a column of units right-aligned like figures: the figure reader
    would make '0.00' of it."""
    image, cells = _table()
    given = [replace(c.word, conf=66.0) if c.column == "unit" else c.word for c in cells]
    assert reread_figure_cells(image, given, _model()) == given


@needs_model
def test_a_column_of_product_codes_is_left_as_read() -> None:
    """Codes are digit runs of one length, right-aligned like figures: the figure reader would split them with
    a separator ("55956" as "559.56"), even the ones Tesseract read doubtfully."""
    image, cells = _table()
    codes = [c for c in cells if c.column == "quantity"]
    as_codes = {
        id(c): replace(c.word, text=f"5{5900 + n:04d}", conf=40.0 if n % 4 == 0 else 88.0) for n, c in enumerate(codes)
    }
    given = [as_codes.get(id(c), c.word) for c in cells]
    assert reread_figure_cells(image, given, _model()) == given


@needs_model
def test_a_columns_title_read_doubtfully_is_left_as_read() -> None:
    image, cells = _table()
    given = [replace(c.word, conf=38.0) if c.text == "Precio" else c.word for c in cells]
    assert reread_figure_cells(image, given, _model()) == given


def test_a_worded_cell_is_a_title_only_above_every_figure_of_its_column() -> None:
    words = [OcrWord("Precio", 100, 10, 160, 30, 38.0), OcrWord("DAN", 100, 60, 130, 80, 41.0)]
    figures_below = [(160, 60, 80), (160, 90, 110)]
    assert _a_title(_Cell(100, 10, 160, 30, (0,)), words, figures_below)
    assert not _a_title(_Cell(100, 10, 160, 30, (0,)), words, [(160, 0, 8), *figures_below])
    assert not _a_title(_Cell(100, 60, 160, 80, (1,)), words, figures_below[1:])  # a garbled figure, not a word


@needs_model
def test_a_figure_outside_any_column_is_not_taken() -> None:
    image, cells = _table(rows=1)
    given = [c.word for c in cells if c.column != "price"]
    assert reread_figure_cells(image, given, _model()) == given


@needs_model
def test_a_page_with_too_few_words_to_measure_is_left_alone() -> None:
    image, cells = _table()
    few = [c.word for c in cells][:3]
    assert reread_figure_cells(image, few, _model()) == few
    assert reread_figure_cells(np.full((400, 400), 255, np.uint8), [], _model()) == []
