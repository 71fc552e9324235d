"""Invoice specs to documents: a PDF with a text layer, page images, and image-only ("scanned") PDFs."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from reportlab.pdfgen.canvas import Canvas

from minimarket.synth.invoices.draw import register_fonts
from minimarket.synth.invoices.layouts import LAYOUTS
from minimarket.synth.invoices.layouts.base import doc_title
from minimarket.synth.invoices.spec import InvoiceSpec

__all__ = ["RenderedPdf", "image_pdf", "rasterize", "render_pdf"]


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int


def render_pdf(spec: InvoiceSpec) -> RenderedPdf:
    """The invoice as a PDF with a text layer, byte-identical for the same spec."""
    register_fonts()
    layout = LAYOUTS[spec.layout]
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=layout.page_size(spec), invariant=1, pageCompression=1)
    canvas.setTitle(f"{doc_title(spec, upper=False)} {spec.letter} {spec.full_number}")
    canvas.setAuthor(spec.issuer.name)
    canvas.setCreator("minimarket synth")
    pages = layout.draw(canvas, spec)
    canvas.save()
    return RenderedPdf(buffer.getvalue(), pages)


def rasterize(pdf: bytes, dpi: int = 200, gray: bool = False) -> list[NDArray[np.uint8]]:
    """Every page as an RGB (or grayscale) uint8 array at ``dpi``."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        images = []
        for page in document:
            bitmap = page.render(scale=dpi / 72, grayscale=gray)
            image = bitmap.to_numpy()
            if not gray and image.ndim == 3:
                image = image[:, :, 2::-1] if bitmap.mode in {"BGR", "BGRA", "BGRX"} else image[:, :, :3]
            images.append(np.ascontiguousarray(image))
            page.close()
        return images
    finally:
        document.close()


def image_pdf(pages: list[bytes], sizes: list[tuple[int, int]], dpi: float) -> bytes:
    """An image-only PDF (no text layer) from encoded page images (JPEG/PNG bytes) of ``sizes`` pixels."""
    from reportlab.lib.utils import ImageReader

    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1, pageCompression=1)
    canvas.setCreator("minimarket synth scanner")
    for data, (width, height) in zip(pages, sizes, strict=True):
        w_pt, h_pt = width * 72 / dpi, height * 72 / dpi
        canvas.setPageSize((w_pt, h_pt))
        canvas.drawImage(ImageReader(io.BytesIO(data)), 0, 0, w_pt, h_pt)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
