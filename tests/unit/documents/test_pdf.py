"""PDF text layer, rendering and embedded images on the real development invoices and generated PDFs."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from minimarket.documents.layout import PageText, TextOrigin
from minimarket.documents.pdf import (
    SCANNER_TEXT_CONF,
    embedded_images,
    page_size,
    read_text_layer,
    render,
    render_page,
    text_quality,
    vector_code_regions,
)

REAL_INVOICES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "invoices"

# Pages that belong to the invoice itself (copies ORIGINAL/DUPLICADO/TRIPLICADO, continuation pages) and
# carry a text layer; the other pages are attachments (work orders, scanned e-mails).
INVOICE_TEXT_PAGES = {
    "factura11643.pdf": [0],
    "factura128.pdf": [0, 1, 2],
    "factura1360.pdf": [0, 1, 2],
    "factura1475.pdf": [0],
    "factura3435.pdf": [0],
    "factura4.pdf": [0, 1],
    "factura5.pdf": [0, 1, 2],
    "facturamy.pdf": [0, 1],
}
SCANNED_PAGES = {("factura3435.pdf", 1), ("factura4.pdf", 2)}
"""Pages that are images without any text layer (they need OCR)."""
ISSUER_IN_IMAGE_ONLY = {"factura5.pdf"}
"""The issuer's CUIT is printed inside the page's background image, not in the text layer."""


def _expected() -> dict[str, dict[str, object]]:
    path = REAL_INVOICES / "expected.json"
    if not path.is_file():
        pytest.skip(f"the shared real invoices are not available ({REAL_INVOICES})")
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _compact(text: str) -> str:
    return re.sub(r"[\s.\-/]", "", text)


def _page(name: str, index: int) -> tuple[PageText, object]:
    with pdfium.PdfDocument(str(REAL_INVOICES / name)) as pdf:
        page = pdf[index]
        text, quality = read_text_layer(page, index)
        page.close()
    return text, quality


@pytest.mark.parametrize("name", sorted(INVOICE_TEXT_PAGES))
def test_text_layer_gives_key_strings_on_every_invoice_page(name: str) -> None:
    expected = _expected()[name]
    for index in INVOICE_TEXT_PAGES[name]:
        text, quality = _page(name, index)
        assert quality.usable, (name, index, quality)  # type: ignore[attr-defined]
        assert text.origin is TextOrigin.TEXT
        compact = _compact(text.text)
        if name not in ISSUER_IN_IMAGE_ONLY:
            assert str(expected["issuer_cuit"]) in compact, (name, index)
        number = f"{int(str(expected['number'])):08d}"
        assert number in compact or re.search(rf"\b0*{expected['number']}\b", text.text), (name, index)
        assert text.lines and all(line.words for line in text.lines)
        for word in text.words:
            assert 0 <= word.x0 < word.x1 <= text.width + 1
            assert 0 <= word.y0 < word.y1 <= text.height + 1
            assert word.text.strip() == word.text and word.text


def test_words_and_lines_follow_the_printed_layout() -> None:
    _expected()
    text, _ = _page("factura128.pdf", 0)
    lines = [line.text for line in text.lines]
    assert "Punto de Venta: 00003 Comp. Nro: 00000128" in lines
    assert any(line.startswith("Razón Social: ESCOBAR LUIS RAMON") for line in lines)
    # Reading order: the heading ORIGINAL is above the issuer's address lines.
    y = {w.text: w.y0 for w in text.words}
    assert y["ORIGINAL"] < y["Nogues"]


@pytest.mark.parametrize("page", sorted(SCANNED_PAGES))
def test_image_only_pages_have_no_usable_text(page: tuple[str, int]) -> None:
    _expected()
    text, quality = _page(*page)
    assert not quality.usable  # type: ignore[attr-defined]
    assert text.words == []


def test_scanner_ocr_layer_is_trusted_with_lower_confidence() -> None:
    """factura1475 is an Adobe Scan phone photo with an invisible OCR text layer: good enough to use
    (it has the CUIT, number and total right), but marked as less certain than born-digital text."""
    expected = _expected()["factura1475.pdf"]
    text, quality = _page("factura1475.pdf", 0)
    assert quality.usable and quality.invisible_ratio > 0.9  # type: ignore[attr-defined]
    assert {w.conf for w in text.words} == {SCANNER_TEXT_CONF}
    assert str(expected["issuer_cuit"]) in _compact(text.text)
    assert "44000,00" in text.text


def test_text_quality_rejects_garbage_and_sparse_pages() -> None:
    good = "Factura A Punto de Venta 0003 Comprobante 00000128 Fecha de Emisión 18/02/2023 Total 178000,00"
    assert text_quality(good).usable
    assert not text_quality("Pág. 1/1").usable  # a few characters: no usable text
    assert not text_quality("\ufffd" * 200 + good).usable  # unmapped glyphs
    assert not text_quality("\ue001\ue002\ue003 " * 100).usable  # private-use code points
    consonants = "Bcdfg Hjklm Npqrst Vwxz Bdrk Tfgh Pqrs Mnbv Lkjh Gfds " * 5
    assert not text_quality(consonants).usable  # a broken font map gives consonant soup


def _rotated_page_pdf(rotate: int) -> bytes:
    with pdfium.PdfDocument(str(REAL_INVOICES / "factura128.pdf")) as source:
        out = pdfium.PdfDocument.new()
        out.import_pages(source, [0])
        out[0].set_rotation(rotate)
        buffer = io.BytesIO()
        out.save(buffer)
        out.close()
    return buffer.getvalue()


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_page_rotation_is_applied_to_word_boxes(rotate: int) -> None:
    """A page displayed rotated (/Rotate) still yields upright words in the displayed page's frame."""
    _expected()
    upright, _ = _page("factura128.pdf", 0)
    with pdfium.PdfDocument(_rotated_page_pdf(rotate)) as pdf:
        page = pdf[0]
        text, quality = read_text_layer(page, 0)
        page.close()
    assert quality.usable
    assert "Punto de Venta: 00003 Comp. Nro: 00000128" in [line.text for line in text.lines]
    # The words read left to right again: same page size and positions as the unrotated page.
    assert (round(text.width), round(text.height)) == (round(upright.width), round(upright.height))
    first = next(w for w in text.words if w.text == "ORIGINAL")
    reference = next(w for w in upright.words if w.text == "ORIGINAL")
    assert abs(first.x0 - reference.x0) < 2 and abs(first.y0 - reference.y0) < 2


