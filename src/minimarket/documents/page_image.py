"""One page of a stored document as a PNG picture (the review screen shows it next to the fields read)."""

from __future__ import annotations

import cv2
import numpy as np

from minimarket.config import Settings
from minimarket.documents.ingest import decode_image, load_document, open_pdf
from minimarket.documents.pdf import render_page

MAX_SIDE = 2000
"""Longest side of the picture, in pixels (a phone photo is scaled down)."""


def page_count(data: bytes, settings: Settings) -> int:
    return load_document(data, settings=settings).pages


def page_png(data: bytes, page: int, settings: Settings, dpi: float = 120.0) -> bytes:
    """PNG of page ``page`` (from 1); ``IndexError`` if the document has no such page."""
    doc = load_document(data, settings=settings)
    if not 1 <= page <= doc.pages:
        raise IndexError(f"the document has {doc.pages} page(s)")
    if doc.kind == "pdf":
        pdf = open_pdf(data, doc.name)
        try:
            pixels: np.ndarray = render_page(pdf, page - 1, dpi, grayscale=False)
        finally:
            pdf.close()
    else:
        pages = decode_image(doc, settings)
        if page > len(pages):
            raise IndexError(f"the document has {len(pages)} page(s)")
        pixels = pages[page - 1].pixels
    height, width = pixels.shape[:2]
    scale = MAX_SIDE / max(height, width)
    if scale < 1:
        pixels = cv2.resize(pixels, (int(width * scale), int(height * scale)), interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".png", pixels)
    if not ok:
        raise ValueError("the page could not be encoded as PNG")
    return encoded.tobytes()
