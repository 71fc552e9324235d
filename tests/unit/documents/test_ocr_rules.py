"""Dark header bands and table rules on rendered invoices (``minimarket.synth`` layouts): bands are found and
inverted, ruled tables and dashed ticket separators are painted over, and the words are left alone."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pypdfium2 as pdfium
import pytest

from minimarket.documents.ocr.preprocess import dark_band_mask, invert_dark_bands, remove_rules, rule_mask

invoices = pytest.importorskip("minimarket.synth.invoices", reason="the synthetic invoice generator is absent")

DPI = 200
CHAR_HEIGHT = 24.0 * DPI / 300


def _page(layout: str, seed: int = 5) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """Page 1 of a generated invoice in ``layout`` (gray, DPI) and the pixel boxes of its text-layer words."""
    from minimarket.catalog import bundled_catalog

    spec = invoices.sample_invoice(
        random.Random(seed), bundled_catalog(), invoices.SampleOptions(layout=layout, single_copy=True, max_items=8)
    )
    pdf_bytes = invoices.render_pdf(spec).data
    gray = invoices.rasterize(pdf_bytes, dpi=DPI, gray=True)[0]
    boxes = []
    with pdfium.PdfDocument(pdf_bytes) as pdf:
        page = pdf[0]
        height = page.get_height()
        text = page.get_textpage()
        for i in range(text.count_chars()):
            if text.get_text_range(i, 1).strip():
                left, bottom, right, top = text.get_charbox(i)
                k = DPI / 72
                x0, y0, x1, y1 = int(left * k), int((height - top) * k), int(right * k), int((height - bottom) * k)
                boxes.append((x0, y0, x1 + 1, y1 + 1))
    return gray, boxes


def _share_on_glyphs(mask: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> float:
    """Share of the glyph boxes' ink pixels that ``mask`` covers."""
    covered = total = 0
    for x0, y0, x1, y1 in boxes:
        covered += int(np.count_nonzero(mask[y0 + 1 : y1 - 1, x0 + 1 : x1 - 1]))
        total += max(0, (y1 - y0 - 2) * (x1 - x0 - 2))
    return covered / max(total, 1)


@pytest.fixture(scope="module")
def ruled() -> Any:
    return _page("erp_ruled")


def test_white_on_dark_band_is_found_and_inverted(ruled: Any) -> None:
    gray, _ = ruled
    mask = dark_band_mask(gray)
    assert mask is not None, "the erp_ruled layout prints its header on a dark band"
    inside = mask > 0
    assert np.median(gray[inside]) < 100
    inverted, changed = invert_dark_bands(gray)
    assert changed
    assert np.median(inverted[inside]) > 150  # paper now, with dark letters on it
    assert np.array_equal(inverted[~inside], gray[~inside])


def test_a_plain_page_has_no_band() -> None:
    gray, _ = _page("afip_rce")
    assert dark_band_mask(gray) is None


def test_table_rules_are_masked_and_words_are_not(ruled: Any) -> None:
    gray, boxes = ruled
    mask = rule_mask(gray, CHAR_HEIGHT)
    columns = np.count_nonzero(mask, axis=0)
    rows = np.count_nonzero(mask, axis=1)
    assert (columns > 0.15 * gray.shape[0]).sum() >= 5, "the table's vertical rules"
    assert (rows > 0.5 * gray.shape[1]).sum() >= 2, "the table's horizontal rules"
    assert _share_on_glyphs(mask, boxes) < 0.03
    cleaned, changed = remove_rules(gray, CHAR_HEIGHT)
    assert changed
    assert (cleaned[mask > 0] == 255).all()


def test_dashed_ticket_separators_go_and_typewriter_text_stays() -> None:
    gray, boxes = _page("thermal")
    mask = rule_mask(gray, CHAR_HEIGHT)
    rows = np.count_nonzero(mask, axis=1)
    assert (rows > 0.3 * gray.shape[1]).sum() >= 2, "the dashed separators"
    assert _share_on_glyphs(mask, boxes) < 0.03


def test_a_blurred_rule_right_under_a_line_of_text_goes_whole() -> None:
    """A light, blurred underline just below dark figures (a phone photo of a ruled table) is a rule all
    along, also under the figures, whose strokes darken the neighbourhood; the figures stay."""
    import cv2

    gray = np.full((120, 900), 235, np.uint8)
    cv2.putText(gray, "19079,93 46456,23 8031,98", (60, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 20, 3, cv2.LINE_AA)
    cv2.line(gray, (10, 64), (890, 64), 170, 2)
    gray = cv2.GaussianBlur(gray, (5, 5), 0)
    mask = rule_mask(gray, 16.0)
    assert (mask[62:68, 60:560] > 0).any(axis=0).mean() > 0.9, "the rule is found under the figures too"
    figures = gray[30:58, 60:560] < 100
    assert ((mask[30:58, 60:560] > 0) & figures).sum() < 0.03 * figures.sum(), "the figures are not painted over"