def test_content_drawn_sideways_is_turned_upright() -> None:
    """A landscape invoice drawn rotated on a portrait page (no /Rotate): words still read left to right."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.translate(A4[0], 0)
    pdf.rotate(90)  # text now runs bottom to top on the portrait page
    pdf.setFont("Helvetica", 12)
    lines = ["FACTURA A Nro 0003-00000128", "CUIT: 20-31560044-9", "Importe Total: $ 178.000,00"]
    for i, line in enumerate(lines):
        pdf.drawString(72, A4[0] - 72 - 20 * i, line)
    pdf.showPage()
    pdf.save()
    with pdfium.PdfDocument(buffer.getvalue()) as doc:
        page = doc[0]
        text, _ = read_text_layer(page, 0)
        page.close()
    assert [line.text for line in text.lines] == lines
    assert text.width > text.height  # the frame turned with the text


def test_render_page_gray_bgr_and_crop() -> None:
    _expected()
    with pdfium.PdfDocument(str(REAL_INVOICES / "factura128.pdf")) as pdf:
        gray = render_page(pdf, 0, 72)
        bgr = render_page(pdf, 0, 144, grayscale=False)
        crop = render_page(pdf, 0, 144, crop=(0, 0, 297.5, 100))
        full = render_page(pdf, 0, 144)
    assert gray.dtype == np.uint8 and gray.shape == (842, 595)
    assert bgr.shape == (1684, 1190, 3)
    assert crop.shape == (200, 595)
    assert np.abs(crop.astype(int) - full[:200, :595].astype(int)).mean() < 2  # the top-left corner


def test_embedded_images_are_decoded_with_their_boxes() -> None:
    _expected()
    with pdfium.PdfDocument(str(REAL_INVOICES / "factura128.pdf")) as pdf:
        page = pdf[0]
        images = list(embedded_images(page, 0))
        sizes = sorted(image.pixels.shape[:2] for image in images)  # decoded while the page is open
        width, height = page.get_size()
        page.close()
        again = pdf[0]
        lazy = list(embedded_images(again, 0))
        again.close()
    assert (360, 360) in sizes  # the AFIP QR bitmap
    qr = next(image for image in images if image.pixels.shape[:2] == (360, 360))
    x0, y0, x1, y1 = qr.box
    assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
    assert y0 > height / 2  # the QR is printed in the bottom half of the page
    assert len({image.key for image in images}) == len(images)
    with pytest.raises(RuntimeError, match="page is open"):
        _ = lazy[0].pixels  # a closed page is never touched (pdfium would crash)


def test_codes_drawn_as_vector_paths_are_found_in_their_regions() -> None:
    synth = pytest.importorskip("minimarket.synth.invoices.dataset", reason="the synthetic generator is absent")
    from minimarket.catalog import bundled_catalog
    from minimarket.documents.codes import QUICK, find_codes

    catalog = bundled_catalog()
    # seed 5: document 0 draws a QR and a CAE barcode, document 8 only the barcode (all vector paths)
    for index, kinds in ((0, ["i2of5", "qr"]), (8, ["i2of5"])):
        generated = synth.make_document(catalog, 5, index, "pdf")
        with pdfium.PdfDocument(generated.data) as pdf:
            page = pdf[0]
            regions = vector_code_regions(page)
            found = {
                (c.kind, c.text) for box in regions for c in find_codes(render(page, 200, crop=box), 0, "x", QUICK)
            }
            width, height = page_size(page)
            page.close()
        assert sorted(kind for kind, _ in found) == kinds, generated.name
        assert len(regions) == len(kinds)
        assert all(-20 <= x0 < x1 <= width + 20 and -20 <= y0 < y1 <= height + 20 for x0, y0, x1, y1 in regions)
        if generated.spec.qr_text:
            assert ("qr", generated.spec.qr_text) in found
