"""Reviews by a person: corrections validated and applied, the auditor's checks run again, the status decided,
stock moved once, everything audited — and the corrections read back as labels for training.

:func:`review_invoice` is the one entry point (the CLI's ``invoices correct``/``invoices review``, the service's
``POST invoices/{id}/review`` and the dashboards' review queue call it). A review has corrections — ``(field,
value)`` pairs such as ``("total", "1234,56")``, ``("issue_date", "01/10/2026")``, ``("items.3.sku", "YER-0001")``
or ``("vat.1.amount", "210")`` (items and VAT lines numbered from 1 as ``minimarket invoices show`` prints them)
— an action and an author:

- ``correct``: apply the corrections; the checks run again (:func:`minimarket.documents.reconcile.recheck`) and
  the status follows them (``accepted`` when every check passes, else ``needs_review``; a rejected invoice stays
  rejected);
- ``confirm``: the person vouches for the invoice (after the corrections, if any): it becomes ``accepted``.
  Refused while a check on its figures fails (they must be corrected first); a check against the document (QR,
  barcode) that fails is overridden and recorded as such;
- ``reject``: the invoice becomes ``rejected``.

Every value is checked first with the domain parsers and plausible bounds (no negative total, no issue date in
the future or before 1990...) — all or nothing: one bad value and nothing changes (:class:`CorrectionError`,
Spanish message). Each change is an ``InvoiceEvent(kind="corrected")`` and the review one ``reviewed`` event.
Stock follows the status: an invoice's items are in stock exactly while it is accepted
(:func:`minimarket.store.invoices.sync_stock`), also when several people review it at once (the invoice is
locked for the review).

The next training run reads them back: :func:`confirmed_items` (per-supplier aliases for product matching)
and :func:`labelled_invoices` (corrected payloads as ground truth for evaluation).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from minimarket.config import Settings
from minimarket.documents.reconcile import is_evidence_check, recheck
from minimarket.domain.afip import DOCUMENT_TYPES, VALID_VAT_RATES
from minimarket.domain.bounds import FUTURE_SLACK, OutOfBounds, check_date, check_money, check_quantity
from minimarket.domain.cuit import InvalidCuit, normalize_cuit
from minimarket.domain.invoice import Check, ExtractedInvoice, Source, Status
from minimarket.domain.money import to_cents
from minimarket.domain.numbers import parse_amount
from minimarket.store.invoices import lock_invoice, sync_stock
from minimarket.store.models import Invoice, InvoiceEvent

__all__ = [
    "HEADER_FIELDS",
    "ITEM_FIELDS",
    "VAT_FIELDS",
    "AppliedCorrection",
    "ConfirmedItem",
    "Correction",
    "CorrectionError",
    "LabelledInvoice",
    "ReviewAction",
    "ReviewOutcome",
    "ReviewRefused",
    "confirmed_items",
    "correct_invoice",
    "labelled_invoices",
    "parse_value",
    "review_invoice",
]

CORRECTED = "corrected"
REVIEWED = "reviewed"
HIGH_CONFIDENCE = 0.9
"""SKUs of accepted (not corrected) invoices count as confirmed only from this matcher confidence up."""


class CorrectionError(ValueError):
    """A correction that cannot be applied (unknown field, bad value, unknown item or SKU)."""


# --- parsers ---------------------------------------------------------------------------------------------------


def _number(text: str, what: str, example: str) -> Decimal:
    try:
        return parse_amount(text.strip())
    except (ValueError, ArithmeticError):
        raise CorrectionError(f"{text!r} no es {what}; use {example}") from None


def _bounded(check: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return check(*args, **kwargs)
    except OutOfBounds as exc:
        raise CorrectionError(str(exc)) from None


def _money(what: str, *, negative: bool = False) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = _number(text, "un importe", "1234.56 o 1.234,56")
        return str(to_cents(_bounded(check_money, value, what, negative=negative)))

    return parse


def _quantity(what: str, *, negative: bool = False, zero: bool = False) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = _number(text, "un número", "2, 1.5 o 1,5")
        value = _bounded(check_quantity, value, what, negative=negative, zero=zero)
        return format(value.normalize(), "f")

    return parse


def _unit_price(text: str) -> str:
    value = _number(text, "un precio", "1234.56 o 1.234,56")
    value = _bounded(check_money, value, "precio unitario", negative=True)
    _bounded(check_quantity, abs(value) or Decimal(1), "precio unitario")  # decimals
    return format(value.normalize(), "f")


def _date(what: str, future: dt.timedelta = FUTURE_SLACK) -> Callable[[str], str]:
    def parse(text: str) -> str:
        raw = text.strip()
        for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
            try:
                value = dt.datetime.strptime(raw, pattern).date()
            except ValueError:
                continue
            return str(_bounded(check_date, value, what, future=future).isoformat())
        raise CorrectionError(f"{text!r} no es una fecha; use AAAA-MM-DD o dd/mm/aaaa")

    return parse


def _cuit(text: str) -> str:
    try:
        return normalize_cuit(text)
    except (InvalidCuit, ValueError) as exc:
        raise CorrectionError(f"CUIT {text!r} inválido: {exc}") from None


def _int_range(low: int, high: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        raw = text.strip()
        if not raw.isascii() or not raw.isdigit() or len(raw) > 12 or not low <= int(raw) <= high:
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
    if not re.fullmatch(r"[0-9]{14}", digits):
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
        if not value or len(value) > limit or not value.isprintable():
            raise CorrectionError(f"el texto debe tener entre 1 y {limit} caracteres imprimibles")
        return value

    return parse


def _doc_number(text: str) -> str:
    digits = re.sub(r"[\s.-]", "", text)
    if not re.fullmatch(r"[0-9]{6,11}", digits):
        raise CorrectionError(f"documento {text!r} inválido; use el CUIT o DNI sin puntos")
    return digits


def _vat_rate(text: str) -> str:
    rate = _quantity("alícuota", zero=True)(text.rstrip("% "))
    if Decimal(rate) not in VALID_VAT_RATES:
        valid = ", ".join(format(r.normalize(), "f") for r in sorted(VALID_VAT_RATES))
        raise CorrectionError(f"alícuota {text!r} inválida; se admiten {valid}")
    return rate


CAE_DUE_SLACK = dt.timedelta(days=366)
"""A CAE falls due days after the invoice is issued: never more than a year from today."""

HEADER_FIELDS: dict[str, Callable[[str], Any]] = {
    "invoice_type": _letter,
    "afip_code": _afip_code,
    "point_of_sale": _int_range(1, 99999, "punto de venta"),
    "number": _int_range(1, 99_999_999, "número"),
    "issue_date": _date("fecha de emisión"),
    "issuer_cuit": _cuit,
    "issuer_name": _text(200),
    "receiver_doc_number": _doc_number,
    "cae": _cae,
    "cae_due_date": _date("vencimiento del CAE", CAE_DUE_SLACK),
    "currency": _currency,
    "net_amount": _money("neto"),
    "exempt_amount": _money("exento"),
    "untaxed_amount": _money("no gravado"),
    "total": _money("total"),
}
"""Header fields a person may correct, each with its parser (Spanish errors, plausible bounds)."""

ITEM_FIELDS: dict[str, Callable[[str], Any]] = {
    "sku": _text(64),
    "description": _text(500),
    "code": _text(64),
    "quantity": _quantity("cantidad"),
    "unit_price": _unit_price,
    "amount": _money("importe del ítem", negative=True),
    "discount": _money("bonificación"),
    "vat_rate": _vat_rate,
}
"""Fields of an item line (``items.N.field``); negative prices and amounts are discount lines."""

VAT_FIELDS: dict[str, Callable[[str], Any]] = {
    "rate": _vat_rate,
    "base": _money("base imponible"),
    "amount": _money("IVA"),
}
"""Fields of a VAT line (``vat.N.field``)."""

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
_LINE_KEY = re.compile(r"^(items?|vat)\.([0-9]{1,4})\.([a-z_]+)$")
_FISCAL_KEY = ("issuer_cuit", "afip_code", "point_of_sale", "number")


class Correction(NamedTuple):
    """One checked correction: ``key`` as recorded (``total``, ``items.3.sku``), the list it edits (``items``,
    ``vat`` or ``None`` for a header field), its line number from 1, the line's field and the JSON value."""

    key: str
    group: str | None
    line: int | None
    sub: str
    value: Any


