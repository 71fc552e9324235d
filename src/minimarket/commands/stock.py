"""``minimarket stock``: stock levels and low-stock alerts as draft purchase orders."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from minimarket.commands.common import ShopOption, fail, print_json

if TYPE_CHECKING:
    from minimarket.forecast.reorder import ReorderPolicy

app = typer.Typer(help="Stock: levels from movements, reorder alerts grouped by supplier.", no_args_is_help=True)

PoliciesOption = typer.Option(
    None, "--policies", help="Policies CSV (category,service_level,markup_pct); default data/raw/catalog/policies.csv."
)


def _policy(
    policies_file: Path | None, service_levels: list[str], default_level: float | None, review_days: int
) -> ReorderPolicy:
    from minimarket.forecast.policies import PolicyError, load_policies
    from minimarket.forecast.reorder import ReorderPolicy

    try:
        policies = load_policies(policies_file).with_overrides(
            service_levels=service_levels, default_service_level=default_level
        )
    except PolicyError as exc:
        fail(str(exc), 2)
    return ReorderPolicy.from_policies(policies, review_period_days=review_days)


@app.command("alerts")
def alerts_cmd(
    service_level: list[str] = typer.Option(
        [], "--service-level", help="Override one category's service level, CATEGORY=LEVEL (repeatable)."
    ),
    default_service_level: float | None = typer.Option(
        None, "--default-service-level", help="Service level of categories not in the policies (default 0.95)."
    ),
    policies: Path | None = PoliciesOption,
    review_days: int = typer.Option(7, "--review-days", min=1, help="Days until the next order."),
    include_all: bool = typer.Option(False, "--all", help="List every SKU, not only those to reorder."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the default output)."),
    shop: str | None = ShopOption,
) -> None:
    """Low-stock alerts: reorder point, suggested quantity and days of cover, grouped by supplier."""
    from minimarket.commands.common import shop_session
    from minimarket.forecast.shop_reports import stock_alerts

    policy = _policy(policies, service_level, default_service_level, review_days)
    with shop_session(shop) as session:
        print_json(stock_alerts(session, policy, include_all=include_all))


@app.command("policies")
def policies_cmd(policies: Path | None = PoliciesOption) -> None:
    """The per-category service levels and markups in force (file and defaults)."""
    from minimarket.forecast.policies import PolicyError, load_policies

    try:
        print_json(load_policies(policies).as_dict())
    except PolicyError as exc:
        fail(str(exc), 2)


@app.command("levels")
def levels_cmd(shop: str | None = ShopOption) -> None:
    """Units on hand per SKU (sum of stock movements)."""
    from minimarket.commands.common import shop_session
    from minimarket.store.stock import stock_levels

    with shop_session(shop) as session:
        print_json({sku: str(qty) for sku, qty in sorted(stock_levels(session).items())})
