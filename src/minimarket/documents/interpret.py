"""From a document's text to a checked invoice: the invoice's pages, fields, items, totals, codes, checks and
status (:func:`interpret`), and the document's identity with the ``not_an_invoice`` rule (:func:`extract_text`).

:func:`invoice_views` is the public first step: the views of the invoice's pages and their number format,
which the item and field readers read and the learned parts train on.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from minimarket.config import Settings
from minimarket.documents.evidence import Evidence
from minimarket.documents.fields import extract_header, fill_from_second_readings
from minimarket.documents.ingest import Document
from minimarket.documents.items import extract_items
from minimarket.documents.layout import DocumentText
from minimarket.documents.linetext import PageView, page_view, strip_accents
from minimarket.documents.pages import PageSelection, select_pages
from minimarket.documents.parts import LearnedParts
from minimarket.documents.reconcile import reconcile
from minimarket.documents.totals import Totals, choose_totals, read_totals
from minimarket.domain.barcode import BarcodeParseError, CaeBarcode, parse_cae_barcode
from minimarket.domain.invoice import Check, ErrorInfo, ExtractedInvoice, Source, Status
from minimarket.domain.money import line_adds_up
from minimarket.domain.numbers import NumberFormat, detect_number_format
from minimarket.domain.qr import QrParseError, QrPayload, parse_qr_url

__all__ = [
    "InvoiceViews",
    "extract_text",
    "interpret",
    "invoice_views",
    "number_format",
    "rejected",
]


def rejected(
    source_file: str | None, sha256: str | None, code: str, message: str, pages: int | None = None
) -> ExtractedInvoice:
    """A ``rejected`` record with ``error = {code, message}``."""
    return ExtractedInvoice(
        source_file=source_file,
        sha256=sha256,
        pages=pages,
        currency=None,
        exchange_rate=None,
        status=Status.REJECTED,
        error=ErrorInfo(code=code, message=message),
    )


# --- views ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceViews:
    """A document's text as the readers see it: a view of every page, which of them make up the invoice,
    and the number format of the invoice's pages."""

    pages: list[PageView]
    selection: PageSelection
    fmt: NumberFormat | None

    @property
    def views(self) -> list[PageView]:
        """The invoice's pages (copies and extra pages left out): what items and fields are read from."""
        return self.selection.views


def number_format(views: list[PageView]) -> NumberFormat | None:
    """The number format (1.234,56 or 1,234.56) the figures of ``views`` are written in, if it shows."""
    return detect_number_format(re.findall(r"\d[\d.,]*[.,]\d+", "\n".join(view.text for view in views)))


def invoice_views(text: DocumentText) -> InvoiceViews:
    """The views of a document's pages, the invoice's pages among them, and their number format."""
    pages = [page_view(page) for page in text.pages]
    selection = select_pages(pages)
    return InvoiceViews(pages, selection, number_format(selection.views))


# --- interpretation ---------------------------------------------------------------------------------------


def _codes(text: DocumentText, pages: set[int]) -> tuple[QrPayload | None, list[str], CaeBarcode | None]:
    """The AFIP QR (the most complete reading on the invoice's pages), QR conflicts, and the CAE barcode."""
    payloads: list[QrPayload] = []
    barcodes: list[CaeBarcode] = []
    for code in text.codes:
        if code.page not in pages:
            continue
        if code.kind == "qr":
            try:
                payloads.append(parse_qr_url(code.text))
            except QrParseError:
                continue
        elif code.kind in ("i2of5", "itf", "barcode"):
            digits = re.sub(r"\D", "", code.text)
            try:
                barcodes.append(parse_cae_barcode(digits))
            except BarcodeParseError:
                continue
    qr = max(payloads, key=lambda p: (len(p.values()) - len(p.missing), not p.truncated), default=None)
    conflicts: list[str] = []
    if qr is not None:
        key = (qr.cuit, qr.pto_vta, qr.tipo_cmp, qr.nro_cmp)
        for other in payloads:
            other_key = (other.cuit, other.pto_vta, other.tipo_cmp, other.nro_cmp)
            if all(a is not None for a in other_key) and other_key != key and all(a is not None for a in key):
                conflicts.append(f"{other.cuit} {other.pto_vta:05d}-{other.nro_cmp:08d}")
    barcode = next((b for b in barcodes if b.check_ok), barcodes[0] if barcodes else None)
    return qr, sorted(set(conflicts)), barcode


