"""The reading layer: a checked :class:`~minimarket.documents.ingest.Document` in, positioned text and
decoded codes out (:class:`~minimarket.documents.layout.DocumentText`).

PDF pages:

- with a usable text layer → the text layer (words at confidence 1.0; a scanner's invisible OCR layer at
  :data:`~minimarket.documents.pdf.SCANNER_TEXT_CONF`). When such a page is drawn over a large picture
  that carries printed text of its own (a letterhead scanned as the page background), the picture is
  OCR'd too and its words that the text layer lacks are added, with their OCR confidence (< 1);
- without one → rendered once at ``Settings.render_dpi``; that raster serves both code decoding and OCR.

Codes are looked for where they are cheapest first: images embedded in the page (a clean QR bitmap
decodes in a millisecond), then the regions of a text page where a code is drawn with vector paths
(rendered alone: a few milliseconds), then a moderate-resolution render of the whole text page; the
expensive ladder runs on scans and photos, and on text pages only when the whole document yielded nothing.

Image documents (PNG, JPEG, TIFF, WebP) are decoded with their EXIF orientation, searched for codes and
OCR'd. Warnings (Spanish, for the shop's manager) say what is worth knowing about the reading.
"""

from __future__ import annotations

import numpy as np
import pypdfium2 as pdfium

from minimarket.config import Settings, get_settings
from minimarket.documents.codes import FULL, MEDIUM, QUICK, blank_codes, find_codes
from minimarket.documents.ingest import Document, DocumentError, decode_image, open_pdf
from minimarket.documents.layout import DecodedCode, DocumentText, PageText, TextOrigin, Word, group_lines
from minimarket.documents.ocr.engine import OcrSettings, ocr_page
from minimarket.documents.pdf import (
    EmbeddedImage,
    TextQuality,
    embedded_images,
    read_text_layer,
    render,
    render_page,
    vector_code_regions,
)

CODE_SEARCH_DPI = 200
"""Resolution of the render of a text page (or of its vector-drawn code regions) when its embedded images
held no code."""
BACKGROUND_MIN_COVER = 0.5
"""An embedded image covering at least this share of the page is a scan / page background."""
BACKGROUND_MIN_INK = 0.01
"""Share of dark pixels above which a background picture is worth OCR (blank forms are not)."""


def read_document(doc: Document, settings: Settings | None = None, ocr: OcrSettings | None = None) -> DocumentText:
    """Read every page of ``doc``: text (text layer or OCR with the Tesseract settings ``ocr``, the defaults
    when ``None``), AFIP QR / CAE barcodes, and warnings."""
    settings = settings or get_settings()
    ocr = ocr or OcrSettings()
    if doc.kind == "pdf":
        return _PdfReader(doc, settings, ocr).read()
    return _read_image(doc, settings, ocr)


