"""Corrections by a person: validated, applied to the stored invoice, audited, and read back as labels.

:func:`correct_invoice` takes ``(field, value)`` pairs such as ``("total", "1234,56")``,
``("issue_date", "01/10/2026")`` or ``("items.3.sku", "YER-0001")`` (items are numbered from 1 as printed
by ``minimarket invoices show``). Every value is checked with the domain parsers first — all or nothing:
one bad value and nothing is changed. Then the payload (the extracted-invoice contract) and the invoice's
columns and items are updated, ``sources[field]`` becomes ``"manual"`` with confidence 1, and each change
is recorded as an ``InvoiceEvent(kind="corrected", detail={field, old, new})`` with its author.

The next training run reads them back: :func:`confirmed_items` (per-supplier aliases for product matching)
and :func:`labelled_invoices` (corrected payloads as ground truth for evaluation).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from minimarket.domain.afip import DOCUMENT_TYPES, VALID_VAT_RATES
from minimarket.domain.cuit import InvalidCuit, normalize_cuit
from minimarket.domain.invoice import Source, Status
from minimarket.domain.money import to_cents
from minimarket.domain.numbers import parse_amount
from minimarket.store.invoices import get_invoice_row, set_status
from minimarket.store.models import Invoice, InvoiceEvent, InvoiceItem

__all__ = [
    "HEADER_FIELDS",
    "ITEM_FIELDS",
    "AppliedCorrection",
    "ConfirmedItem",
    "CorrectionError",
    "LabelledInvoice",
    "confirmed_items",
    "correct_invoice",
    "labelled_invoices",
    "parse_value",
]

CORRECTED = "corrected"
HIGH_CONFIDENCE = 0.9
"""SKUs of accepted (not corrected) invoices count as confirmed only from this matcher confidence up."""


class CorrectionError(ValueError):
    """A correction that cannot be applied (unknown field, bad value, unknown item or SKU)."""


# --- parsers ---------------------------------------------------------------------------------------------------


def _money(text: str) -> str:
    try:
        value = parse_amount(text.strip())
    except (ValueError, ArithmeticError):
        raise CorrectionError(f"{text!r} no es un importe; use 1234.56 o 1.234,56") from None
    return str(to_cents(value))


def _quantity(text: str) -> str:
    try:
        value = parse_amount(text.strip())
    except (ValueError, ArithmeticError):
        raise CorrectionError(f"{text!r} no es un número; use 2, 1.5 o 1,5") from None
    return format(value.normalize(), "f")


def _date(text: str) -> str:
    raw = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(raw, pattern).date().isoformat()
        except ValueError:
            continue
    raise CorrectionError(f"{text!r} no es una fecha; use AAAA-MM-DD o dd/mm/aaaa")


def _cuit(text: str) -> str:
    try:
        return normalize_cuit(text)
    except (InvalidCuit, ValueError) as exc:
        raise CorrectionError(f"CUIT {text!r} inválido: {exc}") from None


def _int_range(low: int, high: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        raw = text.strip()
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise CorrectionError(f"{what} {text!r} inválido; se espera un entero entre {low} y {high}")
        return int(raw)

    return parse


def _afip_code(text: str) -> int:
    code = _int_range(1, 999, "código de comprobante")(text)
    if code not in DOCUMENT_TYPES:
        raise CorrectionError(
            f"código de comprobante {code} desconocido (tabla de ARCA: 1 = Factura A, 6 = B, 11 = C…)"
        )
    return code


def _letter(text: str) -> str:
    letters = sorted({d.letter for d in DOCUMENT_TYPES.values()})
    value = text.strip().upper()
    if value not in letters:
        raise CorrectionError(f"tipo {text!r} inválido; use una de {', '.join(letters)}")
    return value


def _cae(text: str) -> str:
    digits = re.sub(r"\s", "", text)
    if not re.fullmatch(r"\d{14}", digits):
        raise CorrectionError(f"CAE {text!r} inválido; tiene 14 dígitos")
    return digits


def _currency(text: str) -> str:
    value = text.strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{3}", value):
        raise CorrectionError(f"moneda {text!r} inválida; use el código de ARCA (PES, DOL, 060…)")
    return value


def _text(limit: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = " ".join(text.split())
        if not value or len(value) > limit:
            raise CorrectionError(f"el texto debe tener entre 1 y {limit} caracteres")
        return value

    return parse


def _doc_number(text: str) -> str:
    digits = re.sub(r"[\s.-]", "", text)
    if not digits.isdigit() or not 6 <= len(digits) <= 11:
        raise CorrectionError(f"documento {text!r} inválido; use el CUIT o DNI sin puntos")
    return digits


def _vat_rate(text: str) -> str:
    rate = _quantity(text.rstrip("% "))
    if Decimal(rate) not in VALID_VAT_RATES:
        valid = ", ".join(format(r.normalize(), "f") for r in sorted(VALID_VAT_RATES))
        raise CorrectionError(f"alícuota {text!r} inválida; se admiten {valid}")
    return rate


HEADER_FIELDS: dict[str, Callable[[str], Any]] = {
    "invoice_type": _letter,
    "afip_code": _afip_code,
    "point_of_sale": _int_range(1, 99999, "punto de venta"),
    "number": _int_range(1, 99_999_999, "número"),
    "issue_date": _date,
    "issuer_cuit": _cuit,
    "issuer_name": _text(200),
    "receiver_doc_number": _doc_number,
    "cae": _cae,
    "cae_due_date": _date,
    "currency": _currency,
    "net_amount": _money,
    "total": _money,
}
"""Header fields a person may correct, each with its parser (Spanish errors)."""

ITEM_FIELDS: dict[str, Callable[[str], Any]] = {
    "sku": _text(64),
    "description": _text(500),
    "code": _text(64),
    "quantity": _quantity,
    "unit_price": _quantity,
    "amount": _money,
    "discount": _money,
    "vat_rate": _vat_rate,
}
_COLUMNS = {
    "invoice_type",
    "afip_code",
    "point_of_sale",
    "number",
    "issue_date",
    "issuer_cuit",
    "issuer_name",
    "receiver_doc_number",
    "cae",
    "cae_due_date",
    "currency",
    "net_amount",
    "total",
}
_ITEM_KEY = re.compile(r"^items?\.(\d+)\.([a-z_]+)$")


def parse_value(field: str, raw: str) -> tuple[str, int | None, str, Any]:
    """Check one correction: ``(field, item number or None, item field, parsed JSON value)``."""
    name = field.strip().lower().replace("-", "_")
    m = _ITEM_KEY.match(name)
    if m:
        line, sub = int(m.group(1)), m.group(2)
        if sub not in ITEM_FIELDS:
            raise CorrectionError(f"campo de ítem {sub!r} desconocido; se corrigen: {', '.join(ITEM_FIELDS)}")
        if line < 1:
            raise CorrectionError("los ítems se numeran desde 1")
        return f"items.{line}.{sub}", line, sub, ITEM_FIELDS[sub](raw)
    if name not in HEADER_FIELDS:
        raise CorrectionError(f"campo {field!r} desconocido; se corrigen: {', '.join(HEADER_FIELDS)} e items.N.campo")
    return name, None, name, HEADER_FIELDS[name](raw)


# --- applying ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AppliedCorrection:
    field: str
    old: Any
    new: Any

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


def _column_value(name: str, value: Any) -> Any:
    if name in ("issue_date", "cae_due_date"):
        return dt.date.fromisoformat(value)
    if name in ("net_amount", "total"):
        return Decimal(value)
    return value


def _known_skus(session: Session) -> set[str]:
    from minimarket.store.models import Product

    skus = set(session.scalars(select(Product.sku)))
    try:
        from minimarket.catalog import bundled_products

        skus.update(p.sku for p in bundled_products())
    except (FileNotFoundError, ValueError):
        pass
    return skus


def correct_invoice(
    session: Session,
    invoice_id: int,
    corrections: Sequence[tuple[str, str]],
    *,
    author: str,
    status: Status | None = None,
    reason: str = "corrección manual",
) -> list[AppliedCorrection]:
    """Validate and apply ``corrections`` to invoice ``invoice_id`` (all or nothing); returns the changes
    (fields whose value did not change are left out). ``status`` optionally sets the status afterwards
    (e.g. ``accepted`` once the person has checked everything)."""
    if not author.strip():
        raise CorrectionError("una corrección necesita un autor")
    if not corrections and status is None:
        raise CorrectionError("no hay nada que corregir: indique al menos un campo")
    invoice = get_invoice_row(session, invoice_id)
    payload = dict(invoice.payload)
    items = [dict(item) for item in payload.get("items") or []]
    parsed = [parse_value(field, raw) for field, raw in corrections]
    skus = None
    for _key, line, sub, value in parsed:
        if line is not None and line > len(items):
            raise CorrectionError(f"la factura {invoice_id} tiene {len(items)} ítems; no existe el ítem {line}")
        if sub == "sku" and line is not None:
            skus = skus if skus is not None else _known_skus(session)
            if value not in skus:
                raise CorrectionError(f"el SKU {value!r} no está en el catálogo")
    applied: list[AppliedCorrection] = []
    sources = dict(payload.get("sources") or {})
    confidence = dict(payload.get("confidence") or {})
    rows = {row.line_no: row for row in invoice.items}
    for key, line, sub, value in parsed:
        if line is None:
            old = payload.get(key)
            if old == value:
                continue
            payload[key] = value
            sources[key] = Source.MANUAL.value
            confidence[key] = 1.0
            if key in _COLUMNS:
                setattr(invoice, key, _column_value(key, value))
        else:
            item = items[line - 1]
            old = item.get(sub)
            if old == value:
                continue
            item[sub] = value
            if sub == "sku":
                item["sku_confidence"] = 1.0
            sources[key] = Source.MANUAL.value
            _update_item_row(rows.get(line), sub, value)
        applied.append(AppliedCorrection(key, old, value))
    payload["items"] = items
    payload["sources"] = sources
    payload["confidence"] = confidence
    invoice.payload = payload
    for change in applied:
        invoice.events.append(
            InvoiceEvent(
                kind=CORRECTED,
                from_status=invoice.status,
                to_status=invoice.status,
                author=author,
                detail=change.as_dict(),
            )
        )
    try:
        session.flush()
    except IntegrityError:
        raise CorrectionError(
            "con esa corrección la factura repetiría la clave fiscal (CUIT, tipo, punto de venta, número) de otra ya "
            "guardada"
        ) from None
    if status is not None and str(status) != invoice.status:
        set_status(session, invoice_id, status, author=author, reason=reason, detail={"after": CORRECTED})
    return applied


def _update_item_row(row: InvoiceItem | None, sub: str, value: Any) -> None:
    if row is None:
        return
    if sub in ("quantity", "unit_price", "amount", "discount", "vat_rate"):
        setattr(row, sub, Decimal(value))
    else:
        setattr(row, sub, value)
    if sub == "sku":
        row.sku_confidence = 1.0


# --- reading them back as labels --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfirmedItem:
    """An item line whose SKU a person confirmed (corrected invoice) or the matcher was sure of on an accepted one."""

    supplier_cuit: str | None
    code: str | None
    description: str
    sku: str
    manual: bool


@dataclass(frozen=True, slots=True)
class LabelledInvoice:
    """A corrected invoice: its payload after the corrections, and which fields a person set."""

    invoice_id: int
    source_file: str | None
    payload: dict[str, Any]
    corrected_fields: list[str]


def _corrected(session: Session) -> dict[int, list[str]]:
    fields: dict[int, list[str]] = {}
    for invoice_id, detail in session.execute(
        select(InvoiceEvent.invoice_id, InvoiceEvent.detail).where(InvoiceEvent.kind == CORRECTED)
    ):
        fields.setdefault(invoice_id, []).append(str((detail or {}).get("field", "")))
    return fields


def labelled_invoices(session: Session) -> list[LabelledInvoice]:
    """Every invoice of the shop with at least one correction, oldest first."""
    corrected = _corrected(session)
    if not corrected:
        return []
    rows: Iterable[Invoice] = session.scalars(select(Invoice).where(Invoice.id.in_(corrected)).order_by(Invoice.id))
    return [LabelledInvoice(row.id, row.source_file, dict(row.payload), corrected[row.id]) for row in rows]


def confirmed_items(session: Session) -> list[ConfirmedItem]:
    """Items with a SKU from corrected invoices (all of them: a person reviewed the invoice) and from accepted
    ones (matcher confidence ≥ :data:`HIGH_CONFIDENCE`); a manually set SKU wins for the same line text."""
    corrected = _corrected(session)
    statement = select(Invoice).where((Invoice.status == Status.ACCEPTED.value) | Invoice.id.in_(corrected or [-1]))
    out: dict[tuple[str | None, str], ConfirmedItem] = {}
    for invoice in session.scalars(statement.order_by(Invoice.id)):
        payload = invoice.payload or {}
        reviewed = invoice.id in corrected
        manual_lines = {
            int(f.split(".")[1]) for f in corrected.get(invoice.id, []) if f.startswith("items.") and f.endswith(".sku")
        }
        for number, item in enumerate(payload.get("items") or [], start=1):
            sku = item.get("sku")
            description = str(item.get("description") or "").strip()
            if not sku or not description:
                continue
            manual = number in manual_lines
            confident = (item.get("sku_confidence") or 0.0) >= HIGH_CONFIDENCE
            if not (manual or reviewed or confident):
                continue
            key = (invoice.issuer_cuit, description.casefold())
            if key in out and out[key].manual and not manual:
                continue
            out[key] = ConfirmedItem(invoice.issuer_cuit, item.get("code"), description, str(sku), manual)
    return list(out.values())
