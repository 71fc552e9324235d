"""The reading layer: a checked :class:`~minimarket.documents.ingest.Document` in, positioned text and
decoded codes out (:class:`~minimarket.documents.layout.DocumentText`).

PDF pages with a usable text layer are read from it; other pages are rendered once at
``Settings.render_dpi`` and that raster serves both code decoding and OCR. Codes are looked for where
they are cheapest first: images embedded in the page (a clean QR bitmap decodes in a millisecond),
then a moderate-resolution render of text pages, and only when the whole document yielded no code, the
full ladder of attempts on those same rasters. Image documents (PNG, JPEG, TIFF, WebP) are decoded
with their EXIF orientation, searched for codes and OCR'd.
"""

from __future__ import annotations

import numpy as np
import pypdfium2 as pdfium

from minimarket.config import Settings, get_settings
from minimarket.documents.codes import FULL, QUICK, find_codes
from minimarket.documents.ingest import Document, DocumentError, decode_image, open_pdf
from minimarket.documents.layout import DecodedCode, DocumentText, PageText, TextOrigin
from minimarket.documents.ocr import ocr_page
from minimarket.documents.pdf import embedded_images, read_text_layer, render_page

CODE_SEARCH_DPI = 200
"""Resolution of the render of a text page when its embedded images held no code."""
MAX_KEPT_RASTERS = 3
"""Text-page rasters kept for the escalated code search (first pages: where the QR is)."""


def read_document(doc: Document, settings: Settings | None = None) -> DocumentText:
    """Read every page of ``doc``: text (text layer or OCR), AFIP QR / CAE barcodes, and warnings."""
    settings = settings or get_settings()
    if doc.kind == "pdf":
        return _read_pdf(doc, settings)
    return _read_image(doc, settings)


def _read_pdf(doc: Document, settings: Settings) -> DocumentText:
    pdf = open_pdf(doc.data, doc.name)
    try:
        count = len(pdf)
        if count > settings.max_pdf_pages:
            raise DocumentError(
                "too_many_pages",
                f"«{doc.name}» tiene {count} páginas; se admiten hasta {settings.max_pdf_pages} por documento.",
            )
        result = DocumentText()
        kept: list[tuple[int, np.ndarray]] = []
        for index in range(count):
            try:
                page_text, page_codes, raster = _read_pdf_page(pdf, index, settings, result.warnings)
            except pdfium.PdfiumError:
                raise DocumentError(
                    "corrupt_file", f"«{doc.name}»: la página {index + 1} está dañada y no se puede leer."
                ) from None
            result.pages.append(page_text)
            result.codes.extend(page_codes)
            if raster is not None and not page_codes and len(kept) < MAX_KEPT_RASTERS:
                kept.append((index, raster))
        if not result.codes:
            # Nothing found cheaply anywhere: try harder on the text pages we rendered.
            for index, raster in kept:
                result.codes.extend(find_codes(raster, index, "render", effort=FULL))
        return result
    finally:
        pdf.close()


def _read_pdf_page(
    pdf: pdfium.PdfDocument, index: int, settings: Settings, warnings: list[str]
) -> tuple[PageText, list[DecodedCode], np.ndarray | None]:
    """Text and codes of one PDF page; also the raster rendered for codes (text pages only), if any."""
    page = pdf[index]
    try:
        text, quality = read_text_layer(page, index)
        codes: list[DecodedCode] = []
        for image in embedded_images(page, index, max_pixels=settings.max_image_pixels):
            codes.extend(find_codes(image.pixels, index, "embedded", effort=QUICK))
    finally:
        page.close()
    codes = _unique(codes)

    if quality.usable:
        if quality.invisible_ratio > 0.5:
            warnings.append(
                f"Página {index + 1}: el texto proviene del OCR del escáner (capa invisible), "
                "puede tener errores de lectura."
            )
        raster = None
        if not codes:
            raster = render_page(pdf, index, CODE_SEARCH_DPI)
            codes = find_codes(raster, index, "render", effort=QUICK)
        return text, codes, raster

    # No usable text layer: render once, use the raster for codes and OCR.
    raster = render_page(pdf, index, settings.render_dpi)
    if not codes:
        codes = find_codes(raster, index, "render", effort=FULL)
    ocr = ocr_page(raster, settings, dpi=settings.render_dpi, index=index)
    if text.words and quality.real_chars:
        warnings.append(
            f"Página {index + 1}: la capa de texto del PDF no es utilizable "
            f"({quality.real_chars} caracteres reales); se leyó con OCR."
        )
    _warn_ocr(ocr, index, warnings)
    return ocr, codes, None


def _read_image(doc: Document, settings: Settings) -> DocumentText:
    result = DocumentText()
    for index, decoded in enumerate(decode_image(doc, settings)):
        result.codes.extend(find_codes(decoded.pixels, index, "image", effort=FULL))
        page = ocr_page(decoded.pixels, settings, dpi=decoded.dpi, index=index)
        _warn_ocr(page, index, result.warnings)
        result.pages.append(page)
    return result


def _warn_ocr(page: PageText, index: int, warnings: list[str]) -> None:
    if page.origin is not TextOrigin.OCR:
        return
    if not page.words:
        warnings.append(f"Página {index + 1}: no tiene texto y el OCR no encontró nada legible.")
    elif page.mean_conf < 0.6:
        warnings.append(f"Página {index + 1}: lectura OCR de baja confianza ({page.mean_conf:.0%}); revise la imagen.")


def _unique(codes: list[DecodedCode]) -> list[DecodedCode]:
    seen: set[tuple[str, str]] = set()
    out = []
    for code in codes:
        if (code.kind, code.text) not in seen:
            seen.add((code.kind, code.text))
            out.append(code)
    return out
