"""``minimarket packs``: invoice lines in shelf units per supplier, and confirmed conversions."""

from __future__ import annotations

import getpass
import os

import typer

from minimarket.commands.common import ShopOption, fail, print_json

app = typer.Typer(help="Packs: units per invoiced box per supplier, implausible unit costs.", no_args_is_help=True)


@app.command("report")
def report_cmd(
    flagged: bool = typer.Option(False, "--flagged", help="Only the lines whose unit cost looks implausible."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the default output)."),
    shop: str | None = ShopOption,
) -> None:
    """Every invoice line with a SKU converted to shelf units (how, and the unit cost against the last one)."""
    from minimarket.purchasing.reports import pack_report
    from minimarket.store.db import session_scope

    with session_scope(shop) as session:
        print_json(pack_report(session, only_flagged=flagged))


@app.command("confirm")
def confirm_cmd(
    supplier: str = typer.Option(..., "--supplier", help="The supplier's CUIT."),
    sku: str = typer.Option(..., "--sku", help="The shelf SKU."),
    units: int = typer.Option(..., "--units", help="Shelf units in one invoiced unit (box) of this supplier."),
    description: str | None = typer.Option(None, "--description", help="How the supplier names it (optional)."),
    author: str | None = typer.Option(None, "--author", help="Who confirms (default: the system user)."),
    shop: str | None = ShopOption,
) -> None:
    """Confirm that one invoiced unit of SKU from this supplier is N shelf units (used from then on)."""
    from minimarket.store.db import session_scope
    from minimarket.store.packs import ConversionError, confirm_conversion

    who = (author or os.environ.get("MINIMARKET_USER") or getpass.getuser()).strip()
    try:
        with session_scope(shop) as session:
            row = confirm_conversion(session, supplier, sku, units, author=who, description=description)
            out = {"supplier_cuit": row.supplier_cuit, "sku": row.sku, "units": row.units, "author": row.author}
    except ConversionError as exc:
        fail(str(exc), 2)
    print_json(out)