def parse_value(field: str, raw: str) -> Correction:
    """Check one correction (parsers, bounds); :class:`CorrectionError` with a Spanish message if it is wrong."""
    if not isinstance(field, str) or not isinstance(raw, str) or len(field) > 100 or len(raw) > 1000:
        raise CorrectionError("cada corrección es un campo y un valor de texto (campo de hasta 100 caracteres)")
    name = field.strip().lower().replace("-", "_")
    m = _LINE_KEY.match(name)
    if m:
        group = "items" if m.group(1).startswith("item") else "vat"
        line, sub = int(m.group(2)), m.group(3)
        fields = ITEM_FIELDS if group == "items" else VAT_FIELDS
        if sub not in fields:
            what = "ítem" if group == "items" else "IVA"
            raise CorrectionError(f"campo de {what} {sub!r} desconocido; se corrigen: {', '.join(fields)}")
        if line < 1:
            raise CorrectionError("los ítems y las líneas de IVA se numeran desde 1")
        return Correction(f"{group}.{line}.{sub}", group, line, sub, fields[sub](raw))
    if name not in HEADER_FIELDS:
        raise CorrectionError(
            f"campo {field[:100]!r} desconocido; se corrigen: {', '.join(HEADER_FIELDS)}, items.N.campo y vat.N.campo"
        )
    return Correction(name, None, None, name, HEADER_FIELDS[name](raw))


