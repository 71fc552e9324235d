"""``minimarket catalog``: import and list the shop's products and suppliers."""

from __future__ import annotations

from pathlib import Path

import typer

from minimarket.commands.common import ShopOption, fail, print_json

app = typer.Typer(help="Catalog: products (SKU, EAN-13, category, supplier, cost) and suppliers.", no_args_is_help=True)


@app.command("import")
def import_catalog_cmd(
    products_csv: Path | None = typer.Argument(
        None, help="Products CSV (columns as in data/raw/catalog/products.csv). Default: the bundled catalog."
    ),
    suppliers_csv: Path | None = typer.Option(
        None,
        "--suppliers",
        help="Suppliers CSV (default: the bundled suppliers when importing the bundled catalog).",
    ),
    create_shop: bool = typer.Option(False, "--create-shop", help="Create the --shop if it does not exist yet."),
    shop: str | None = ShopOption,
) -> None:
    """Insert or update products and suppliers, all or nothing; bad rows are listed with row, column and why."""
    from minimarket.catalog import (
        CatalogError,
        bundled_products,
        bundled_suppliers,
        read_products,
        read_suppliers,
    )
    from minimarket.commands.common import shop_session
    from minimarket.store.catalog import CatalogConflict, UnknownSupplier, upsert_catalog

    for path in (products_csv, suppliers_csv):
        if path is not None and not path.is_file():
            fail(f"no existe el archivo {path}", 2)
    try:
        products = read_products(products_csv) if products_csv else bundled_products()
        if suppliers_csv:
            suppliers = read_suppliers(suppliers_csv)
        elif products_csv is None:
            suppliers = bundled_suppliers()
        else:
            suppliers = []
        with shop_session(shop, create=create_shop) as session:
            result = upsert_catalog(session, suppliers, products)
    except (CatalogError, UnknownSupplier, CatalogConflict) as exc:
        fail(str(exc))
    print_json(result.as_dict())


@app.command("list")
def list_catalog(
    category: str | None = typer.Option(None, "--category", help="Only this category."),
    shop: str | None = ShopOption,
) -> None:
    """Print the shop's products as JSON lines."""
    from minimarket.commands.common import shop_session
    from minimarket.store.catalog import products_by_sku

    with shop_session(shop) as session:
        for product in products_by_sku(session).values():
            if category and product.category != category:
                continue
            print_json(
                {
                    "sku": product.sku,
                    "ean": product.ean,
                    "name": product.name,
                    "brand": product.brand,
                    "category": product.category,
                    "unit": product.unit,
                    "cost": str(product.cost) if product.cost is not None else None,
                    "vat_rate": str(product.vat_rate),
                    "supplier_cuit": product.supplier.cuit if product.supplier else None,
                },
                pretty=False,
            )
