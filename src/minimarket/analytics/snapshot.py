"""One read of the shop's store for the business panel: invoices, their items, sales, products, corrections.

The panel loads a :class:`Snapshot` once and recomputes every figure from it when a filter changes, so a
filter costs milliseconds, not queries. Money columns are floats here: they feed charts and period totals
(shown rounded to cents); purchase orders and prices keep ``Decimal`` (see :mod:`minimarket.analytics.stock`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from minimarket.store.models import Invoice, InvoiceEvent, InvoiceItem, Product, Sale, Shop, Supplier

__all__ = ["Filters", "Snapshot", "load_snapshot"]


@dataclass(frozen=True)
class Filters:
    """What the manager chose: a date range (inclusive), a supplier (CUIT) and a product category."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    supplier_cuit: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """The shop's data as frames (one query each), read at ``loaded_at``."""

    shop_name: str
    invoices: pd.DataFrame
    """id, issue_date (else the arrival day), dated, status, issuer_cuit, issuer_name, ocr (read by OCR),
    corrections (fields a person fixed)"""
    items: pd.DataFrame
    """invoice_id, issue_date, issuer_cuit, status, sku, quantity, unit_price, amount"""
    sales: pd.DataFrame
    """date, sku, quantity, unit_price (VAT included, as the POS sells)"""
    products: pd.DataFrame
    """sku (index), name, category, supplier_cuit, supplier_name, cost, vat_rate"""
    corrections: pd.DataFrame
    """invoice_id, field, at"""
    loaded_at: dt.datetime

    @property
    def empty(self) -> bool:
        """Nothing to show: no invoices and no sales."""
        return self.invoices.empty and self.sales.empty

    @property
    def suppliers(self) -> list[tuple[str, str]]:
        """(name, CUIT) of every supplier seen in the invoices or the catalog (the catalog's name first), by name."""
        pairs = dict(zip(self.invoices["issuer_cuit"], self.invoices["issuer_name"], strict=True))
        pairs.update(zip(self.products["supplier_cuit"], self.products["supplier_name"], strict=True))
        return sorted(((name or cuit, cuit) for cuit, name in pairs.items() if cuit), key=lambda p: p[0].lower())

    @property
    def categories(self) -> list[str]:
        return sorted({str(c) for c in self.products["category"].dropna()})

    @property
    def date_range(self) -> tuple[dt.date, dt.date] | None:
        """First and last day with a sale or a dated invoice (an invoice without a date counts by its arrival
        only when there is nothing else)."""
        dated = self.invoices.loc[self.invoices["dated"], "issue_date"]
        days = [*dated, *self.sales["date"].iloc[[0, -1]]] if len(self.sales) else list(dated)
        days = days or list(self.invoices["issue_date"].dropna())
        if not days:
            return None
        return min(days).date(), max(days).date()


def _frame(rows: Any, columns: list[str]) -> pd.DataFrame:
    """A frame from result rows, built column by column (several times faster than row by row)."""
    values = list(zip(*rows, strict=True)) or [()] * len(columns)
    return pd.DataFrame({name: list(column) for name, column in zip(columns, values, strict=True)}, columns=columns)


def _numeric(frame: pd.DataFrame, *columns: str) -> None:
    for column in columns:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)


def _dates(frame: pd.DataFrame, column: str) -> None:
    frame[column] = pd.to_datetime(frame[column], errors="coerce")


def load_snapshot(session: Session) -> Snapshot:
    """Read the session's shop: every invoice (with whether OCR read it and how many fields were corrected),
    items of invoices not rejected, every sale, the catalog and the corrections."""
    shop_id = session.info.get("shop_id")
    shop = session.get(Shop, shop_id) if shop_id is not None else None
    text = String()
    invoices = _frame(
        session.execute(
            select(
                Invoice.id,
                Invoice.issue_date,
                Invoice.created_at,
                Invoice.status,
                Invoice.issuer_cuit,
                Invoice.issuer_name,
                Invoice.payload["sources"],
            )
        ),
        ["id", "issue_date", "created_at", "status", "issuer_cuit", "issuer_name", "sources"],
    )
    invoices["ocr"] = [isinstance(s, dict) and "ocr" in s.values() for s in invoices["sources"]]
    invoices = invoices.drop(columns="sources")
    invoices["dated"] = invoices["issue_date"].notna()
    invoices["issue_date"] = invoices["issue_date"].where(
        invoices["issue_date"].notna(), [c.date() if c is not None else None for c in invoices["created_at"]]
    )
    _dates(invoices, "issue_date")

    items = _frame(
        session.execute(
            select(
                InvoiceItem.invoice_id,
                InvoiceItem.sku,
                type_coerce(InvoiceItem.quantity, text),
                type_coerce(InvoiceItem.unit_price, text),
                type_coerce(InvoiceItem.amount, text),
            )
            .join(Invoice, Invoice.id == InvoiceItem.invoice_id)
            .where(Invoice.status != "rejected")
        ),
        ["invoice_id", "sku", "quantity", "unit_price", "amount"],
    )
    _numeric(items, "quantity", "unit_price", "amount")
    header = invoices.set_index("id")[["issue_date", "issuer_cuit", "status"]]
    items = items.join(header, on="invoice_id")

    sales = _frame(
        session.execute(
            select(Sale.date, Sale.sku, type_coerce(Sale.quantity, text), type_coerce(Sale.unit_price, text))
        ),
        ["date", "sku", "quantity", "unit_price"],
    )
    _numeric(sales, "quantity", "unit_price")
    _dates(sales, "date")
    sales = sales.sort_values("date", kind="stable").reset_index(drop=True)

    products = _frame(
        session.execute(
            select(
                Product.sku,
                Product.name,
                Product.category,
                Supplier.cuit,
                Supplier.name,
                type_coerce(Product.cost, text),
                type_coerce(Product.vat_rate, text),
            ).outerjoin(Supplier, Supplier.id == Product.supplier_id)
        ),
        ["sku", "name", "category", "supplier_cuit", "supplier_name", "cost", "vat_rate"],
    )
    _numeric(products, "cost", "vat_rate")
    products = products.set_index("sku")

    corrections = _frame(
        session.execute(
            select(InvoiceEvent.invoice_id, InvoiceEvent.detail, InvoiceEvent.created_at).where(
                InvoiceEvent.kind == "corrected"
            )
        ),
        ["invoice_id", "detail", "at"],
    )
    corrections["field"] = [str((d or {}).get("field", "")) for d in corrections["detail"]]
    corrections = corrections.drop(columns="detail")
    counts = corrections.groupby("invoice_id").size()
    invoices["corrections"] = invoices["id"].map(counts).fillna(0).astype(int)
    return Snapshot(
        shop_name=shop.name if shop is not None else "",
        invoices=invoices,
        items=items,
        sales=sales,
        products=products,
        corrections=corrections,
        loaded_at=dt.datetime.now(dt.UTC),
    )
