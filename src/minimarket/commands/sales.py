"""``minimarket sales``: import point-of-sale exports."""

from __future__ import annotations

from pathlib import Path

import typer

from minimarket.commands.common import ShopOption, fail, print_json

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
    shop: str | None = ShopOption,
) -> None:
    """Import a sales CSV into the store, all rows or none, at most once per file."""
    from minimarket.sales_csv import SalesColumns, SalesCsvError, read_sales_csv
    from minimarket.store.db import session_scope
    from minimarket.store.sales import AlreadyImported, batch_id, import_sales

    if number_format not in (None, "ar", "us"):
        fail("--number-format must be 'ar' or 'us'", 2)
    if not csv_path.is_file():
        fail(f"no such file: {csv_path}", 2)
    raw = csv_path.read_bytes()
    columns = SalesColumns(date=date_col, sku=sku_col, quantity=qty_col, unit_price=price_col)
    try:
        table = read_sales_csv(
            raw,
            columns,
            date_format=date_format,
            number_format=number_format,
            delimiter=delimiter,
            encoding=encoding,
            drop_duplicates=drop_duplicates,
        )
        with session_scope(shop) as session:
            result = import_sales(session, table, batch=batch_id(raw))
    except (SalesCsvError, AlreadyImported, UnicodeDecodeError) as exc:
        fail(str(exc))
    print_json(result.as_dict())
