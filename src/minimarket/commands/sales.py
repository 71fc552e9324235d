"""``minimarket sales``: import point-of-sale exports."""

from __future__ import annotations

from pathlib import Path

import typer

from minimarket.commands.common import ShopOption, current_user, fail, print_json

app = typer.Typer(help="Sales: import POS exports (any CSV; columns named by flags).", no_args_is_help=True)


@app.command("import")
def import_sales_cmd(
    csv_path: Path = typer.Argument(..., help="CSV exported by the point of sale."),
    date_col: str = typer.Option("date", "--date-col", help="Column with the sale date."),
    sku_col: str = typer.Option("sku", "--sku-col", help="Column with the product code (SKU)."),
    qty_col: str | None = typer.Option(
        None, "--qty-col", help="Column with the quantity; without it each row is one unit sold."
    ),
    price_col: str | None = typer.Option(None, "--price-col", help="Column with the unit price."),
    date_format: str | None = typer.Option(None, "--date-format", help="strptime format, e.g. %d/%m/%Y."),
    number_format: str | None = typer.Option(None, "--number-format", help="'ar' (1.234,56) or 'us' (1,234.56)."),
    delimiter: str | None = typer.Option(None, "--delimiter", help="Field separator (sniffed by default)."),
    encoding: str | None = typer.Option(None, "--encoding", help="File encoding (UTF-8/Latin-1 detected)."),
    drop_duplicates: bool = typer.Option(False, "--drop-duplicates", help="Drop fully repeated rows."),
    only_new: bool = typer.Option(
        False, "--only-new", help="Import only the rows not imported before (default: refuse a file with any)."
    ),
    create_shop: bool = typer.Option(False, "--create-shop", help="Create the --shop if it does not exist yet."),
    shop: str | None = ShopOption,
) -> None:
    """Import a sales CSV into the store, all rows or none, streamed (any size). The same sales twice are
    refused — by their content, whatever the file's bytes — naming the earlier import; --only-new stores
    just the rows not seen before."""
    from minimarket.commands.common import shop_session
    from minimarket.sales_csv import SalesColumns, SalesCsvError, SalesTable, iter_sales_csv, scan_file
    from minimarket.store.sales import AlreadyImported, import_sales

    if number_format not in (None, "ar", "us"):
        fail("--number-format: use 'ar' (1.234,56) o 'us' (1,234.56)", 2)
    if not csv_path.is_file():
        fail(f"no existe el archivo {csv_path}", 2)
    columns = SalesColumns(date=date_col, sku=sku_col, quantity=qty_col, unit_price=price_col)
    stats = SalesTable()
    try:
        rows = iter_sales_csv(
            csv_path,
            columns,
            date_format=date_format,
            number_format=number_format,
            delimiter=delimiter,
            encoding=encoding,
            drop_duplicates=drop_duplicates,
            stats=stats,
        )
        _encoding, digest, _content = scan_file(csv_path)
        with shop_session(shop, create=create_shop) as session:
            result = import_sales(
                session,
                rows,
                batch=digest,
                source_file=csv_path.name,
                author=current_user(),
                only_new=only_new,
                stats=stats,
            )
    except SalesCsvError as exc:
        fail(str(exc), 2 if not exc.errors and ("separador" in str(exc) or "codificación" in str(exc)) else 1)
    except AlreadyImported as exc:
        fail(str(exc))
    print_json(result.as_dict())
