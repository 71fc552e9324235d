"""``minimarket prices``: shelf price suggestions and supplier price-rise flags."""

from __future__ import annotations

import typer

from minimarket.commands.common import ShopOption, print_json

app = typer.Typer(help="Prices: suggestions from invoiced costs and expected inflation.", no_args_is_help=True)


@app.command("suggest")
def suggest_cmd(
    review_days: int = typer.Option(7, "--review-days", min=1, help="Days between restocks besides lead time."),
    min_excess_pp: float = typer.Option(
        5.0, "--min-excess-pp", help="Flag cost rises this many points above expected category inflation."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the default output)."),
    shop: str | None = ShopOption,
) -> None:
    """Suggested shelf prices (VAT included) and flagged supplier price rises with their invoices."""
    from minimarket.forecast.inflation import InflationForecaster
    from minimarket.forecast.inflation_update import current_data
    from minimarket.forecast.shop_reports import price_suggestions
    from minimarket.store.db import session_scope

    with session_scope(shop) as session:
        data = current_data(session)
        forecast = InflationForecaster(max_horizon=3).fit(data).forecast(3)
        known = {str(month): float(pct) for month, pct in data.headline.items()}
        report = price_suggestions(
            session,
            monthly_forecast_pct=forecast["pct"].tolist(),
            known_monthly_pct=known,
            review_period_days=review_days,
            min_excess_pp=min_excess_pp,
        )
    report["inflation_last_month"] = str(data.last_month)
    print_json(report)
