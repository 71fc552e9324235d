"""What was read from one document (:class:`Evidence`) and the :class:`Builder` that collects the invoice's
field values with their source and confidence, its checks and repairs, while it is reconciled; the
small formatting helpers the checks' Spanish details share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from minimarket.config import Settings
from minimarket.documents.fields import Found, HeaderFields
from minimarket.documents.items import ItemsResult
from minimarket.documents.pages import PageSelection
from minimarket.documents.totals import Totals
from minimarket.domain.afip import DOCUMENT_TYPES
from minimarket.domain.barcode import CaeBarcode
from minimarket.domain.invoice import Check, Source
from minimarket.domain.numbers import format_amount
from minimarket.domain.qr import QrPayload

MIN_KEY_CONFIDENCE = 0.7
"""Below this confidence a key field read by OCR is doubtful: the invoice goes to review, and a QR that the
print corroborates outvotes it (:mod:`~minimarket.documents.qr_merge`)."""

FIELD_NAMES_ES = {
    "invoice_type": "letra",
    "afip_code": "tipo de comprobante",
    "point_of_sale": "punto de venta",
    "number": "número",
    "issue_date": "fecha de emisión",
    "issuer_cuit": "CUIT del emisor",
    "total": "importe total",
    "cae": "CAE",
    "cae_due_date": "vencimiento del CAE",
    "currency": "moneda",
    "exchange_rate": "cotización",
    "receiver_doc_type": "tipo de documento del receptor",
    "receiver_doc_number": "documento del receptor",
    "net_amount": "neto",
}


@dataclass(slots=True)
class Evidence:
    """Everything read from one document, before reconciliation."""

    header: HeaderFields
    totals: Totals
    items: ItemsResult
    selection: PageSelection
    qr: QrPayload | None = None
    qr_conflicts: list[str] = field(default_factory=list)
    barcode: CaeBarcode | None = None
    ocr: bool = False
    pages_total: int = 0


@dataclass(slots=True)
class FieldValue:
    """A field's value with where it came from and how sure the reading is."""

    value: Any
    source: Source
    confidence: float


class Builder:
    """Collects field values with source and confidence, checks and repairs."""

    def __init__(self, ev: Evidence, settings: Settings, today: dt.date) -> None:
        self.ev = ev
        self.settings = settings
        self.today = today
        self.tolerance = Decimal(str(settings.total_tolerance))
        self.values: dict[str, FieldValue] = {}
        self.checks: list[Check] = []
        self.text_source = Source.OCR if ev.ocr else Source.TEXT
        self.qr_mismatch: list[str] = []
        self.total_confirmed = False
        """The total was confirmed outside the arithmetic (by the QR when it was read, or by a person)."""

    # --- values -----------------------------------------------------------------------------------
    def put(self, name: str, found: Found[Any] | None, transform: Callable[[Any], Any] | None = None) -> None:
        if found is None or found.value is None:
            return
        value = transform(found.value) if transform else found.value
        self.values[name] = FieldValue(value, self.text_source, round(found.confidence, 3))

    def get(self, name: str) -> Any:
        item = self.values.get(name)
        return item.value if item is not None else None

    def set(self, name: str, value: Any, source: Source, confidence: float) -> None:
        self.values[name] = FieldValue(value, source, round(confidence, 3))

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append(Check(name=name, ok=ok, detail=detail))


def sentence(text: str) -> str:
    """First letter in upper case, the rest as written (``str.capitalize`` would lower "CAE")."""
    return text[:1].upper() + text[1:]


def money(value: Decimal | None) -> str:
    return "—" if value is None else f"$ {format_amount(value, 'ar')}"


def show(name: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if name in ("total", "net_amount") and isinstance(value, Decimal):
        return money(value)
    return str(value)


def same(name: str, a: Any, b: Any) -> bool:
    if a is None or b is None:
        return True
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        try:
            tol = Decimal("0.01") if name != "exchange_rate" else Decimal("0.0001")
            return abs(Decimal(str(a)) - Decimal(str(b))) <= tol
        except InvalidOperation:
            return False
    return str(a).lstrip("0") == str(b).lstrip("0") if name in ("cae", "receiver_doc_number") else a == b


def invoice_letter(b: Builder) -> str | None:
    code = b.get("afip_code")
    if code in DOCUMENT_TYPES:
        return DOCUMENT_TYPES[code].letter
    letter = b.get("invoice_type")
    return letter if isinstance(letter, str) else None