class _PdfReader:
    """Reads one PDF; remembers what earlier pages found (codes, OCR of repeated backgrounds)."""

    def __init__(self, doc: Document, settings: Settings, ocr: OcrSettings) -> None:
        self.doc = doc
        self.settings = settings
        self.ocr = ocr
        self.result = DocumentText()
        self.background_ocr: dict[str, PageText] = {}
        self.image_codes: dict[str, list[tuple[str, str]]] = {}
        """Codes found in each distinct embedded image (by content key): copies repeat the same images."""
        self.first_text_raster: tuple[int, np.ndarray] | None = None

    def read(self) -> DocumentText:
        pdf = open_pdf(self.doc.data, self.doc.name)
        try:
            count = len(pdf)
            if count > self.settings.max_pdf_pages:
                raise DocumentError(
                    "too_many_pages",
                    f"«{self.doc.name}» tiene {count} páginas; se admiten hasta "
                    f"{self.settings.max_pdf_pages} por documento.",
                )
            for index in range(count):
                try:
                    page_text, codes = self._read_page(pdf, index)
                except pdfium.PdfiumError:
                    raise DocumentError(
                        "corrupt_file", f"«{self.doc.name}»: la página {index + 1} está dañada y no se puede leer."
                    ) from None
                self.result.pages.append(page_text)
                self.result.codes.extend(codes)
            if not self.result.codes and self.first_text_raster is not None:
                # Nothing found cheaply anywhere: try harder on the first text page's render (born-digital
                # pages render crisply, so a code missed there is rare; the cost stays bounded).
                index, raster = self.first_text_raster
                self.result.codes.extend(find_codes(raster, index, "render", effort=MEDIUM))
            return self.result
        finally:
            pdf.close()

    def _embedded_codes(self, images: list[EmbeddedImage], index: int) -> list[DecodedCode]:
        """Quick code search in a page's images, square ones (QR-like) first, stopping at the first hit;
        an image seen on an earlier page (same content) is not decoded again."""
        found: list[tuple[str, str]] = []
        for image in sorted(images, key=lambda im: im.squareness):
            if image.key not in self.image_codes:
                codes = find_codes(image.pixels, index, "embedded", effort=QUICK)
                self.image_codes[image.key] = [(code.kind, code.text) for code in codes]
            found.extend(self.image_codes[image.key])
            if found:
                break
        return [DecodedCode(kind, text, index, "embedded") for kind, text in dict.fromkeys(found)]

    def _dpi(self, page: PageText, wanted: float) -> float:
        """``wanted`` unless the page is so large (posters, broken MediaBoxes up to 200 inches) that the
        render would exceed ``Settings.max_image_pixels``: then the largest resolution that fits."""
        inches2 = max(page.width, 1.0) * max(page.height, 1.0) / (72.0 * 72.0)
        fits = (self.settings.max_image_pixels / inches2) ** 0.5
        if fits < wanted:
            self.result.warnings.append(
                f"Página {page.index + 1}: la página es muy grande ({page.width / 72:.0f}×{page.height / 72:.0f} "
                f"pulgadas); se leyó a {fits:.0f} ppp."
            )
            return fits
        return wanted

    @property
    def _hard_search(self) -> bool:
        """Whether the expensive code search is still worth it (nothing found on earlier pages)."""
        return not self.result.codes

    def _read_page(self, pdf: pdfium.PdfDocument, index: int) -> tuple[PageText, list[DecodedCode]]:
        page = pdf[index]
        try:
            text, quality = read_text_layer(page, index)
            page_area = max(1.0, text.width * text.height)
            images = list(embedded_images(page, index, max_pixels=self.settings.max_image_pixels))
            codes = self._embedded_codes(images, index)
            backgrounds = [image for image in images if image.area >= BACKGROUND_MIN_COVER * page_area]
            for image in backgrounds:
                _ = image.pixels  # decode now, while the page is open (they may be searched or OCR'd)
            if quality.usable and not codes and not backgrounds and self._hard_search:
                codes = self._region_codes(page, index)
        finally:
            page.close()
        if quality.usable:
            return self._text_page(pdf, index, text, quality, codes, backgrounds)
        return self._ocr_page(pdf, index, text, quality, codes)

    def _text_page(
        self,
        pdf: pdfium.PdfDocument,
        index: int,
        text: PageText,
        quality: TextQuality,
        codes: list[DecodedCode],
        backgrounds: list[EmbeddedImage],
    ) -> tuple[PageText, list[DecodedCode]]:
        if not codes and self._hard_search:
            # A scanned or photographed page with a text layer (e.g. Adobe Scan): the QR is in the picture.
            for image in backgrounds:
                codes.extend(find_codes(image.pixels, index, "embedded", effort=FULL, deblur=self.settings.ocr_deblur))
        if not codes and self._hard_search:
            # Only while the document has no code yet: later pages are copies or attachments.
            raster = render_page(pdf, index, self._dpi(text, CODE_SEARCH_DPI))
            codes = find_codes(raster, index, "render", effort=QUICK)
            if self.first_text_raster is None and not codes:
                self.first_text_raster = (index, raster)
        if quality.invisible_ratio > 0.5:
            self.result.warnings.append(
                f"Página {index + 1}: el texto proviene del OCR del escáner (capa invisible), "
                "puede tener errores de lectura."
            )
        else:
            for image in backgrounds:
                added = self._add_background_words(text, image)
                if added:
                    self.result.warnings.append(
                        f"Página {index + 1}: {added} palabras se leyeron con OCR de la imagen de fondo "
                        "(membrete escaneado)."
                    )
        return text, codes

    def _region_codes(self, page: pdfium.PdfPage, index: int) -> list[DecodedCode]:
        """Codes of the page's vector-drawn code regions (:func:`~minimarket.documents.pdf.vector_code_regions`),
        each rendered alone at :data:`CODE_SEARCH_DPI`. Nothing unless every region held a code or a QR was
        read: then the page goes to the whole-page render, which finds what these regions find and whatever
        else is there (a region is the same raster as that part of the whole render, so once the QR is read,
        a barcode its region did not give is not worth rendering the page for)."""
        found: dict[tuple[str, str], DecodedCode] = {}
        missed = False
        for box in vector_code_regions(page):
            x0, y0, x1, y1 = box
            if (x1 - x0) * (y1 - y0) * (CODE_SEARCH_DPI / 72.0) ** 2 > self.settings.max_image_pixels:
                return []
            codes = find_codes(render(page, CODE_SEARCH_DPI, crop=box), index, "region", effort=QUICK)
            missed = missed or not codes
            for code in codes:
                found.setdefault((code.kind, code.text), code)
        if missed and not any(kind == "qr" for kind, _ in found):
            return []
        return list(found.values())

    def _add_background_words(self, text: PageText, image: EmbeddedImage) -> int:
        """OCR a page-background picture and add the words the text layer does not already have."""
        pixels = image.pixels
        if pixels.size == 0:
            return 0
        height_px, width_px = pixels.shape[:2]
        x0, y0, x1, y1 = image.box
        box_w, box_h = x1 - x0, y1 - y0
        if box_w <= 0 or box_h <= 0 or (width_px > height_px) != (box_w > box_h):
            return 0  # placed rotated: a photo, not a letterhead background
        if _ink_share(pixels) < BACKGROUND_MIN_INK:
            return 0
        key = image.key
        ocr = self.background_ocr.get(key)
        if ocr is None:
            dpi = width_px / (box_w / 72.0)
            ocr = ocr_page(pixels, self.settings, dpi=dpi, index=text.index, fixed_geometry=True, tuned=self.ocr)
            self.background_ocr[key] = ocr
        sx, sy = box_w / max(ocr.width, 1e-6), box_h / max(ocr.height, 1e-6)
        added = []
        for word in ocr.words:
            if word.conf < 0.3 or not any(ch.isalnum() for ch in word.text):
                continue
            placed = Word(
                word.text,
                x0 + word.x0 * sx,
                y0 + word.y0 * sy,
                x0 + word.x1 * sx,
                y0 + word.y1 * sy,
                word.conf,
                word.alts,
            )
            if not _overlaps_any(placed, text.words):
                added.append(placed)
        if added:
            text.words.extend(added)
            text.lines = group_lines(text.words)
        return len(added)

    def _ocr_page(
        self, pdf: pdfium.PdfDocument, index: int, text: PageText, quality: TextQuality, codes: list[DecodedCode]
    ) -> tuple[PageText, list[DecodedCode]]:
        """No usable text layer: render once and use the raster for codes and OCR."""
        dpi = self._dpi(text, self.settings.render_dpi)
        raster = render_page(pdf, index, dpi)
        if not codes:
            effort = FULL if self._hard_search else QUICK
            codes = find_codes(raster, index, "render", effort=effort, deblur=self.settings.ocr_deblur)
        ocr = ocr_page(
            blank_codes(raster, [c for c in codes if c.where == "render"]),
            self.settings,
            dpi=dpi,
            index=index,
            tuned=self.ocr,
        )
        if text.words and quality.real_chars:
            self.result.warnings.append(
                f"Página {index + 1}: la capa de texto del PDF no es utilizable "
                f"({quality.real_chars} caracteres reales); se leyó con OCR."
            )
        _warn_ocr(ocr, index, self.result.warnings)
        return ocr, codes


