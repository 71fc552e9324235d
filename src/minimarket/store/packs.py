"""Pack conversions in the store: the confirmations people make, and the invoice lines in shelf units."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from minimarket.domain.cuit import InvalidCuit, normalize_cuit
from minimarket.purchasing.packs import MAX_PACK, CatalogEntry, ConvertedLine, InvoiceLine, convert, convert_history
from minimarket.store.models import Invoice, InvoiceItem, PackConversion, Product

__all__ = [
    "ConversionError",
    "catalog_entries",
    "confirm_conversion",
    "confirmed_conversions",
    "converted_lines",
    "number_label",
    "stock_units",
]


class ConversionError(ValueError):
    """A confirmation that cannot be recorded (Spanish message)."""


def confirmed_conversions(session: Session) -> dict[tuple[str, str], int]:
    """(supplier CUIT, SKU) → units per invoiced unit, as people confirmed them."""
    rows = session.execute(select(PackConversion.supplier_cuit, PackConversion.sku, PackConversion.units))
    return {(cuit, sku): units for cuit, sku, units in rows}


def confirm_conversion(
    session: Session, supplier_cuit: str, sku: str, units: int, *, author: str, description: str | None = None
) -> PackConversion:
    """Record (or replace) that one invoiced unit of ``sku`` from this supplier is ``units`` shelf units."""
    try:
        cuit = normalize_cuit(supplier_cuit)
    except InvalidCuit as exc:
        raise ConversionError(f"CUIT del proveedor inválido: {exc}") from None
    if not isinstance(units, int) or not 1 <= units <= MAX_PACK:
        raise ConversionError(f"las unidades por bulto van de 1 a {MAX_PACK}; se recibió {units!r}")
    if session.scalars(select(Product.id).where(Product.sku == sku)).first() is None:
        raise ConversionError(f"el SKU {sku!r} no está en el catálogo del comercio")
    row = session.scalars(
        select(PackConversion).where(PackConversion.supplier_cuit == cuit, PackConversion.sku == sku)
    ).one_or_none()
    if row is None:
        row = PackConversion(supplier_cuit=cuit, sku=sku, units=units)
        session.add(row)
    row.units = units
    row.author = (author or "system")[:100]
    row.description = (description or None) and description[:500]
    session.flush()
    return row


def number_label(invoice_id: int, invoice_type: str | None, point_of_sale: int | None, number: int | None) -> str:
    """``A 00003-00001234``, or ``factura #id`` when the point of sale or the number is missing."""
    if point_of_sale is None or number is None:
        return f"factura #{invoice_id}"
    return f"{invoice_type or ''} {point_of_sale:05d}-{number:08d}".strip()


def catalog_entries(session: Session) -> dict[str, CatalogEntry]:
    """The shop's catalog as the conversion sees it (SKU → category, pack size, cost)."""
    return {
        p.sku: CatalogEntry(p.category, int(p.pack_size or 1), None if p.cost is None else Decimal(p.cost), p.name)
        for p in session.scalars(select(Product))
    }


def converted_lines(session: Session, *, monthly_inflation_pct: float = 2.5) -> list[ConvertedLine]:
    """Every priced line with a SKU of the shop's invoices that are not rejected, in shelf units, date order.
    Reads plain columns (no ORM objects, no payloads): a shop's history may have 100,000 lines."""
    statement = (
        select(
            InvoiceItem.sku,
            InvoiceItem.line_no,
            InvoiceItem.description,
            InvoiceItem.quantity,
            InvoiceItem.unit,
            InvoiceItem.unit_price,
            InvoiceItem.discount,
            Invoice.id,
            Invoice.invoice_type,
            Invoice.point_of_sale,
            Invoice.number,
            Invoice.issue_date,
            Invoice.created_at,
            Invoice.issuer_cuit,
            Invoice.issuer_name,
        )
        .join(Invoice, InvoiceItem.invoice_id == Invoice.id)
        .where(InvoiceItem.sku.is_not(None), InvoiceItem.unit_price.is_not(None), Invoice.status != "rejected")
        .order_by(Invoice.issue_date, Invoice.id, InvoiceItem.line_no)
    )
    labels: dict[int, str] = {}
    lines = []
    for (
        sku,
        line_no,
        description,
        quantity,
        unit,
        unit_price,
        discount,
        invoice_id,
        kind,
        pos,
        number,
        issued,
        created,
        cuit,
        name,
    ) in session.execute(statement).tuples():
        if unit_price is None or unit_price <= 0 or sku is None:
            continue
        label = labels.get(invoice_id)
        if label is None:
            label = labels[invoice_id] = number_label(invoice_id, kind, pos, number)
        lines.append(
            InvoiceLine(
                invoice_id=invoice_id,
                invoice_label=label,
                issue_date=issued or created.date(),
                supplier_cuit=cuit,
                supplier_name=name,
                line_no=line_no,
                description=description,
                sku=str(sku),
                quantity=None if quantity is None else Decimal(quantity),
                unit=unit,
                unit_price=Decimal(unit_price),
                discount=None if discount is None else Decimal(discount),
            )
        )
    return convert_history(
        lines, catalog_entries(session), confirmed_conversions(session), monthly_inflation_pct=monthly_inflation_pct
    )


def stock_units(
    session: Session,
    invoice: Invoice,
    item: InvoiceItem,
    *,
    catalog: Mapping[str, CatalogEntry] | None = None,
    confirmed: Mapping[tuple[str, str], int] | None = None,
) -> Decimal:
    """Shelf units a line puts in stock: its quantity × units per invoiced unit (confirmation, unit, catalog pack,
    description, or the price against the catalog cost)."""
    if item.quantity is None or item.sku is None:
        return Decimal(0)
    entries = catalog if catalog is not None else catalog_entries(session)
    known = confirmed if confirmed is not None else confirmed_conversions(session)
    entry = entries.get(item.sku)
    conversion = convert(
        unit=item.unit,
        description=item.description,
        unit_price=None if item.unit_price is None else Decimal(item.unit_price),
        catalog_pack=entry.pack_size if entry else None,
        confirmed=known.get((invoice.issuer_cuit or "", item.sku)),
        reference_cost=entry.cost if entry else None,
    )
    return Decimal(item.quantity) * conversion.units
