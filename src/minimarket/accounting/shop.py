"""The accountant's work on one shop's store: what the CLI, the API and the dashboards call with a session."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from minimarket.accounting.arca_export import ArcaExport
from minimarket.accounting.libro_iva import PurchasesBook, purchases_book
from minimarket.accounting.periods import Period
from minimarket.accounting.reconcile import Reconciliation, reconcile
from minimarket.domain.invoice import ExtractedInvoice

__all__ = ["book_for_period", "reconcile_with_store"]


def reconcile_with_store(
    session: Session, export: ArcaExport, period: Period | None = None, *, author: str = "system", save: bool = True
) -> tuple[Reconciliation, int | None]:
    """Reconcile ``export`` with the session shop's invoices; the run is stored unless ``save`` is false.
    Returns the reconciliation and the run's id."""
    from minimarket.store.accounting import save_run, stored_for_reconciliation

    result = reconcile(export, stored_for_reconciliation(session), period)
    run_id = save_run(session, result, author=author).id if save else None
    return result, run_id


def book_for_period(session: Session, period: Period) -> PurchasesBook:
    """The Libro IVA purchases of ``period`` from the shop's stored invoices (accepted ones written, the others
    listed)."""
    from minimarket.store.accounting import invoices_between

    pairs: list[tuple[int | None, ExtractedInvoice]] = []
    for row in invoices_between(session, period.first_day, period.last_day):
        payload: dict[str, Any] = dict(row.payload or {})
        payload["status"] = row.status
        pairs.append((row.id, ExtractedInvoice.model_validate(payload)))
    return purchases_book(pairs, period)
