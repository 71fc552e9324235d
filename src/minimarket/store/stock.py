"""Stock and cost queries for reorder advice and price suggestions (this shop's rows only)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
    return _label(invoice.id, invoice.invoice_type, invoice.point_of_sale, invoice.number)


def _label(invoice_id: int, invoice_type: str | None, point_of_sale: int | None, number: int | None) -> str:
    if point_of_sale is None or number is None:
        return f"factura #{invoice_id}"
    return f"{invoice_type or ''} {point_of_sale:05d}-{number:08d}".strip()


def invoiced_costs(session: Session) -> dict[str, list[CostObservation]]:
    """Invoiced unit costs per SKU, oldest first (rejected invoices and unpriced lines left out).

    Reads plain columns, not ORM objects: with 100,000 items, loading entities (and their JSON payloads)
    took seconds."""
    statement = (
        select(
            InvoiceItem.sku,
            InvoiceItem.unit_price,
            InvoiceItem.discount,
            InvoiceItem.quantity,
            Invoice.id,
            Invoice.invoice_type,
            Invoice.point_of_sale,
            Invoice.number,
            Invoice.issue_date,
            Invoice.created_at,
            Invoice.issuer_name,
            Invoice.issuer_cuit,
        )
        .join(Invoice, InvoiceItem.invoice_id == Invoice.id)
        .where(InvoiceItem.sku.is_not(None), InvoiceItem.unit_price.is_not(None), Invoice.status != "rejected")
        .order_by(Invoice.issue_date, Invoice.id, InvoiceItem.line_no)
    )
    out: dict[str, list[CostObservation]] = defaultdict(list)
    labels: dict[int, str] = {}
    for (
        sku,
        unit_price,
        discount,
        quantity,
        invoice_id,
        kind,
        pos,
        number,
        issued,
        created,
        name,
        cuit,
    ) in session.execute(statement).tuples():
        if unit_price is None or unit_price <= 0 or sku is None:
            continue
        unit = Decimal(unit_price)
        if discount and quantity:
            unit -= Decimal(discount) / Decimal(quantity)
        label = labels.get(invoice_id)
        if label is None:
            label = labels[invoice_id] = _label(invoice_id, kind, pos, number)
        out[sku].append(
            CostObservation(
                sku=sku,
                unit_cost=unit.quantize(Decimal("0.0001")),
                date=issued or created.date(),
                invoice=label,
                supplier=name or cuit,
            )
        )
    return dict(out)