def interpret(
    text: DocumentText,
    settings: Settings,
    today: dt.date | None = None,
    parts: LearnedParts | None = None,
) -> ExtractedInvoice:
    """Fields, items, totals, codes, checks and status of a document already read by the reading layer,
    with the learned ``parts`` (``None``: rules only).

    A one-page invoice scanned or photographed with its copies (ORIGINAL, DUPLICADO…) is read from the copy
    whose reading checks out best: OCR misreads each copy differently, and the arithmetic, the QR and the
    CUIT check digit tell which reading to trust.
    """
    seen = invoice_views(text)
    selection = seen.selection
    result = _interpret_selection(text, selection, settings, today, parts)
    chosen = selection.views
    if len(chosen) == 1 and selection.copies and chosen[0].ocr:
        by_index = {view.index: view for view in seen.pages}
        best = (_reading_quality(result), 0)
        for n, index in enumerate(selection.copies, start=1):
            alternative = replace(selection, views=[by_index[index]], copies=[chosen[0].index, *selection.copies])
            alternative.copies.remove(index)
            candidate = _interpret_selection(text, alternative, settings, today, parts)
            quality = (_reading_quality(candidate), -n)
            if quality > best:
                best, result = quality, candidate
    return result


def _items_adding_up(result: ExtractedInvoice) -> int:
    """How many items read quantity × unit price − discount = amount."""
    return sum(
        1
        for item in result.items
        if item.quantity is not None
        and item.unit_price is not None
        and item.amount is not None
        and line_adds_up(item.quantity, item.unit_price, item.amount, item.discount)
    )


def _reading_quality(result: ExtractedInvoice) -> tuple[int, int, int, int]:
    """How well a reading checks out: accepted, fewer failed checks, more items whose quantity × price is
    the amount, more fields found."""
    failed = sum(not check.ok for check in result.checks)
    consistent = _items_adding_up(result)
    found = sum(getattr(result, name) is not None for name in ("net_amount", "cae", "cae_due_date", "total"))
    return (result.status == Status.ACCEPTED, -failed, consistent, found)


def _interpret_selection(
    text: DocumentText,
    selection: PageSelection,
    settings: Settings,
    today: dt.date | None,
    parts: LearnedParts | None,
) -> ExtractedInvoice:
    chosen = selection.views
    fmt = number_format(chosen)
    items = parts.extract_items(chosen, fmt) if parts is not None else extract_items(chosen, fmt)
    header_bottom = None
    if items.layouts and chosen and items.layouts[0].page == chosen[0].index:
        header_bottom = items.layouts[0].y0
    header = extract_header(chosen, header_bottom, fmt)
    fill_from_second_readings(header, chosen, header_bottom, fmt)
    tolerance = Decimal(str(settings.total_tolerance))
    totals_read = read_totals(chosen[-1:], fmt, items.table_end) if chosen else None
    if totals_read is not None and not totals_read.candidates and len(chosen) > 1:
        totals_read = read_totals(chosen, fmt, items.table_end)
    totals = choose_totals(totals_read, tolerance, chosen[-1].index) if totals_read is not None else None
    invoice_pages = set(selection.indexes) | set(selection.copies)
    qr, conflicts, barcode = _codes(text, invoice_pages)
    if qr is None and barcode is None and not chosen:
        qr, conflicts, barcode = _codes(text, {p.index for p in text.pages})
    ev = Evidence(
        header=header,
        totals=totals or Totals(),
        items=items,
        selection=selection,
        qr=qr,
        qr_conflicts=conflicts,
        barcode=barcode,
        ocr=bool(chosen) and all(view.ocr for view in chosen),
        pages_total=len(text.pages),
    )
    result = reconcile(ev, settings, today)
    _mark_ocr_fields(result, chosen, header)
    if parts is not None:
        parts.finish(result)
    return result