# --- reviewing --------------------------------------------------------------------------------------------------


class ReviewAction(StrEnum):
    """What a person does with an invoice under review."""

    CORRECT = "correct"
    CONFIRM = "confirm"
    REJECT = "reject"


class ReviewRefused(CorrectionError):
    """The review is valid but cannot be done (confirming figures that do not add up)."""


@dataclass(frozen=True, slots=True)
class AppliedCorrection:
    field: str
    old: Any
    new: Any

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    """What a review did: the changes, the checks as they are now, the status before and after, which failing
    checks the person overrode by confirming, and how many stock movements it added."""

    invoice_id: int
    action: str
    author: str
    previous_status: str
    status: str
    changes: list[AppliedCorrection]
    checks: list[Check]
    overridden: list[str]
    stock_movements: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "invoice_id": self.invoice_id,
            "action": self.action,
            "author": self.author,
            "previous_status": self.previous_status,
            "status": self.status,
            "corrected": [c.as_dict() for c in self.changes],
            "checks": [c.model_dump(mode="json") for c in self.checks],
            "overridden": self.overridden,
            "stock_movements": self.stock_movements,
        }


def _known_skus(session: Session) -> set[str]:
    from minimarket.store.models import Product

    skus = set(session.scalars(select(Product.sku)))
    try:
        from minimarket.catalog import bundled_products

        skus.update(p.sku for p in bundled_products())
    except (FileNotFoundError, ValueError):
        pass
    return skus


def _action(action: str | ReviewAction) -> ReviewAction:
    try:
        return ReviewAction(str(action).strip().lower())
    except ValueError:
        raise CorrectionError(f"acción {str(action)[:40]!r} desconocida; use correct, confirm o reject") from None


def _person(author: str) -> str:
    value = " ".join(str(author or "").split())
    if not value or len(value) > 100 or not value.isprintable():
        raise CorrectionError("una revisión necesita un autor (de 1 a 100 caracteres imprimibles)")
    return value


def _note(reason: str | None) -> str | None:
    if reason is None:
        return None
    value = " ".join(reason.split())
    if len(value) > 500 or not value.isprintable():
        raise CorrectionError("el motivo debe tener como mucho 500 caracteres imprimibles")
    return value or None


