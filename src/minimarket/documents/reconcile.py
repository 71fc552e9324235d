"""Reconcile what was read and check it like an auditor.

Inputs are the printed fields (text layer or OCR), the AFIP QR and the legacy CAE barcode. Printed values
win; the QR and the barcode fill what the print lacks (source ``qr`` / ``barcode``) and are compared field
by field with the print (a mismatch is a red flag). Arithmetic ties the figures together and repairs a
reading error when exactly one reading satisfies it (``7.29505`` that must be ``7.295,05`` because
quantity × price = amount; a dropped decimal separator; one misread digit in a total; a clipped last
decimal), saying so in a check.

Checks (``Check(name, ok, detail)``; details in Spanish, for the person who reviews the invoice):
``cuit_check_digit``, ``qr_matches_printed``, ``barcode_matches_printed``, ``items_present`` (no item read
fails it), ``items_arithmetic``,
``items_sum_net``, ``vat_per_rate``, ``total_arithmetic``, ``type_rules``, ``date_not_future``,
``cae_format``, ``issuer_name_legible`` (only when the name read from OCR stays doubtful: it fails),
``page_selection`` and one ``repair_*`` check per repair. A check that cannot be
evaluated (no items, no QR...) is left out rather than reported as passed.

Status: ``accepted`` only when the key fields (type, AFIP code, point of sale, number, date, issuer CUIT,
total) are present, agree with the QR when there is one, and every check passes; else ``needs_review``.

The steps live in their own modules: :mod:`~minimarket.documents.evidence` (what was read, the builder),
:mod:`~minimarket.documents.item_repairs`, :mod:`~minimarket.documents.qr_merge`,
:mod:`~minimarket.documents.total_repairs` and :mod:`~minimarket.documents.audit` (the checks and the
status); how OCR misreads a figure is :mod:`~minimarket.documents.misreads`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from minimarket.config import Settings, get_settings
from minimarket.documents.audit import KEY_FIELDS, check_all
from minimarket.documents.evidence import Builder, Evidence
from minimarket.documents.fields import Found, HeaderFields, cae_due_below_items
from minimarket.documents.item_repairs import repair_items
from minimarket.documents.items import ItemsResult
from minimarket.documents.pages import PageSelection
from minimarket.documents.qr_merge import merge_codes
from minimarket.documents.total_repairs import deduce_net, repair_totals
from minimarket.documents.totals import TotalCandidate, Totals
from minimarket.domain.invoice import ExtractedInvoice, Invoice, Source, Status

# --- the builder steps ------------------------------------------------------------------------------------


def _header(b: Builder) -> None:
    h = b.ev.header
    b.put("invoice_type", h.invoice_type)
    b.put("afip_code", h.afip_code)
    b.put("point_of_sale", h.point_of_sale)
    b.put("number", h.number)
    b.put("issue_date", h.issue_date)
    b.put("issuer_cuit", h.issuer_cuit)
    b.put("issuer_name", h.issuer_name)
    b.put("issuer_iva_condition", h.issuer_iva_condition)
    b.put("receiver_doc_type", h.receiver_doc_type)
    b.put("receiver_doc_number", h.receiver_doc_number)
    b.put("receiver_name", h.receiver_name)
    b.put("receiver_iva_condition", h.receiver_iva_condition)
    b.put("cae", h.cae)
    b.put("cae_due_date", h.cae_due_date)
    b.put("currency", h.currency)
    b.put("exchange_rate", h.exchange_rate)


def _candidate(c: TotalCandidate | None) -> Found[Decimal] | None:
    return None if c is None else Found(c.value, c.conf, c.page, c.y)


def _totals(b: Builder) -> None:
    t = b.ev.totals
    base = t.net or t.subtotal
    b.put("net_amount", _candidate(base))
    b.put("exempt_amount", _candidate(t.exempt))
    b.put("untaxed_amount", _candidate(t.untaxed))
    b.put("total", _candidate(t.total))
    items = b.ev.items.items
    items_rates = {i.vat_rate for i in items if i.vat_rate is not None}
    items_bases: dict[Decimal, Decimal] = {}
    if items and all(i.vat_rate is not None and i.amount is not None for i in items):
        for i in items:
            assert i.vat_rate is not None and i.amount is not None
            items_bases[i.vat_rate] = items_bases.get(i.vat_rate, Decimal("0")) + i.amount
    net = base.value if base is not None else None
    vat_lines = t.vat_lines(net, items_rates, items_bases)
    if vat_lines:
        conf = min((c.conf for c in t.vat), default=0.8)
        b.set("vat", vat_lines, b.text_source, conf)
    taxes = t.other_tax_list()
    if taxes:
        conf = min((c.conf for c in t.other_taxes), default=0.8)
        b.set("other_taxes", taxes, b.text_source, conf)


def reconcile(ev: Evidence, settings: Settings | None = None, today: dt.date | None = None) -> ExtractedInvoice:
    """Build the extracted invoice from the evidence: merge, repair, check, decide the status."""
    settings = settings or get_settings()
    b = Builder(ev, settings, today or dt.date.today())
    _header(b)
    _totals(b)
    items = [item.model_copy() for item in ev.items.items]
    repair_items(b, items)
    merge_codes(b)
    if b.get("cae_due_date") is None:
        b.put("cae_due_date", cae_due_below_items(ev.header, b.get("issue_date")))
    if ev.qr is not None and ev.qr.moneda and b.get("currency") is None:
        b.set("currency", ev.qr.moneda, Source.QR, 0.9)
    deduce_net(b, items)
    repair_totals(b)
    status = check_all(b, items)
    data: dict[str, Any] = {name: v.value for name, v in b.values.items()}
    if data.get("currency") is None:
        data["currency"] = "PES"
    if data.get("currency") == "PES":
        data["exchange_rate"] = Decimal("1")
    sources = {name: str(v.source) for name, v in b.values.items()}
    confidence = {name: v.confidence for name, v in b.values.items()}
    if items:
        sources["items"] = str(Source.OCR if ev.ocr else Source.TEXT)
        confidence["items"] = ev.items.confidence
    return ExtractedInvoice(
        **data,
        items=items,
        sources=sources,
        confidence=confidence,
        checks=b.checks,
        status=status,
        pages=ev.pages_total or None,
    )


def is_evidence_check(name: str) -> bool:
    """Whether a check compares what was read with the document itself (QR, barcode, pages) or records a repair
    of a reading: :func:`recheck` cannot run it again from the values and keeps it as it was."""
    return name in ("qr_matches_printed", "barcode_matches_printed", "page_selection") or name.startswith("repair_")


def recheck(
    invoice: ExtractedInvoice,
    settings: Settings | None = None,
    today: dt.date | None = None,
    *,
    reviewed: bool = False,
) -> ExtractedInvoice:
    """Run the auditor's checks again on an invoice's values (after a person corrected some of them) and
    decide its status as :func:`reconcile` does, without repairing anything: a person's value stands.

    Checks that need the document (:func:`is_evidence_check`) are kept from the previous result and a failing
    one still sends the invoice to review. A total typed by a person (source ``manual``) or confirmed by the QR
    when the document was read counts as verified. ``reviewed`` means a person has checked the whole invoice:
    its key fields count as read with full confidence and its total as verified.
    """
    settings = settings or get_settings()
    items = [item.model_copy() for item in invoice.items]
    ev = Evidence(header=HeaderFields(), totals=Totals(), items=ItemsResult(items=items), selection=PageSelection())
    b = Builder(ev, settings, today or dt.date.today())
    for name in Invoice.model_fields:
        value = getattr(invoice, name)
        if name == "items" or value is None or value == []:
            continue
        try:
            source = Source(invoice.sources.get(name, Source.TEXT))
        except ValueError:
            source = Source.TEXT
        confidence = 1.0 if reviewed and name in KEY_FIELDS else invoice.confidence.get(name, 1.0)
        b.set(name, value, source, confidence)
    previous = {check.name for check in invoice.checks}
    b.total_confirmed = reviewed or invoice.sources.get("total") == Source.MANUAL or "total_verified" not in previous
    status = check_all(b, items)
    kept = [check for check in invoice.checks if is_evidence_check(check.name)]
    if any(not check.ok for check in kept):
        status = Status.NEEDS_REVIEW
    return invoice.model_copy(update={"checks": b.checks + kept, "status": status})
