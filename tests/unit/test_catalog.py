"""The catalog loader: the bundled files are valid, and bad files are rejected whole with row/column/why."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from stdnum import ean
from stdnum.ar import cuit

from minimarket.catalog import (
    CatalogError,
    bundled_catalog,
    bundled_products,
    bundled_suppliers,
    read_catalog,
    read_products,
    read_suppliers,
)

PRODUCT_HEADER = "sku,ean,name,brand,category,unit,pack_size,supplier_cuit,cost,vat_rate,supplier_description\n"
GOOD_EAN = "7790000000003"  # 779000000000 + check digit 3
GOOD_CUIT = "30675763824"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_catalog_size_and_validity() -> None:
    suppliers = bundled_suppliers()
    products = bundled_products()
    assert 12 <= len(suppliers) <= 20
    assert 280 <= len(products) <= 340
    assert all(cuit.is_valid(s.cuit) and s.cuit[:2] in {"20", "23", "27", "30", "33"} for s in suppliers)
    assert all(p.ean is not None and ean.is_valid(p.ean) and p.ean.startswith("779") for p in products)
    assert len({p.sku for p in products}) == len(products)
    assert len({p.ean for p in products}) == len(products)
    assert {p.vat_rate for p in products} == {Decimal("10.5"), Decimal("21")}
    assert all(p.supplier_description and p.cost > 0 for p in products)
    assert len({p.category for p in products}) >= 12


def test_bundled_catalog_every_supplier_has_products() -> None:
    catalog = bundled_catalog()
    for supplier in catalog.suppliers:
        assert catalog.products_of(supplier.cuit), supplier.name
        assert supplier.point_of_sale and supplier.invoice_layout and supplier.number_format
    cuits = {s.cuit for s in catalog.suppliers}
    assert {p.supplier_cuit for p in catalog.products} == cuits
    monotributo = [s for s in catalog.suppliers if s.iva_condition.is_monotributo]
    assert 1 <= len(monotributo) <= 3


def test_bad_product_rows_are_all_reported_and_nothing_is_returned(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "products.csv",
        PRODUCT_HEADER
        + f"OK-1,{GOOD_EAN},Yerba 1 kg,Playadito,Yerba,un,10,{GOOD_CUIT},5350.00,21,YERBA 1KG\n"
        + f"BAD-EAN,7790000000009,Fideos,Lucchetti,Almacén,un,20,{GOOD_CUIT},1180,21,FID\n"
        + "BAD-CUIT,,Arroz,Gallo,Almacén,un,10,30675763825,2250,21,ARROZ\n"
        + f"NO-NAME,,,Gallo,Almacén,un,10,{GOOD_CUIT},2250,21,ARROZ\n"
        + f"BAD-COST,,Azúcar,Ledesma,Almacén,un,10,{GOOD_CUIT},mucho,21,AZUC\n"
        + f"BAD-VAT,,Sal,Celusal,Almacén,un,20,{GOOD_CUIT},720,19,SAL\n"
        + f"OK-1,,Repetido,Gallo,Almacén,un,10,{GOOD_CUIT},100,21,REP\n"
        + f"BAD-PACK,,Aceite,Natura,Almacén,un,0,{GOOD_CUIT},3450,21,AC\n",
    )
    with pytest.raises(CatalogError) as info:
        read_products(path)
    found = {(e.row, e.column) for e in info.value.errors}
    assert found == {
        (3, "ean"),
        (4, "supplier_cuit"),
        (5, "name"),
        (6, "cost"),
        (7, "vat_rate"),
        (8, "sku"),
        (9, "pack_size"),
    }
    by_row = {e.row: e for e in info.value.errors}
    assert "check digit" in by_row[3].why
    assert "check digit" in by_row[4].why
    assert "vacío" in by_row[5].why
    assert "fila 2" in by_row[8].why
    assert "fila 7, columna 'vat_rate'" in str(info.value)


def test_missing_required_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "products.csv", "sku,ean,brand\nA,,B\n")
    with pytest.raises(CatalogError) as info:
        read_products(path)
    assert {(e.row, e.column) for e in info.value.errors} == {(1, "name"), (1, "cost")}


def test_missing_file_is_a_catalog_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no existe"):
        read_suppliers(tmp_path / "nope.csv")


def test_semicolon_delimiter_argentine_amounts_and_defaults(tmp_path: Path) -> None:
    path = _write(tmp_path, "p.csv", "sku;name;cost;vat_rate;extra\nX-1;Pan francés;2.050,50;10,5;ignored\n")
    (product,) = read_products(path)
    assert product.cost == Decimal("2050.50")
    assert product.vat_rate == Decimal("10.5")
    assert product.pack_size == 1 and product.ean is None and product.internal_tax_rate == 0


def test_bad_supplier_rows(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "s.csv",
        "cuit,name,iva_condition,lead_time_days,order_days\n"
        f"{GOOD_CUIT},Uno,Responsable Inscripto,2,lun;jue\n"
        "30675763825,Dos,Responsable Inscripto,2,lun\n"
        "27256107479,Tres,Marciano,2,lun\n"
        "20233864391,Cuatro,Monotributo,-1,feriado\n"
        f"{GOOD_CUIT},Uno bis,Responsable Inscripto,2,lun\n",
    )
    with pytest.raises(CatalogError) as info:
        read_suppliers(path)
    assert {(e.row, e.column) for e in info.value.errors} == {
        (3, "cuit"),
        (4, "iva_condition"),
        (5, "lead_time_days"),
        (5, "order_days"),
        (6, "cuit"),
    }


def test_read_catalog_rejects_unknown_supplier(tmp_path: Path) -> None:
    suppliers = _write(tmp_path, "s.csv", f"cuit,name\n{GOOD_CUIT},Uno\n")
    products = _write(
        tmp_path,
        "p.csv",
        PRODUCT_HEADER + f"A-1,,Yerba,,,un,1,{GOOD_CUIT},10,21,\n" + "A-2,,Fideos,,,un,1,27256107479,10,21,\n",
    )
    with pytest.raises(CatalogError) as info:
        read_catalog(suppliers, products)
    assert [(e.row, e.column) for e in info.value.errors] == [(3, "supplier_cuit")]
    good = _write(tmp_path, "p2.csv", PRODUCT_HEADER + f"A-1,,Yerba,,,un,1,{GOOD_CUIT},10,21,\n")
    catalog = read_catalog(suppliers, good)
    assert catalog.products_of(GOOD_CUIT)[0].sku == "A-1"
    assert catalog.supplier(GOOD_CUIT).name == "Uno"