def _mark_ocr_fields(result: ExtractedInvoice, chosen: list[PageView], header: Any) -> None:
    """Fields read from OCR'd words (a scan, or a letterhead picture under a text page) say ``ocr``."""
    ocr_lines = {
        (view.index, round(lt.y0, 1)) for view in chosen for lt in view.lines if lt.line.conf < 0.999 or view.ocr
    }
    for name in (
        "invoice_type",
        "afip_code",
        "point_of_sale",
        "number",
        "issue_date",
        "issuer_cuit",
        "issuer_name",
        "cae",
        "cae_due_date",
        "receiver_doc_number",
        "receiver_name",
    ):
        found = getattr(header, name, None)
        if found is None or result.sources.get(name) != Source.TEXT.value:
            continue
        if (found.page, round(found.y, 1)) in ocr_lines:
            result.sources[name] = Source.OCR.value


def _not_an_invoice(result: ExtractedInvoice, text: DocumentText) -> bool:
    """Nothing an invoice has: at most one fiscal key (CUIT, CAE, number, date, total, net), no code, and no
    items table whose lines add up (a photo cut below its header still has its CAE, net and items)."""
    key = ("afip_code", "point_of_sale", "number", "issuer_cuit", "total", "cae", "issue_date", "net_amount")
    found = sum(getattr(result, name) is not None for name in key)
    return found + (_items_adding_up(result) >= MIN_ITEMS_OF_AN_INVOICE) <= 1 and not text.codes


MIN_ITEMS_OF_AN_INVOICE = 2
"""Item lines adding up (quantity × price = amount) that count as evidence of an invoice."""


_FISCAL_TITLE = re.compile(r"\b(FACTURA|TIQUE|TICKET|NOTA DE (CREDITO|DEBITO)|COMPROBANTE)\b")


def _names_a_fiscal_document(text: DocumentText) -> bool:
    """Whether the words read include a fiscal document's title ("FACTURA", "NOTA DE CRÉDITO", …)."""
    words = " ".join(word.text for page in text.pages for word in page.words)
    return bool(_FISCAL_TITLE.search(strip_accents(words).upper()))


def extract_text(
    text: DocumentText,
    doc: Document,
    settings: Settings,
    today: dt.date | None = None,
    source_file: str | None = None,
    parts: LearnedParts | None = None,
) -> ExtractedInvoice:
    """:func:`interpret` plus the document's identity, and the ``not_an_invoice`` rule."""
    result = interpret(text, settings, today, parts)
    result.source_file = source_file or doc.name
    result.sha256 = doc.sha256
    result.pages = doc.pages
    if _not_an_invoice(result, text) and _names_a_fiscal_document(text):
        # an invoice too blurred to read is still an invoice: a person looks at it, or takes a better picture
        result.checks.append(
            Check(
                name="legible",
                ok=False,
                detail="Dice ser un comprobante, pero casi no se pudo leer (faltan CUIT, CAE, fecha o total): "
                "revíselo a mano o envíe una foto más nítida, de frente y con buena luz.",
            )
        )
        result.status = Status.NEEDS_REVIEW
        return result
    if _not_an_invoice(result, text):
        words = sum(len(page.words) for page in text.pages)
        detail = (
            "no se encontró texto legible"
            if words == 0
            else "no se encontraron datos de factura (CUIT, CAE, número, total)"
        )
        return rejected(
            result.source_file,
            doc.sha256,
            "not_an_invoice",
            f"«{doc.name}» no parece una factura: {detail}. Se aceptan facturas, notas de crédito o débito y "
            "tiques en PDF o en foto/escaneo legible.",
            doc.pages,
        )
    return result
