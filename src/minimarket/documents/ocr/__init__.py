"""OCR fallback for pages without a usable text layer: OpenCV preprocessing and Tesseract."""

from minimarket.documents.ocr.engine import ocr_page
from minimarket.documents.ocr.preprocess import PreparedPage, preprocess

__all__ = ["PreparedPage", "ocr_page", "preprocess"]
