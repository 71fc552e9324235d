"""Synthetic Argentine supplier invoices with ground truth in the extracted-invoice contract.

Pipeline: :func:`sample_invoice` draws an :class:`InvoiceSpec` from the catalog (exact Decimal totals,
AFIP QR text, CAE barcode) → :func:`render_pdf` draws it with one of :data:`LAYOUT_NAMES` →
:func:`make_document` turns it into a text PDF, a scan or a phone photo → :func:`write_dataset` writes
documents, ``<name>.truth.json``, ``expected.json`` and ``manifest.jsonl``. Everything is deterministic
from the seed. CLI: ``minimarket synth invoices`` and ``minimarket synth samples``.
"""

from minimarket.synth.invoices.dataset import DOCUMENT_KINDS, GeneratedDocument, make_document, write_dataset
from minimarket.synth.invoices.qr import QR_VARIANTS, build_qr_text
from minimarket.synth.invoices.render import image_pdf, rasterize, render_pdf
from minimarket.synth.invoices.sample import LAYOUT_NAMES, RECEIVERS, SampleOptions, sample_invoice
from minimarket.synth.invoices.spec import InvoiceSpec, SpecItem

__all__ = [
    "DOCUMENT_KINDS",
    "LAYOUT_NAMES",
    "QR_VARIANTS",
    "RECEIVERS",
    "GeneratedDocument",
    "InvoiceSpec",
    "SampleOptions",
    "SpecItem",
    "build_qr_text",
    "image_pdf",
    "make_document",
    "rasterize",
    "render_pdf",
    "sample_invoice",
    "write_dataset",
]
