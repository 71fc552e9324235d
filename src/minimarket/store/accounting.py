"""The store's side of the accountant's work: the stored invoices as the reconciliation and the Libro
IVA see them, and the reconciliation runs kept per shop."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minimarket.accounting.reconcile import KEY_FIELDS, Reconciliation, StoredInvoice
from minimarket.store.models import Invoice, InvoiceEvent, ReconciliationRun

__all__ = [
    "get_run",
    "invoices_between",
    "list_runs",
    "save_run",
    "stored_for_reconciliation",
]


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value))


def _corrected_keys(session: Session) -> dict[int, dict[str, tuple[Any, Any]]]:
    """Per invoice, the key fields a person corrected: field → (first value read, value now)."""
    out: dict[int, dict[str, tuple[Any, Any]]] = {}
    statement = select(InvoiceEvent.invoice_id, InvoiceEvent.detail).where(InvoiceEvent.kind == "corrected")
    for invoice_id, detail in session.execute(statement.order_by(InvoiceEvent.id)):
        name = str((detail or {}).get("field", ""))
        if name not in KEY_FIELDS:
            continue
        fields = out.setdefault(invoice_id, {})
        old = fields[name][0] if name in fields else (detail or {}).get("old")
        fields[name] = (old, (detail or {}).get("new"))
    return out


def stored_view(row: Invoice, corrected: dict[str, tuple[Any, Any]] | None = None) -> StoredInvoice:
    """A stored invoice as :mod:`minimarket.accounting.reconcile` sees it."""
    payload = row.payload or {}
    vat = tuple(
        (Decimal(str(line.get("rate"))), Decimal(str(line.get("base") or 0)), Decimal(str(line.get("amount") or 0)))
        for line in payload.get("vat") or []
        if line.get("rate") is not None
    )
    other = payload.get("other_taxes") or []
    return StoredInvoice(
        invoice_id=row.id,
        issuer_cuit=row.issuer_cuit,
        afip_code=row.afip_code,
        point_of_sale=row.point_of_sale,
        number=row.number,
        issue_date=row.issue_date,
        total=_decimal(row.total),
        status=row.status,
        issuer_name=row.issuer_name,
        cae=row.cae,
        currency=row.currency or "PES",
        exchange_rate=_decimal(row.exchange_rate),
        net_amount=_decimal(row.net_amount),
        exempt_amount=_decimal(payload.get("exempt_amount")),
        untaxed_amount=_decimal(payload.get("untaxed_amount")),
        vat=vat,
        other_taxes=sum((Decimal(str(t.get("amount") or 0)) for t in other), Decimal(0)) if other else None,
        source_file=row.source_file,
        key_sources={k: str(v) for k, v in (payload.get("sources") or {}).items() if k in KEY_FIELDS},
        corrected_key=corrected or {},
    )


def stored_for_reconciliation(session: Session) -> list[StoredInvoice]:
    """Every invoice of the session's shop (any date and status: the reconciliation decides what is in scope)."""
    corrected = _corrected_keys(session)
    rows = session.scalars(select(Invoice).order_by(Invoice.id))
    return [stored_view(row, corrected.get(row.id)) for row in rows]


def invoices_between(session: Session, first: dt.date, last: dt.date) -> list[Invoice]:
    """The shop's invoices issued from ``first`` to ``last`` (any status), by date then id."""
    statement = (
        select(Invoice)
        .where(Invoice.issue_date >= first, Invoice.issue_date <= last)
        .order_by(Invoice.issue_date, Invoice.id)
    )
    return list(session.scalars(statement))


def save_run(session: Session, result: Reconciliation, *, author: str = "system") -> ReconciliationRun:
    """Keep one reconciliation (its whole report) for the session's shop."""
    export = result.export
    row = ReconciliationRun(
        source_file=str(export.get("file_name") or "")[:500],
        sha256=str(export.get("sha256") or ""),
        period=result.period,
        generation=str(export.get("generation") or ""),
        rows=int(export.get("rows") or 0),
        matched=result.matched,
        flags=result.flags,
        author=author[:100],
        report=result.as_dict(),
    )
    session.add(row)
    session.flush()
    return row


def run_summary(run: ReconciliationRun) -> dict[str, Any]:
    """A run without its entries: when, which file, which period, the counts."""
    summary = dict((run.report or {}).get("summary") or {})
    return {
        "run_id": run.id,
        "created_at": run.created_at.isoformat() if run.created_at else None,
        "author": run.author,
        "source_file": run.source_file,
        "sha256": run.sha256,
        "period": run.period,
        "generation": run.generation,
        "rows": run.rows,
        "matched": run.matched,
        "flags": run.flags,
        "counts": {k: v for k, v in summary.items() if isinstance(v, int)},
    }


def list_runs(session: Session, limit: int = 50) -> list[ReconciliationRun]:
    """The shop's latest runs, newest first."""
    statement = select(ReconciliationRun).order_by(ReconciliationRun.created_at.desc(), ReconciliationRun.id.desc())
    return list(session.scalars(statement.limit(limit)))


def get_run(session: Session, run_id: int) -> ReconciliationRun:
    """The shop's run ``run_id``; ``LookupError`` if there is none."""
    run = session.scalars(select(ReconciliationRun).where(ReconciliationRun.id == run_id)).one_or_none()
    if run is None:
        raise LookupError(f"no hay una conciliación {run_id} en este comercio")
    return run
