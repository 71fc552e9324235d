"""The figure reader: rendered, blurred, enlarged figures read back; words it must leave alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from minimarket.documents.ocr.figures import (
    AMOUNT_CHARS,
    FIGURE_ALTERNATIVES,
    GARBAGE,
    KEY_WORD,
    GlyphModel,
    _band_of,
    _inked_pieces,
    _line_bands,
    box_crop,
    bundled_model,
    candidate_pieces,
    is_blank,
    read_word,
    read_word_alternatives,
    second_readings,
    word_image,
)
from minimarket.documents.ocr.tesseract import OcrWord
from minimarket.learning.figure_glyphs import RenderedWord, degrade, render_sheet, word_crop

needs_model = pytest.mark.skipif(bundled_model() is None, reason="no figure model bundled")


def rendered_words(font: str, dpi: float, seed: int = 3) -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    image, words = render_sheet(rng, font, 9.0, dpi)
    image, scale = degrade(image, rng, dpi)
    return [(word.text, word_crop(image, word, scale, rng)[0]) for word in words[:60]]


@needs_model
@pytest.mark.parametrize("font", ["Helvetica", "Times-Roman", "Courier"])
def test_blurred_low_resolution_figures_read_back(font: str) -> None:
    model = bundled_model()
    assert model is not None
    words = rendered_words(font, 110)
    right = 0
    for text, crop in words:
        reading = read_word(crop, model, None if KEY_WORD.match(text) else AMOUNT_CHARS)
        right += reading is not None and reading.text == text
    assert right >= 0.7 * len(words), f"{right} of {len(words)} figures read right in {font}"


def test_the_pieces_with_ink_are_those_is_blank_rejects() -> None:
    seen = []
    for _, crop in rendered_words("Courier", 110)[:20]:
        word = word_image(crop)
        assert word is not None
        pieces = candidate_pieces(word)
        expected = [not is_blank(word, word.cuts[i], word.cuts[j]) for i, j in pieces]
        assert _inked_pieces(word, pieces) == expected
        seen += expected
    assert any(seen) and not all(seen)  # characters, and paper between them


@needs_model
def test_the_readers_alternatives_are_distinct_likeliest_first_and_often_hold_what_it_misread() -> None:
    model = bundled_model()
    assert model is not None
    words = [(t, c) for t, c in rendered_words("Times-Roman", 70, seed=5) if not KEY_WORD.match(t)]
    first_right = among_right = 0
    for text, crop in words:
        readings = read_word_alternatives(crop, model, AMOUNT_CHARS, count=3)
        first = read_word(crop, model, AMOUNT_CHARS)
        assert first is not None and readings[0].text == first.text
        assert len({r.text for r in readings}) == len(readings) <= 3
        first_right += first.text == text
        among_right += text in {r.text for r in readings}
    assert among_right >= first_right + 5, (first_right, among_right)  # 41 → 51 of 55 when written


@needs_model
def test_a_header_key_gets_only_the_readers_best_reading() -> None:
    """A CAE-like run of digits the reader reads as Tesseract did gets no other reading: its less likely
    ones would make a valid key by chance."""
    model = bundled_model()
    assert model is not None
    keys = [(t, c) for t, c in rendered_words("Helvetica", 150) if KEY_WORD.match(t) and t.isdigit()]
    text, crop = next((t, c) for t, c in keys if (r := read_word(c, model)) is not None and r.text == t)
    h, w = crop.shape
    page = np.full((h + 40, w + 40), 255, np.uint8)
    page[20 : 20 + h, 20 : 20 + w] = crop
    readings = second_readings(page, [OcrWord(text, 20, 20, 20 + w, 20 + h, 90, line=1)])
    assert readings == [()]


@needs_model
def test_a_blank_crop_reads_nothing() -> None:
    model = bundled_model()
    assert model is not None
    assert read_word(np.full((30, 80), 235, np.uint8), model) is None
    assert word_image(np.zeros((0, 0), np.uint8)) is None


@needs_model
def test_second_readings_are_given_only_for_figure_words_that_read_differently() -> None:
    text, crop = rendered_words("Helvetica", 150)[0]
    h, w = crop.shape
    page = np.full((h + 40, w + 200), 255, np.uint8)
    page[20 : 20 + h, 20 : 20 + w] = crop
    boxes = [
        OcrWord("9" * len(text), 20, 20, 20 + w, 20 + h, 90, line=1),  # misread: the reader gives its reading
        OcrWord(text, 20, 20, 20 + w, 20 + h, 90, line=1),  # read the same: nothing
        OcrWord("2", 20, 20, 20 + w, 20 + h, 90, line=1),  # a third figure: the line could add up
        OcrWord("TOTAL", 20, 20, 20 + w, 20 + h, 90, line=1),  # not a figure
        OcrWord("12,5%", 20, 20, 20 + w, 20 + h, 90, line=1),  # a percentage: not read again
        OcrWord("9" * len(text), 20, 20, 20 + w, 20 + h, 90, line=2),  # alone on its line: not read again
    ]
    readings = second_readings(page, boxes)
    assert readings[0][0] == text and len(readings[0]) <= FIGURE_ALTERNATIVES
    assert text not in readings[1] and readings[3:] == [(), (), ()]


def test_a_glyph_model_round_trips_through_its_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    model = GlyphModel(
        rng.normal(size=(486, 8)).astype(np.float32),
        rng.normal(size=8).astype(np.float32),
        rng.normal(size=(8, 3)).astype(np.float32),
        rng.normal(size=3).astype(np.float32),
        ("1", "2", GARBAGE),
    )
    model.save(tmp_path / "m.npz")
    loaded = GlyphModel.load(tmp_path / "m.npz")
    features = rng.normal(size=(5, 486)).astype(np.float32)
    assert loaded.classes == model.classes
    np.testing.assert_allclose(loaded.predict_proba(features), model.predict_proba(features), rtol=1e-5)
    np.testing.assert_allclose(loaded.predict_proba(features).sum(axis=1), 1.0, rtol=1e-5)


def test_a_second_reading_that_loses_the_decimals_is_not_offered() -> None:
    from minimarket.documents.ocr.figures import _plausible_alternative

    assert _plausible_alternative("47.127,89", "47.127,69")
    assert not _plausible_alternative("47.127,69", "4712769")  # a row would add up 100 times too big
    assert _plausible_alternative("4712769", "47.127,69")  # the reader saw separators Tesseract lost
    assert not _plausible_alternative("1.234,56", "1.234,56")
    assert not _plausible_alternative("1.234,56", ",.")


@needs_model
def test_an_amount_is_read_with_digits_and_separators_only() -> None:
    model = bundled_model()
    assert model is not None
    for text, crop in rendered_words("Times-Roman", 110, seed=9)[:20]:
        reading = read_word(crop, model, "0123456789.,")
        assert reading is None or set(reading.text) <= set("0123456789.,"), (text, reading)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("30-53464097-4", True),
        ("14/02/2023", True),
        ("0004-00012345", True),
        ("75356160371661", True),
        ("1.234,56", False),
        ("12/5", False),
        ("CUIT", False),
    ],
)
def test_header_keys_are_read_again_wherever_they_are(text: str, key: bool) -> None:
    assert bool(KEY_WORD.match(text)) is key


def test_a_line_that_already_adds_up_and_valid_keys_are_not_read_again() -> None:
    from minimarket.documents.ocr.figures import _adds_up, _valid_key

    assert _adds_up(["2", "1.634,56", "3.269,12"])
    assert _adds_up(["6", "3578.94", "21473.64"])  # either number format
    assert not _adds_up(["2", "1.634,56", "3.209,12"])
    assert _valid_key("30-53464097-4") and _valid_key("14/02/2023")
    assert not _valid_key("30-53464097-9") and not _valid_key("75356160371661")


@pytest.mark.parametrize(
    ("first", "digits", "expected"),
    [
        ("24/01/4040", "24012026", "24/01/2026"),
        ("30-39660071-8", "30396609718", "30-39660971-8"),
        ("30-3966007-8", "30396609718", "30396609718"),  # not as many digits: as read
        ("0008-00014435", "00080001443", "00080001443"),
    ],
)
def test_a_key_read_again_keeps_the_first_readings_separators(first: str, digits: str, expected: str) -> None:
    from minimarket.documents.ocr.figures import in_shape_of

    assert in_shape_of(first, digits) == expected


def test_subnormal_weights_are_flushed_on_save_and_load(tmp_path: Path) -> None:
    """Subnormal weights (worth nothing to a score) slow a float32 matrix product some 40 times on x86."""
    tiny = np.finfo(np.float32).tiny
    weights = np.array([[tiny / 4, 0.5], [-tiny / 8, -0.25]], np.float32)
    model = GlyphModel(weights, np.zeros(2, np.float32), weights.copy(), np.zeros(2, np.float32), ("0", "1"))
    path = tmp_path / "model.npz"
    model.save(path)
    with np.load(path) as saved:
        assert saved["w_hidden"].tolist() == [[0.0, 0.5], [0.0, -0.25]]
    loaded = GlyphModel.load(path)
    assert loaded.w_hidden.dtype == np.float32
    assert loaded.w_out.tolist() == [[0.0, 0.5], [0.0, -0.25]]


@needs_model
def test_the_bundled_model_has_no_subnormal_weights() -> None:
    model = bundled_model()
    assert model is not None
    tiny = np.finfo(np.float32).tiny
    for weights in (model.w_hidden, model.b_hidden, model.w_out, model.b_out):
        assert not ((weights != 0) & (np.abs(weights) < tiny)).any()


def _tesseract_box(word: RenderedWord, scale: float, line: int, reach: float = 0.0) -> OcrWord:
    """The box Tesseract gives a rendered word, its top ``reach`` em higher (into the line above)."""
    em = word.em * scale
    top, bottom = round(word.baseline * scale - (0.75 + reach) * em), round(word.baseline * scale + 0.2 * em)
    return OcrWord(word.text, round(word.left * scale), top, round(word.right * scale), bottom, 80.0, 1, line)


@needs_model
def test_a_box_reaching_into_the_line_above_is_read_on_its_own_lines_rows() -> None:
    model = bundled_model()
    assert model is not None
    rng = np.random.default_rng(11)
    image, rendered = render_sheet(rng, "Helvetica", 9.0, 150)
    image, scale = degrade(image, rng, 150)
    baselines = sorted({round(w.baseline) for w in rendered})
    words = [
        _tesseract_box(w, scale, baselines.index(round(w.baseline)), reach=1.6 if n % 3 == 1 else 0.0)
        for n, w in enumerate(rendered)
    ]
    bands = _line_bands(words)
    reaching = words[1::3]
    assert all(_band_of(w, bands) is None for n, w in enumerate(words) if n % 3 != 1)
    tall = [w for w in reaching if _band_of(w, bands) is not None]
    assert len(tall) >= 0.9 * len(reaching) >= 30
    as_boxed = sum(_read_text(box_crop(image, w), model) == w.text for w in tall)
    banded = sum(_read_text(box_crop(image, w, _band_of(w, bands)), model) == w.text for w in tall)
    assert banded >= 0.7 * len(tall), f"{banded} of {len(tall)} read right on their line's rows"
    assert banded > as_boxed + 0.2 * len(tall), f"{banded} vs {as_boxed} of {len(tall)}"


def _read_text(crop: np.ndarray, model: GlyphModel) -> str | None:
    reading = read_word(crop, model, None)
    return None if reading is None else reading.text