def _apply(
    payload: dict[str, Any], parsed: Sequence[Correction], invoice_id: int
) -> tuple[dict[str, Any], list[AppliedCorrection]]:
    """The payload with the corrections applied (a new dict) and the changes (values that did not change left
    out); sources become ``manual`` with confidence 1."""
    out = dict(payload)
    lines = {group: [dict(line) for line in payload.get(group) or []] for group in ("items", "vat")}
    sources = dict(payload.get("sources") or {})
    confidence = dict(payload.get("confidence") or {})
    changes: list[AppliedCorrection] = []
    for correction in parsed:
        if correction.group is None:
            target: dict[str, Any] = out
        else:
            rows = lines[correction.group]
            if correction.line is None or correction.line > len(rows):
                what = "ítems" if correction.group == "items" else "líneas de IVA"
                raise CorrectionError(
                    f"la factura {invoice_id} tiene {len(rows)} {what}; no existe la número {correction.line}"
                    if correction.group == "vat"
                    else f"la factura {invoice_id} tiene {len(rows)} {what}; no existe el ítem {correction.line}"
                )
            target = rows[correction.line - 1]
        old = target.get(correction.sub)
        if old == correction.value:
            continue
        target[correction.sub] = correction.value
        if correction.group == "items" and correction.sub == "sku":
            target["sku_confidence"] = 1.0
        sources[correction.key] = Source.MANUAL.value
        if correction.group is None:
            confidence[correction.key] = 1.0
        changes.append(AppliedCorrection(correction.key, old, correction.value))
    out.update(lines)
    out["sources"] = sources
    out["confidence"] = confidence
    return out, changes


def _fiscal_key_taken(session: Session, invoice: Invoice, corrected: ExtractedInvoice) -> None:
    key = corrected.fiscal_key
    if any(part is None for part in key) or key == (
        invoice.issuer_cuit,
        invoice.afip_code,
        invoice.point_of_sale,
        invoice.number,
    ):
        return
    other = session.scalars(
        select(Invoice.id).where(
            Invoice.id != invoice.id,
            Invoice.issuer_cuit == key[0],
            Invoice.afip_code == key[1],
            Invoice.point_of_sale == key[2],
            Invoice.number == key[3],
        )
    ).first()
    if other is not None:
        raise CorrectionError(_key_message(invoice.id, other))


def _key_message(invoice_id: int, other: int | None) -> str:
    which = f"la factura {other}" if other is not None else "otra factura"
    return (
        f"con esa corrección la factura {invoice_id} repetiría la clave fiscal (CUIT, tipo, punto de venta, número) "
        f"de {which}, ya guardada; corrija el dato o rechace una de las dos"
    )


def _decide(
    action: ReviewAction, checked: ExtractedInvoice, previous: str, invoice_id: int, author: str
) -> tuple[str, list[Check], list[str]]:
    """(new status, checks to store, checks overridden by the person)."""
    if action == ReviewAction.REJECT:
        return Status.REJECTED.value, checked.checks, []
    if action == ReviewAction.CORRECT:
        status = Status.REJECTED.value if previous == Status.REJECTED else str(checked.status)
        return status, checked.checks, []
    failing = [check for check in checked.failed_checks if not is_evidence_check(check.name)]
    if failing:
        raise ReviewRefused(
            f"no se puede confirmar la factura {invoice_id}: "
            + " ".join(check.detail for check in failing)
            + " Corrija esos datos (o rechace la factura)."
        )
    overridden = [check.name for check in checked.failed_checks]
    checks = [
        check
        if check.ok
        else Check(name=check.name, ok=True, detail=f"{check.detail} — Revisado y confirmado por {author}.")
        for check in checked.checks
    ]
    return Status.ACCEPTED.value, checks, overridden


def _write(session: Session, invoice: Invoice, final: ExtractedInvoice, changes: Sequence[AppliedCorrection]) -> None:
    """Columns and item rows from the reviewed invoice (the payload is written by the caller)."""
    for change in changes:
        name = change.field
        if name in _COLUMNS:
            setattr(invoice, name, getattr(final, name))
    if any(change.field.startswith("vat.") for change in changes):
        invoice.vat_amount = final.vat_total if final.vat else None
    rows = {row.line_no: row for row in invoice.items}
    for change in changes:
        if not change.field.startswith("items."):
            continue
        _, line, sub = change.field.split(".")
        row = rows.get(int(line))
        if row is None:
            continue
        setattr(row, sub, getattr(final.items[int(line) - 1], sub))
        if sub == "sku":
            row.sku_confidence = 1.0


