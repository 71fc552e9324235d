"""What learned parts must offer to the reader (:class:`~minimarket.documents.invoice_reader.InvoiceReader`).

The rules need nothing more; a trained ``invoice-extractor`` (:mod:`minimarket.learning.extractor_model`)
adds tuned OCR settings, learned items-table classifiers and a product matcher. The reader receives the
parts as an argument: ``documents`` never looks them up.
"""

from __future__ import annotations

from typing import Protocol

from minimarket.documents.items import ItemsResult
from minimarket.documents.linetext import PageView
from minimarket.documents.ocr.engine import OcrSettings
from minimarket.domain.invoice import ExtractedInvoice
from minimarket.domain.numbers import NumberFormat

__all__ = ["LearnedParts"]


class LearnedParts(Protocol):
    """What the learned invoice-extractor adds to the rules."""

    def ocr_settings(self) -> OcrSettings:
        """The Tesseract settings chosen for these parts."""
        ...

    def extract_items(self, views: list[PageView], fmt: NumberFormat | None) -> ItemsResult:
        """The items of the invoice pages (learned row/column classifiers where they help)."""
        ...

    def finish(self, result: ExtractedInvoice) -> None:
        """Last touches on a reconciled invoice (catalog SKU of each item)."""
        ...
