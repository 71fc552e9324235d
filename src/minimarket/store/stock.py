"""Stock and cost queries for reorder advice and price suggestions (this shop's rows only)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from minimarket.pricing import CostObservation
from minimarket.store.models import Invoice, InvoiceItem, Product, Sale, StockMovement, Supplier


def stock_levels(session: Session) -> dict[str, Decimal]:
    """Units on hand per SKU: the sum of its stock movements (invoice items in, sales out, adjustments)."""
    rows = session.execute(select(StockMovement.sku, func.sum(StockMovement.quantity)).group_by(StockMovement.sku))
    return {sku: Decimal(str(total or 0)) for sku, total in rows}


def daily_sales(session: Session, *, days: int, end: dt.date | None = None) -> tuple[dt.date, dict[str, np.ndarray]]:
    """Net units sold per SKU and day over the ``days`` days ending at ``end`` (default: last sale day)."""
    last = end or session.scalar(select(func.max(Sale.date)))
    if last is None:
        return dt.date.today(), {}
    first = last - dt.timedelta(days=days - 1)
    rows = session.execute(
        select(Sale.sku, Sale.date, func.sum(Sale.quantity))
        .where(Sale.date >= first, Sale.date <= last)
        .group_by(Sale.sku, Sale.date)
    )
    out: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(days))
    for sku, date, qty in rows:
        out[sku][(date - first).days] += max(0.0, float(qty))
    return last, dict(out)


def products_with_suppliers(session: Session) -> list[tuple[Product, Supplier | None]]:
    statement = select(Product, Supplier).outerjoin(Supplier, Product.supplier_id == Supplier.id).where(Product.active)
    return [(p, s) for p, s in session.execute(statement.order_by(Product.sku)).all()]


def invoice_label(invoice: Invoice) -> str:
    """``A 00003-00001234`` (type, point of sale, number) or the invoice id when incomplete."""
    if invoice.point_of_sale is None or invoice.number is None:
        return f"factura #{invoice.id}"
    return f"{invoice.invoice_type or ''} {invoice.point_of_sale:05d}-{invoice.number:08d}".strip()


def invoiced_costs(session: Session) -> dict[str, list[CostObservation]]:
    """Invoiced unit costs per SKU, oldest first (rejected invoices and unpriced lines left out)."""
    statement = (
        select(InvoiceItem, Invoice)
        .join(Invoice, InvoiceItem.invoice_id == Invoice.id)
        .where(InvoiceItem.sku.is_not(None), InvoiceItem.unit_price.is_not(None), Invoice.status != "rejected")
        .order_by(Invoice.issue_date, Invoice.id, InvoiceItem.line_no)
        .options(defer(Invoice.payload), defer(InvoiceItem.description))  # not needed; JSON parsing dominated
    )
    out: dict[str, list[CostObservation]] = defaultdict(list)
    for item, invoice in session.execute(statement).all():
        if item.unit_price is None or item.unit_price <= 0 or item.sku is None:
            continue
        unit = Decimal(item.unit_price)
        if item.discount and item.quantity:
            unit -= Decimal(item.discount) / Decimal(item.quantity)
        out[item.sku].append(
            CostObservation(
                sku=item.sku,
                unit_cost=unit.quantize(Decimal("0.0001")),
                date=invoice.issue_date or invoice.created_at.date(),
                invoice=invoice_label(invoice),
                supplier=invoice.issuer_name or invoice.issuer_cuit,
            )
        )
    return dict(out)
