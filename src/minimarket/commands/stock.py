"""``minimarket stock``: stock levels and low-stock alerts as draft purchase orders."""

from __future__ import annotations

import typer

from minimarket.commands.common import ShopOption, fail, print_json

app = typer.Typer(help="Stock: levels from movements, reorder alerts grouped by supplier.", no_args_is_help=True)


def _policy(service_levels: list[str], default_level: float, review_days: int):
    from minimarket.forecast.reorder import DEFAULT_SERVICE_LEVELS, ReorderPolicy

    levels = dict(DEFAULT_SERVICE_LEVELS)
    for item in service_levels:
        category, _, value = item.rpartition("=")
        try:
            level = float(value)
        except ValueError:
            fail(f"--service-level expects CATEGORY=LEVEL (e.g. 'Lácteos=0.97'), got {item!r}", 2)
        if not category or not 0.5 <= level < 1:
            fail(f"--service-level expects CATEGORY=LEVEL with 0.5 <= LEVEL < 1, got {item!r}", 2)
        levels[category] = level
    if not 0.5 <= default_level < 1:
        fail("--default-service-level must be in [0.5, 1)", 2)
    return ReorderPolicy(service_levels=levels, default_service_level=default_level, review_period_days=review_days)


@app.command("alerts")
def alerts_cmd(
    service_level: list[str] = typer.Option(
        [], "--service-level", help="Per-category service level, CATEGORY=LEVEL (repeatable)."
    ),
    default_service_level: float = typer.Option(0.95, "--default-service-level"),
    review_days: int = typer.Option(7, "--review-days", min=1, help="Days until the next order."),
    include_all: bool = typer.Option(False, "--all", help="List every SKU, not only those to reorder."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the default output)."),
    shop: str | None = ShopOption,
) -> None:
    """Low-stock alerts: reorder point, suggested quantity and days of cover, grouped by supplier."""
    from minimarket.forecast.shop_reports import stock_alerts
    from minimarket.store.db import session_scope

    policy = _policy(service_level, default_service_level, review_days)
    with session_scope(shop) as session:
        print_json(stock_alerts(session, policy, include_all=include_all))


@app.command("levels")
def levels_cmd(shop: str | None = ShopOption) -> None:
    """Units on hand per SKU (sum of stock movements)."""
    from minimarket.store.db import session_scope
    from minimarket.store.stock import stock_levels

    with session_scope(shop) as session:
        print_json({sku: str(qty) for sku, qty in sorted(stock_levels(session).items())})
