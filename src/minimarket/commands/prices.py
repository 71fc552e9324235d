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
