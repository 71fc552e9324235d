"""``minimarket prices``: shelf price suggestions and supplier price-rise flags."""

from __future__ import annotations

from pathlib import Path

import typer

from minimarket.commands.common import ShopOption, fail, print_json

app = typer.Typer(help="Prices: suggestions from invoiced costs and expected inflation.", no_args_is_help=True)


@app.command("suggest")
def suggest_cmd(
    review_days: int = typer.Option(7, "--review-days", min=1, help="Days between restocks besides lead time."),
    min_excess_pp: float = typer.Option(
        5.0, "--min-excess-pp", help="Flag cost rises this many points above expected category inflation."
    ),
    markup: list[str] = typer.Option(
        [], "--markup", help="Override one category's markup in percent, CATEGORY=PCT (repeatable), e.g. Lácteos=30."
    ),
    default_markup: float | None = typer.Option(
        None, "--default-markup", help="Markup (%) of categories not in the policies (default 35)."
    ),
    policies_file: Path | None = typer.Option(
        None,
        "--policies",
        help="Policies CSV (category,service_level,markup_pct); default data/raw/catalog/policies.csv.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the default output)."),
    shop: str | None = ShopOption,
) -> None:
    """Suggested shelf prices (VAT included) and flagged supplier price rises with their invoices.

    Markups per category come from the policies file; --markup overrides single categories."""
    from minimarket.commands.common import shop_session
    from minimarket.forecast.inflation import InflationForecaster
    from minimarket.forecast.inflation_update import current_data
    from minimarket.forecast.policies import PolicyError, load_policies
    from minimarket.forecast.shop_reports import price_suggestions

    try:
        policies = load_policies(policies_file).with_overrides(markups=markup, default_markup_pct=default_markup)
    except PolicyError as exc:
        fail(str(exc), 2)
    with shop_session(shop) as session:
        data = current_data(session)
        forecast = InflationForecaster(max_horizon=3).fit(data).forecast(3)
        known = {str(month): float(pct) for month, pct in data.headline.items()}
        report = price_suggestions(
            session,
            monthly_forecast_pct=forecast["pct"].tolist(),
            known_monthly_pct=known,
            review_period_days=review_days,
            policies=policies,
            min_excess_pp=min_excess_pp,
        )
    report["inflation_last_month"] = str(data.last_month)
    print_json(report)


@app.command("shelf")
def shelf_cmd(
    rule: str | None = typer.Option(
        None,
        "--rule",
        help="Precio redondo: 10, 50 or 100 (multiples) or 9, 90, 99 (endings); default: the shop's "
        "MINIMARKET_SHELF_PRICE_RULE (10).",
    ),
    direction: str = typer.Option("nearest", "--direction", help="nearest (default) or up."),
    review_days: int = typer.Option(7, "--review-days", min=1, help="Days between restocks besides lead time."),
    markup: list[str] = typer.Option([], "--markup", help="Override one category's markup, CATEGORY=PCT (repeatable)."),
    min_margin: list[str] = typer.Option(
        [], "--min-margin", help="Override one category's minimum margin over cost, CATEGORY=PCT (repeatable)."
    ),
    min_excess_pp: float = typer.Option(
        5.0, "--min-excess-pp", help="Flag cost rises this many points above inflation."
    ),
    policies_file: Path | None = typer.Option(None, "--policies", help="Policies CSV (default data/raw/catalog)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the default output)."),
    shop: str | None = ShopOption,
) -> None:
    """Shelf prices a shop prints: the suggestion rounded to the precio redondo, never below cost + the category's
    minimum margin, with the effective margin; supplier price rises with their invoice lines as evidence."""
    from minimarket.config import get_settings
    from minimarket.forecast.inflation import InflationForecaster
    from minimarket.forecast.inflation_update import current_data
    from minimarket.forecast.policies import PolicyError, load_policies
    from minimarket.purchasing.reports import shelf_prices
    from minimarket.purchasing.shelf import RuleError
    from minimarket.store.db import session_scope

    if direction not in ("nearest", "up"):
        fail(f"--direction {direction!r}: use nearest or up", 2)
    try:
        policies = load_policies(policies_file).with_overrides(markups=markup, min_margins=min_margin)
    except PolicyError as exc:
        fail(str(exc), 2)
    with session_scope(shop) as session:
        data = current_data(session)
        forecast = InflationForecaster(max_horizon=3).fit(data).forecast(3)
        known = {str(month): float(pct) for month, pct in data.headline.items()}
        try:
            report = shelf_prices(
                session,
                monthly_forecast_pct=forecast["pct"].tolist(),
                known_monthly_pct=known,
                rule=rule or get_settings().shelf_price_rule,
                direction="up" if direction == "up" else "nearest",
                review_period_days=review_days,
                policies=policies,
                min_excess_pp=min_excess_pp,
            )
        except RuleError as exc:
            fail(str(exc), 2)
    report["inflation_last_month"] = str(data.last_month)
    print_json(report)
