"""``minimarket demo``: a demo shop to try the platform (catalog, sample invoices, sales, purchases, CPI)."""

from __future__ import annotations

import typer

from minimarket.commands.common import ShopOption, fail, print_json

app = typer.Typer(help="Demo data: seed a shop to try the dashboards and the API.", no_args_is_help=True)


@app.command("seed")
def seed_cmd(
    invoices: int = typer.Option(
        1500, "--invoices", min=0, max=2_000_000, help="Generated supplier invoices the shop should hold."
    ),
    samples: bool = typer.Option(True, "--samples/--no-samples", help="Read and save the sample invoices."),
    shop: str | None = ShopOption,
    sales_days: int = typer.Option(730, "--sales-days", min=30, max=3650, help="Days of synthetic sales history."),
    chain: str | None = typer.Option(
        None, "--chain", help="Seed a demo chain of this name: three shops (<chain>-centro, -norte, -sur) in it."
    ),
) -> None:
    """Seed the shop with what is still missing: the bundled catalog, two years of synthetic sales, the last
    CPI figure, an opening stock count, generated supplier invoices and the sample invoices (read by the real
    extractor). Safe to run again: a second run only checks."""
    from minimarket.config import get_settings
    from minimarket.demo import seed_demo_chain, seed_demo_shop

    if chain is not None:
        if shop is not None:
            fail("use --shop o --chain, no los dos", 2)
        try:
            result = seed_demo_chain(
                get_settings(),
                chain,
                invoices=invoices,
                samples=samples,
                sales_days=sales_days,
                progress=lambda step: typer.echo(f"demo: {step}…", err=True),
            )
        except ValueError as exc:
            fail(str(exc), 2)
        print_json(result)
        return
    report = seed_demo_shop(
        get_settings(),
        shop=shop,
        invoices=invoices,
        samples=samples,
        sales_days=sales_days,
        progress=lambda step: typer.echo(f"demo: {step}…", err=True),
    )
    print_json(report.as_dict())