def review_invoice(
    session: Session,
    invoice_id: int,
    *,
    corrections: Sequence[tuple[str, str]] = (),
    action: str | ReviewAction = ReviewAction.CORRECT,
    author: str,
    reason: str | None = None,
    settings: Settings | None = None,
    today: dt.date | None = None,
) -> ReviewOutcome:
    """Review invoice ``invoice_id`` of the session's shop: apply ``corrections``, run the checks again, then
    ``correct`` / ``confirm`` / ``reject`` it (see the module's docstring). All or nothing.

    Raises :class:`CorrectionError` (a bad value, unknown field or item, a fiscal key another invoice has),
    :class:`ReviewRefused` (confirming figures that do not add up) and ``LookupError`` (no such invoice); their
    messages are Spanish, for the person who reviews.
    """
    act = _action(action)
    who = _person(author)
    note = _note(reason)
    parsed = [parse_value(field, raw) for field, raw in corrections]
    if act == ReviewAction.CORRECT and not parsed:
        raise CorrectionError("no hay nada que corregir: indique al menos un campo (p. ej. total=1234.56)")
    if any(c.group == "items" and c.sub == "sku" for c in parsed):
        skus = _known_skus(session)
        unknown = [c.value for c in parsed if c.group == "items" and c.sub == "sku" and c.value not in skus]
        if unknown:
            raise CorrectionError(f"el SKU {unknown[0]!r} no está en el catálogo")
    invoice = lock_invoice(session, invoice_id)
    previous = invoice.status
    payload, changes = _apply(dict(invoice.payload), parsed, invoice_id)
    corrected = ExtractedInvoice.model_validate(payload)
    _fiscal_key_taken(session, invoice, corrected)
    checked = recheck(corrected, settings, today, reviewed=act == ReviewAction.CONFIRM)
    status, checks, overridden = _decide(act, checked, previous, invoice_id, who)
    final = checked.model_copy(update={"checks": checks, "status": Status(status)})
    try:
        with session.begin_nested():
            _write(session, invoice, final, changes)
            invoice.status = status
            invoice.payload = final.to_json_dict()
            for change in changes:
                invoice.events.append(
                    InvoiceEvent(
                        kind=CORRECTED, from_status=previous, to_status=status, author=who, detail=change.as_dict()
                    )
                )
            event = InvoiceEvent(
                kind=REVIEWED,
                from_status=previous,
                to_status=status,
                author=who,
                detail={
                    "action": act.value,
                    "reason": note,
                    "fields": [c.field for c in changes],
                    "failed_checks": [c.name for c in checked.failed_checks],
                    "overridden": overridden,
                },
            )
            invoice.events.append(event)
            session.flush()
            moved = sync_stock(session, invoice, change=f"event:{event.id}")
            session.flush()
    except IntegrityError:
        other = session.scalars(
            select(Invoice.id).where(
                Invoice.id != invoice_id,
                Invoice.issuer_cuit == corrected.issuer_cuit,
                Invoice.afip_code == corrected.afip_code,
                Invoice.point_of_sale == corrected.point_of_sale,
                Invoice.number == corrected.number,
            )
        ).first()
        raise CorrectionError(_key_message(invoice_id, other)) from None
    return ReviewOutcome(
        invoice_id=invoice_id,
        action=act.value,
        author=who,
        previous_status=previous,
        status=status,
        changes=changes,
        checks=list(final.checks),
        overridden=overridden,
        stock_movements=moved,
    )


def correct_invoice(
    session: Session,
    invoice_id: int,
    corrections: Sequence[tuple[str, str]],
    *,
    author: str,
    status: Status | None = None,
    reason: str | None = None,
) -> list[AppliedCorrection]:
    """Corrections alone (``correct``), or with ``status=accepted`` a confirmation: :func:`review_invoice`'s
    changes. Kept for callers written before reviews."""
    action = ReviewAction.CONFIRM if status == Status.ACCEPTED else ReviewAction.CORRECT
    if status == Status.REJECTED:
        action = ReviewAction.REJECT
    outcome = review_invoice(session, invoice_id, corrections=corrections, action=action, author=author, reason=reason)
    return outcome.changes


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
