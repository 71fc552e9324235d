"""Store extracted invoices once, keep their audit trail, and find them again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from minimarket.domain.invoice import ExtractedInvoice, Status
from minimarket.store.models import Invoice, InvoiceEvent, InvoiceItem, StockMovement, Supplier, utcnow


class InvoiceNotStorable(ValueError):
    """The extraction has no readable invoice (rejected, or no file hash)."""


@dataclass(frozen=True, slots=True)
class SaveOutcome:
    """What happened to one invoice: stored anew, or recognised as a duplicate of ``invoice_id``."""

    invoice_id: int
    created: bool
    duplicate_of: str | None = None
    """``"sha256"`` (the same file) or ``"fiscal_key"`` (same issuer, type, point of sale and number)."""

    def as_dict(self) -> dict[str, Any]:
        return {"invoice_id": self.invoice_id, "created": self.created, "duplicate_of": self.duplicate_of}


def _fiscal_key_complete(extracted: ExtractedInvoice) -> bool:
    return all(part is not None for part in extracted.fiscal_key)


def find_duplicate(session: Session, extracted: ExtractedInvoice) -> tuple[Invoice, str] | None:
    """The stored invoice this one duplicates (same file first, then same fiscal key), if any."""
    if extracted.sha256:
        same_file = session.scalars(select(Invoice).where(Invoice.sha256 == extracted.sha256)).first()
        if same_file is not None:
            return same_file, "sha256"
    if _fiscal_key_complete(extracted):
        same_key = session.scalars(
            select(Invoice).where(
                Invoice.issuer_cuit == extracted.issuer_cuit,
                Invoice.afip_code == extracted.afip_code,
                Invoice.point_of_sale == extracted.point_of_sale,
                Invoice.number == extracted.number,
            )
        ).first()
        if same_key is not None:
            return same_key, "fiscal_key"
    return None


def _invoice_row(extracted: ExtractedInvoice, supplier_id: int | None) -> Invoice:
    return Invoice(
        sha256=extracted.sha256,
        source_file=extracted.source_file,
        invoice_type=extracted.invoice_type,
        afip_code=extracted.afip_code,
        point_of_sale=extracted.point_of_sale,
        number=extracted.number,
        issue_date=extracted.issue_date,
        issuer_cuit=extracted.issuer_cuit,
        issuer_name=extracted.issuer_name,
        supplier_id=supplier_id,
        receiver_doc_type=extracted.receiver_doc_type,
        receiver_doc_number=extracted.receiver_doc_number,
        cae=extracted.cae,
        cae_due_date=extracted.cae_due_date,
        currency=extracted.currency,
        exchange_rate=extracted.exchange_rate,
        net_amount=extracted.net_amount,
        vat_amount=extracted.vat_total if extracted.vat else None,
        other_taxes_amount=extracted.other_taxes_total if extracted.other_taxes else None,
        total=extracted.total,
        status=str(extracted.status),
        payload=extracted.to_json_dict(),
        items=[
            InvoiceItem(
                line_no=index,
                code=item.code,
                description=item.description,
                quantity=item.quantity,
                unit=item.unit,
                unit_price=item.unit_price,
                discount=item.discount,
                amount=item.amount,
                vat_rate=item.vat_rate,
                sku=item.sku,
                sku_confidence=item.sku_confidence,
            )
            for index, item in enumerate(extracted.items, start=1)
        ],
    )


def save_extracted(session: Session, extracted: ExtractedInvoice, *, author: str = "system") -> SaveOutcome:
    """Store an extracted invoice with its items and a ``created`` event, idempotently.

    The same file (sha256) or the same fiscal key twice is one invoice: the second call records a
    ``duplicate_seen`` event on the stored one and returns ``created=False``. Safe under concurrent
    writers: a unique-constraint race is resolved to the row that won.
    """
    if extracted.status == Status.REJECTED or extracted.error is not None:
        reason = extracted.error.message if extracted.error else "rejected"
        raise InvoiceNotStorable(f"No se guarda un comprobante ilegible: {reason}")
    if not extracted.sha256:
        raise InvoiceNotStorable("The extracted invoice has no sha256 of its file")

    found = find_duplicate(session, extracted)
    if found is not None:
        return _record_duplicate(session, found[0], found[1], extracted, author)

    supplier_id = None
    if extracted.issuer_cuit:
        supplier_id = session.scalars(select(Supplier.id).where(Supplier.cuit == extracted.issuer_cuit)).first()
    row = _invoice_row(extracted, supplier_id)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
            row.events.append(
                InvoiceEvent(
                    kind="created",
                    to_status=row.status,
                    author=author,
                    detail={"source_file": extracted.source_file, "failed_checks": _failed(extracted)},
                )
            )
            if extracted.status == Status.ACCEPTED:
                _stock_in(session, row)
            session.flush()
    except IntegrityError:
        found = find_duplicate(session, extracted)
        if found is None:
            raise
        return _record_duplicate(session, found[0], found[1], extracted, author)
    return SaveOutcome(invoice_id=row.id, created=True)


def _failed(extracted: ExtractedInvoice) -> list[str]:
    return [check.name for check in extracted.failed_checks]


def _record_duplicate(
    session: Session, existing: Invoice, reason: str, extracted: ExtractedInvoice, author: str
) -> SaveOutcome:
    existing.events.append(
        InvoiceEvent(
            kind="duplicate_seen",
            from_status=existing.status,
            to_status=existing.status,
            author=author,
            detail={"by": reason, "source_file": extracted.source_file, "sha256": extracted.sha256},
        )
    )
    session.flush()
    return SaveOutcome(invoice_id=existing.id, created=False, duplicate_of=reason)


def _stock_in(session: Session, invoice: Invoice) -> None:
    """Stock movements for the invoice's matched items in shelf units (a box of 10 is 10 units; credit notes take
    stock out)."""
    from minimarket.store.packs import catalog_entries, confirmed_conversions, stock_units

    sign = Decimal(-1) if _is_credit_note(invoice.afip_code) else Decimal(1)
    catalog, confirmed = catalog_entries(session), confirmed_conversions(session)
    for item in invoice.items:
        if not item.sku or item.quantity is None:
            continue
        session.add(
            StockMovement(
                sku=item.sku,
                quantity=sign * stock_units(session, invoice, item, catalog=catalog, confirmed=confirmed),
                kind="invoice_in" if sign > 0 else "credit_note_out",
                reference=f"invoice:{invoice.id}",
                idempotency_key=f"invoice:{invoice.id}:line:{item.line_no}",
            )
        )


def _is_credit_note(afip_code: int | None) -> bool:
    if afip_code is None:
        return False
    from minimarket.domain.afip import DOCUMENT_TYPES

    doc = DOCUMENT_TYPES.get(afip_code)
    return doc is not None and doc.is_credit_note


def set_status(
    session: Session,
    invoice_id: int,
    status: Status,
    *,
    author: str,
    reason: str,
    detail: dict[str, Any] | None = None,
) -> Invoice:
    """Change an invoice's status with an audit event (stock enters when it becomes accepted)."""
    invoice = get_invoice_row(session, invoice_id)
    previous = invoice.status
    invoice.status = str(status)
    payload = dict(invoice.payload)
    payload["status"] = str(status)
    invoice.payload = payload
    invoice.events.append(
        InvoiceEvent(
            kind="status_changed",
            from_status=previous,
            to_status=str(status),
            author=author,
            detail={"reason": reason, **(detail or {})},
        )
    )
    session.flush()
    sync_stock(session, invoice, change=f"event:{invoice.events[-1].id}")
    session.flush()
    return invoice


