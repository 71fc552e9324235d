"""Stock and cost queries for reorder advice and price suggestions (this shop's rows only)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from sqlalchemy import Float, func, select, type_coerce
from sqlalchemy.orm import Session

from minimarket.pricing import CostObservation
from minimarket.store.models import Invoice, Product, Sale, StockMovement, Supplier
from minimarket.store.packs import converted_lines, number_label

if TYPE_CHECKING:
    from minimarket.purchasing.packs import ConvertedLine


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
    # the sum as a plain float: float(Decimal(str(x))) == x, so no per-row Decimal (SQLite sums text as floats)
    rows = session.execute(
        select(Sale.sku, Sale.date, type_coerce(func.sum(Sale.quantity), Float))
        .where(Sale.date >= first, Sale.date <= last)
        .group_by(Sale.sku, Sale.date)
    )
    out: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(days))
    for sku, date, qty in rows:
        out[sku][(date - first).days] += max(0.0, float(qty))
    return last, dict(out)


class AlertProduct(NamedTuple):
    """An active product and its supplier as the stock alerts read them (plain values, no ORM objects)."""

    sku: str
    name: str
    category: str
    pack_size: int
    cost: Decimal | None
    supplier_id: int | None
    supplier_cuit: str | None
    supplier_name: str | None
    lead_time_days: int | None


def alert_products(session: Session) -> list[AlertProduct]:
    """Active products with their supplier's CUIT, name and lead time, by SKU (the alerts' catalog rows)."""
    statement = (
        select(
            Product.sku,
            Product.name,
            Product.category,
            Product.pack_size,
            Product.cost,
            Supplier.id,
            Supplier.cuit,
            Supplier.name,
            Supplier.lead_time_days,
        )
        .select_from(Product)
        .outerjoin(Supplier, Product.supplier_id == Supplier.id)
        .where(Product.active)
        .order_by(Product.sku)
    )
    return [AlertProduct(*row) for row in session.execute(statement)]


def movement_marks(session: Session) -> tuple[int, int, int, int]:
    """How many sales and stock movements there are and their last ids. Both tables only grow (a correction is a
    new movement; no row is updated or deleted), so equal marks mean the same rows."""
    marks = []
    for table in (Sale, StockMovement):  # one aggregate per query: SQLite answers a lone max(id) from the index
        marks.append(int(session.scalar(select(func.count()).select_from(table)) or 0))
        marks.append(int(session.scalar(select(func.max(table.id))) or 0))
    return marks[0], marks[1], marks[2], marks[3]


def products_with_suppliers(session: Session) -> list[tuple[Product, Supplier | None]]:
    statement = select(Product, Supplier).outerjoin(Supplier, Product.supplier_id == Supplier.id).where(Product.active)
    return [(p, s) for p, s in session.execute(statement.order_by(Product.sku)).all()]


def invoice_label(invoice: Invoice) -> str:
    """``A 00003-00001234`` (type, point of sale, number) or the invoice id when incomplete."""
    return number_label(invoice.id, invoice.invoice_type, invoice.point_of_sale, invoice.number)


def invoiced_costs(session: Session, lines: Sequence[ConvertedLine] | None = None) -> dict[str, list[CostObservation]]:
    """Invoiced costs per shelf unit per SKU, oldest first (rejected invoices and unpriced lines left out): a line
    in boxes is divided by the units per box (:func:`minimarket.store.packs.converted_lines`, which reads plain
    columns, unless the caller read them already: ``lines``), and each cost keeps its line as evidence."""
    out: dict[str, list[CostObservation]] = defaultdict(list)
    for converted in converted_lines(session) if lines is None else lines:
        line = converted.line
        if converted.unit_cost <= 0:
            continue
        out[line.sku].append(
            CostObservation(
                sku=line.sku,
                unit_cost=converted.unit_cost,
                date=line.issue_date,
                invoice=line.invoice_label,
                supplier=line.supplier_name or line.supplier_cuit,
                evidence=converted,
            )
        )
    return dict(out)