def _read_image(doc: Document, settings: Settings, ocr: OcrSettings) -> DocumentText:
    result = DocumentText()
    for index, decoded in enumerate(decode_image(doc, settings, gray=True)):
        gray = decoded.pixels  # decoded gray once for both readers
        effort = FULL if not result.codes else QUICK
        codes = find_codes(gray, index, "image", effort=effort, deblur=settings.ocr_deblur)
        result.codes.extend(codes)
        page = ocr_page(blank_codes(gray, codes), settings, dpi=decoded.dpi, index=index, tuned=ocr)
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


def _ink_share(pixels: np.ndarray) -> float:
    gray = pixels if pixels.ndim == 2 else pixels.mean(axis=2)
    step = max(1, int(max(gray.shape) / 400))
    sample = gray[::step, ::step]
    return float((sample < 128).mean())


def _overlaps_any(word: Word, others: list[Word]) -> bool:
    """True when ``word``'s centre falls inside (or its box mostly covers) a word already on the page."""
    for other in others:
        if other.x0 - 1 <= word.cx <= other.x1 + 1 and other.y0 - 1 <= word.cy <= other.y1 + 1:
            return True
        ix = min(word.x1, other.x1) - max(word.x0, other.x0)
        iy = min(word.y1, other.y1) - max(word.y0, other.y0)
        if ix > 0 and iy > 0 and ix * iy > 0.5 * (word.x1 - word.x0) * (word.y1 - word.y0):
            return True
    return False