def _desired_stock(session: Session, invoice: Invoice) -> dict[str, Decimal]:
    """Shelf units per SKU the invoice puts in stock while accepted (credit notes take them out), nothing
    otherwise."""
    from minimarket.store.packs import catalog_entries, confirmed_conversions, stock_units

    if invoice.status != Status.ACCEPTED:
        return {}
    sign = Decimal(-1) if _is_credit_note(invoice.afip_code) else Decimal(1)
    catalog, confirmed = catalog_entries(session), confirmed_conversions(session)
    out: dict[str, Decimal] = {}
    for item in invoice.items:
        if item.sku and item.quantity is not None:
            units = stock_units(session, invoice, item, catalog=catalog, confirmed=confirmed)
            out[item.sku] = out.get(item.sku, Decimal(0)) + sign * units
    return out


def sync_stock(session: Session, invoice: Invoice, *, change: str) -> int:
    """Bring the invoice's stock movements in line with it: its items while it is accepted, nothing otherwise
    (a rejected or corrected invoice gets compensating movements; the ledger is never rewritten). ``change``
    names what caused it (an event), so that each movement's idempotency key is unique. Returns how many
    movements were added. Call it with the invoice locked (:func:`lock_invoice`) when writers may race."""
    reference = f"invoice:{invoice.id}"
    moved: dict[str, Decimal] = {}
    for sku, quantity in session.execute(
        select(StockMovement.sku, StockMovement.quantity).where(StockMovement.reference == reference)
    ):
        moved[sku] = moved.get(sku, Decimal(0)) + Decimal(quantity)
    desired = _desired_stock(session, invoice)
    if not moved and desired:
        before = len(session.new)
        _stock_in(session, invoice)
        return len(session.new) - before
    added = 0
    for sku in sorted(set(moved) | set(desired)):
        delta = desired.get(sku, Decimal(0)) - moved.get(sku, Decimal(0))
        if delta == 0:
            continue
        session.add(
            StockMovement(
                sku=sku,
                quantity=delta,
                kind="invoice_adjust",
                reference=reference,
                idempotency_key=f"{reference}:{change}:{sku}",
            )
        )
        added += 1
    return added


