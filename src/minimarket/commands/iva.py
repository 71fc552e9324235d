"""``minimarket iva``: the Libro IVA Digital files of the shop's purchases."""

from __future__ import annotations

from pathlib import Path

import typer

from minimarket.commands.common import ShopOption, fail, print_json

app = typer.Typer(help="Libro IVA Digital: the purchase files ARCA imports.", no_args_is_help=True)


@app.command("libro")
def libro_cmd(
    period: str = typer.Option(..., "--period", help="The month, AAAA-MM (e.g. 2026-09)."),
    out: Path = typer.Option(..., "--out", help="Folder for the two files (created if missing)."),
    shop: str | None = ShopOption,
) -> None:
    """Write LIBRO_IVA_DIGITAL_COMPRAS_CBTE.txt and ..._ALICUOTAS.txt from the period's accepted invoices; prints
    what was written, the invoices still in review (not written) and those that could not be written."""
    from minimarket.accounting.libro_iva import LibroIvaError, write_book
    from minimarket.accounting.periods import PeriodError, parse_period
    from minimarket.accounting.shop import book_for_period
    from minimarket.store.db import session_scope

    try:
        month = parse_period(period)
    except PeriodError as exc:
        fail(str(exc), 2)
    if out.exists() and not out.is_dir():
        fail(f"--out {out} existe y no es una carpeta", 2)
    with session_scope(shop) as session:
        book = book_for_period(session, month)
    try:
        paths = write_book(book, out)
    except (OSError, LibroIvaError) as exc:
        fail(f"no se pudieron escribir los archivos en {out}: {exc}")
    summary = book.summary()
    summary["paths"] = [str(path) for path in paths]
    print_json(summary)
