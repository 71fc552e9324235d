"""``minimarket purchases``: this week's purchase drafts, as each supplier takes them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import typer

from minimarket.commands.common import ShopOption, fail, print_json

app = typer.Typer(help="Purchases: drafts by supplier (order days, minimums, packs, budget).", no_args_is_help=True)


@app.command("drafts")
def drafts_cmd(
    budget: str | None = typer.Option(None, "--budget", help="Cash for the week, pesos (e.g. 300000 or 300.000,00)."),
    today: str | None = typer.Option(
        None, "--today", help="Plan as of this day, AAAA-MM-DD (default: after the last sale)."
    ),
    horizon: int = typer.Option(7, "--horizon", min=1, max=31, help="Days ahead whose order days are planned."),
    policies_file: Path | None = typer.Option(None, "--policies", help="Policies CSV (default data/raw/catalog)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the default output)."),
    shop: str | None = ShopOption,
) -> None:
    """Drafts for every supplier whose order day falls in the next days: whole boxes, the supplier's minimum
    order, an optional budget spent by priority (margin ÷ days of cover); what did not fit, with the reason."""
    from minimarket.domain.numbers import parse_amount
    from minimarket.forecast.policies import PolicyError, load_policies
    from minimarket.purchasing.reports import purchase_plan
    from minimarket.store.db import session_scope

    cash: Decimal | None = None
    if budget is not None:
        try:
            cash = parse_amount(budget)
        except ValueError:
            fail(f"--budget {budget!r} no es un importe; use 300000 o 300.000,00", 2)
        if cash < 0:
            fail("--budget no puede ser negativo", 2)
    day: dt.date | None = None
    if today is not None:
        try:
            day = dt.date.fromisoformat(today)
        except ValueError:
            fail(f"--today {today!r}: use AAAA-MM-DD", 2)
    try:
        policies = load_policies(policies_file)
    except PolicyError as exc:
        fail(str(exc), 2)
    with session_scope(shop) as session:
        plan = purchase_plan(session, today=day, budget=cash, horizon_days=horizon, policies=policies)
    print_json(plan.as_dict())