def lock_invoice(session: Session, invoice_id: int) -> Invoice:
    """The invoice, read after taking its write lock, so that concurrent reviews of it run one after another.

    The lock is an UPDATE of the row: PostgreSQL locks the row until the transaction ends, SQLite takes the
    database's write lock (waiting up to its busy timeout). The row is then read again as committed by whoever
    held the lock before. LookupError if this shop has no such invoice."""
    result = session.execute(
        update(Invoice)
        .where(Invoice.id == invoice_id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) == 0:
        raise LookupError(f"no invoice {invoice_id} in this shop")
    statement = select(Invoice).where(Invoice.id == invoice_id).execution_options(populate_existing=True)
    invoice = session.scalars(statement).one()
    session.refresh(invoice, ["items", "events"])
    return invoice


def get_invoice_row(session: Session, invoice_id: int) -> Invoice:
    """The stored invoice of this shop with ``invoice_id``; LookupError if there is none."""
    invoice = session.scalars(select(Invoice).where(Invoice.id == invoice_id)).one_or_none()
    if invoice is None:
        raise LookupError(f"no invoice {invoice_id} in this shop")
    return invoice


def stored_by_hash(session: Session, sha256: str) -> tuple[int, dict[str, Any]] | None:
    """This shop's stored invoice of the file with ``sha256`` (its id and its extracted-invoice JSON as stored,
    corrections and review included), or None: a document sent again is answered without reading it again."""
    row = session.execute(select(Invoice.id, Invoice.status, Invoice.payload).where(Invoice.sha256 == sha256)).first()
    if row is None:
        return None
    payload = dict(row.payload)
    payload["status"] = row.status
    return row.id, payload


def record_duplicate_upload(
    session: Session, invoice_id: int, source_file: str, sha256: str, *, author: str, status: str | None = None
) -> SaveOutcome:
    """The same file sent again (found by :func:`stored_by_hash`): a ``duplicate_seen`` event, as
    :func:`save_extracted` records it, without reading the document again. ``status`` is the invoice's status
    as :func:`stored_by_hash` read it in this same transaction (read again when not given)."""
    if status is None:
        status = session.scalar(select(Invoice.status).where(Invoice.id == invoice_id))
    session.add(
        InvoiceEvent(
            invoice_id=invoice_id,
            kind="duplicate_seen",
            from_status=status,
            to_status=status,
            author=author,
            detail={"by": "sha256", "source_file": source_file, "sha256": sha256},
        )
    )
    session.flush()
    return SaveOutcome(invoice_id=invoice_id, created=False, duplicate_of="sha256")


def get_invoice(session: Session, invoice_id: int) -> ExtractedInvoice:
    """The stored invoice in the extracted-invoice contract."""
    return ExtractedInvoice.model_validate(get_invoice_row(session, invoice_id).payload)


@dataclass(frozen=True, slots=True)
class InvoiceQuery:
    """Filters for :func:`search_invoices`; ``text`` matches issuer name/CUIT, number, CAE and item text."""

    text: str | None = None
    issuer_cuit: str | None = None
    status: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    min_total: Decimal | None = None
    max_total: Decimal | None = None
    limit: int = 50
    offset: int = 0
    max_text: int = 10_000
    """Longest ``text`` accepted (``Settings.max_search_text`` for a door that has settings)."""


def search_invoices(session: Session, query: InvoiceQuery) -> tuple[list[Invoice], int]:
    """Invoices of this shop matching ``query``, newest first, and the total count before paging.

    Text and filters are those of :mod:`minimarket.store.search` (full text; ``%`` and ``_`` are text).
    """
    from minimarket.store.search import SearchQuery, filtered, validate

    wanted = SearchQuery(
        text=query.text,
        issuer_cuit=query.issuer_cuit,
        status=query.status,
        date_from=query.date_from,
        date_to=query.date_to,
        min_total=query.min_total,
        max_total=query.max_total,
        max_text=query.max_text,
    )
    validate(wanted)
    statement = filtered(session, wanted).order_by(Invoice.issue_date.desc(), Invoice.id.desc())
    rows: list[Invoice] = list(session.scalars(statement))
    return rows[query.offset : query.offset + query.limit], len(rows)
