"""The shop's catalog in the store: upsert suppliers and products, list them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from minimarket.store.models import Product, Supplier

if TYPE_CHECKING:
    from minimarket.domain import catalog as domain


@dataclass(frozen=True, slots=True)
class CatalogImportResult:
    suppliers_added: int
    suppliers_updated: int
    products_added: int
    products_updated: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "suppliers_added": self.suppliers_added,
            "suppliers_updated": self.suppliers_updated,
            "products_added": self.products_added,
            "products_updated": self.products_updated,
        }


class UnknownSupplier(ValueError):
    """A product names a supplier CUIT that is neither in the file nor in the store."""


class CatalogConflict(ValueError):
    """The import would give one EAN to two products of the shop (Spanish message naming both)."""


def _check_eans(by_sku: dict[str, Product], products: list[domain.Product]) -> None:
    """After the import every EAN belongs to one product: the store's EANs with the file's on top."""
    final = {sku: row.ean for sku, row in by_sku.items()}
    for product in products:
        if product.ean is not None:
            final[product.sku] = product.ean
    owner: dict[str, str] = {}
    for sku, ean in final.items():
        if ean is None:
            continue
        if ean in owner:
            first, second = sorted((owner[ean], sku))
            raise CatalogConflict(
                f"el EAN {ean} quedaría en dos productos, {first} y {second}; un EAN identifica a un solo producto "
                "(corrija el archivo o cambie primero el EAN del otro producto)"
            )
        owner[ean] = sku


_SUPPLIER_FIELDS = ("name", "iva_condition", "lead_time_days")
_PRODUCT_FIELDS = (
    "ean",
    "name",
    "brand",
    "category",
    "unit",
    "pack_size",
    "cost",
    "vat_rate",
    "supplier_description",
)


def upsert_catalog(
    session: Session, suppliers: Iterable[domain.Supplier], products: Iterable[domain.Product]
) -> CatalogImportResult:
    """Insert or update suppliers (by CUIT) and products (by SKU) of the session's shop, all or nothing."""
    by_cuit = {row.cuit: row for row in session.scalars(select(Supplier))}
    s_added = s_updated = 0
    for supplier in suppliers:
        values = {name: getattr(supplier, name, None) for name in _SUPPLIER_FIELDS}
        values["iva_condition"] = str(values["iva_condition"]) if values["iva_condition"] is not None else None
        extra = supplier.model_dump(mode="json", exclude={"cuit", *_SUPPLIER_FIELDS})
        row = by_cuit.get(supplier.cuit)
        if row is None:
            row = Supplier(cuit=supplier.cuit, extra=extra, **{k: v for k, v in values.items() if v is not None})
            session.add(row)
            by_cuit[supplier.cuit] = row
            s_added += 1
        else:
            for name, value in values.items():
                if value is not None:
                    setattr(row, name, value)
            row.extra = extra
            s_updated += 1
    session.flush()

    by_sku = {row.sku: row for row in session.scalars(select(Product))}
    products = list(products)
    _check_eans(by_sku, products)
    p_added = p_updated = 0
    for product in products:
        supplier_cuit = getattr(product, "supplier_cuit", None)
        supplier_row = by_cuit.get(supplier_cuit) if supplier_cuit else None
        if supplier_cuit and supplier_row is None:
            raise UnknownSupplier(
                f"producto {product.sku}: el proveedor con CUIT {supplier_cuit} no está en el catálogo ni en el archivo"
                " de proveedores"
            )
        values = {name: getattr(product, name, None) for name in _PRODUCT_FIELDS}
        product_row = by_sku.get(product.sku)
        if product_row is None:
            product_row = Product(sku=product.sku, **{k: v for k, v in values.items() if v is not None})
            session.add(product_row)
            by_sku[product.sku] = product_row
            p_added += 1
        else:
            for name, value in values.items():
                if value is not None:
                    setattr(product_row, name, value)
            p_updated += 1
        product_row.supplier = supplier_row
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise CatalogConflict(
            "otro proceso cambió el catálogo al mismo tiempo y un EAN o SKU quedaría repetido; repita la importación"
        ) from None
    return CatalogImportResult(s_added, s_updated, p_added, p_updated)


def products_by_sku(session: Session) -> dict[str, Product]:
    return {row.sku: row for row in session.scalars(select(Product))}
