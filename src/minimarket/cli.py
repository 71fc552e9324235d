"""The ``minimarket`` command: one typer app assembling the sub-commands of each area."""

from __future__ import annotations

import typer

from minimarket import __version__
from minimarket.quiet import quiet_env

quiet_env()  # before any command imports MLflow

app = typer.Typer(
    name="minimarket",
    help="minimarket: supplier invoices, demand, inflation and prices for Argentine mini markets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: `minimarket --help` answers without loading Rich
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """minimarket: supplier invoices, demand, inflation and prices for Argentine mini markets."""
    from minimarket.redact import install

    install()


def _register() -> None:
    """Attach each area's commands (heavy libraries are imported inside the commands)."""
    from minimarket.commands import catalog, db, sales

    app.add_typer(db.app, name="db")
    app.add_typer(catalog.app, name="catalog")
    app.add_typer(sales.app, name="sales")
    from minimarket.commands import inflation

    app.add_typer(inflation.app, name="inflation")
    from minimarket.commands import demand

    app.add_typer(demand.app, name="demand")
    from minimarket.commands import prices, stock

    app.add_typer(stock.app, name="stock")
    app.add_typer(prices.app, name="prices")
    from minimarket.commands.extract import extract_cmd

    app.command("extract")(extract_cmd)
    from minimarket.commands import synth

    app.add_typer(synth.app, name="synth")
    from minimarket.commands import drift

    app.add_typer(drift.app, name="drift")
    from minimarket.commands import invoices, train

    app.add_typer(invoices.app, name="invoices")
    app.add_typer(train.app, name="train")
    from minimarket.commands import models

    app.add_typer(models.app, name="models")
    from minimarket.commands import demo

    app.add_typer(demo.app, name="demo")
    from minimarket.commands import dashboards

    app.add_typer(dashboards.app, name="dashboards")
    from minimarket.commands import token
    from minimarket.commands.serve import serve_cmd

    app.command("serve")(serve_cmd)
    app.add_typer(token.app, name="token")
    from minimarket.commands import shop

    app.add_typer(shop.app, name="shop")
    _guard(app)


def _guard(typer_app: typer.Typer) -> None:
    """Every command turns an error it did not handle into one Spanish line (no traceback)."""
    from minimarket.commands.common import guarded

    for command in typer_app.registered_commands:
        if command.callback is not None and not getattr(command.callback, "__wrapped__", None):
            command.callback = guarded(command.callback)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _guard(group.typer_instance)


_register()

if __name__ == "__main__":
    app()
