"""``minimarket inflation``: backtest, forecast, train and the monthly CPI update."""

from __future__ import annotations

import typer

from minimarket.commands.common import fail, print_json

app = typer.Typer(help="Monthly inflation (INDEC CPI): backtest, forecast, monthly update.", no_args_is_help=True)


@app.command("backtest")
def backtest_cmd(
    start: str = typer.Option("2019-01", "--start", help="First target month (YYYY-MM)."),
    end: str | None = typer.Option(None, "--end", help="Last target month (default: the last known)."),
    models: str | None = typer.Option(
        None, "--models", help="Comma-separated model names (default: all, Prophet included)."
    ),
    horizons: str = typer.Option("1,3,6", "--horizons", help="Comma-separated horizons in months."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON result (the default output)."),
) -> None:
    """Rolling-origin backtest: MAE in percentage points per horizon and model, strictly out of sample."""
    from minimarket.forecast.inflation import InflationData, make_models, rolling_backtest

    try:
        chosen = make_models([m.strip() for m in models.split(",") if m.strip()] if models else None)
        hs = tuple(int(h) for h in horizons.split(","))
        if not hs or min(hs) < 1 or max(hs) > 24:
            raise ValueError("horizons must be between 1 and 24 months")
        data = InflationData.bundled(overrides=_store_overrides())
        result = rolling_backtest(data, chosen, hs, start=start, end=end)
    except ValueError as exc:
        fail(str(exc), 2)
    recent_end = min(str(data.last_month), "2026-08")
    payload = result.to_json({"window_2025_2026": ("2025-01", recent_end)})
    payload["n_months"] = len(data.headline)
    print_json(payload)


def _store_overrides() -> dict[str, float]:
    """The national figures recorded by the monthly update (a shop's own figures never reach the shared model)."""
    from minimarket.store.db import session_scope
    from minimarket.store.inflation import national_by_month

    with session_scope(all_shops=True) as session:
        return national_by_month(session)


@app.command("forecast")
def forecast_cmd(
    months: int = typer.Option(6, "--months", min=1, max=6, help="Months ahead (1-6)."),
    champion: bool = typer.Option(
        False, "--champion", help="Use the registered champion model instead of fitting now."
    ),
) -> None:
    """Forecast the next months' inflation with 90 % intervals (JSON)."""
    from minimarket.forecast.inflation import InflationData, InflationForecaster

    if champion:
        from minimarket.forecast.inflation_mlflow import load_champion_forecaster

        try:
            forecaster = load_champion_forecaster()
        except Exception as exc:
            fail(f"no champion inflation-forecaster available ({exc.__class__.__name__}); run 'inflation train'")
    else:
        forecaster = InflationForecaster().fit(InflationData.bundled(overrides=_store_overrides()))
    frame = forecaster.forecast(months)
    print_json(
        {
            "last_month": str(forecaster.data.last_month if forecaster.data else ""),
            "forecast": frame.to_dict(orient="records"),
        }
    )


@app.command("train")
def train_cmd(
    eval_start: str | None = typer.Option(
        None, "--eval-start", help="First month of the gate's evaluation (default: Settings, 2019-01)."
    ),
) -> None:
    """Fit, log to MLflow, register `inflation-forecaster` and run the promotion gate."""
    from minimarket.config import get_settings
    from minimarket.forecast.inflation import InflationData
    from minimarket.forecast.inflation_mlflow import train_and_register

    outcome = train_and_register(
        InflationData.bundled(overrides=_store_overrides()),
        eval_start=eval_start or get_settings().inflation_gate_eval_start,
    )
    print_json(
        {
            "run_id": outcome.run_id,
            "version": outcome.version,
            "metrics": outcome.metrics,
            "gate": outcome.decision.as_dict() if outcome.decision else None,
        }
    )


@app.command("update")
def update_cmd(
    month: str = typer.Option(..., "--month", help="Month of the figure, YYYY-MM (the next after the last)."),
    pct: float = typer.Option(..., "--pct", help="Monthly inflation in percent, e.g. 2.1."),
    source: str = typer.Option("INDEC", "--source", help="Where the figure comes from."),
    force: bool = typer.Option(False, "--force", help="Accept a figure the guard refuses (needs --reason)."),
    reason: str | None = typer.Option(None, "--reason", help="Why a forced figure is right."),
    author: str | None = typer.Option(None, "--author", help="Who records it (default: the OS user)."),
    no_refit: bool = typer.Option(False, "--no-refit", help="Only record the figure; do not retrain."),
    eval_start: str | None = typer.Option(
        None, "--eval-start", help="First month of the gate's backtest (default: Settings, 2019-01)."
    ),
    calibration_months: int | None = typer.Option(
        None, "--calibration-months", min=6, max=120, help="Origins calibrating intervals and guard (default 24)."
    ),
    shop: str | None = typer.Option(
        None,
        "--shop",
        help="Record this shop's own figure only (its prices and guard); default: the national INDEC figure, "
        "which every shop uses and which retrains the shared model.",
    ),
) -> None:
    """Record the month's CPI figure (guarded). National (default): refit, and promote the new model if not
    worse. With --shop: that shop's figure only; nothing national changes."""
    from minimarket.forecast.inflation_update import UpdateRefused, update_inflation

    try:
        result = update_inflation(
            month,
            pct,
            source=source,
            author=author,
            force=force,
            reason=reason,
            refit=not no_refit,
            shop=shop,
            eval_start=eval_start,
            calibration_months=calibration_months,
        )
    except UpdateRefused as exc:
        fail(str(exc))
    print_json(result.as_dict())


@app.command("history")
def history_cmd(
    month: str | None = typer.Option(None, "--month", help="Only this month (YYYY-MM)."),
    shop: str | None = typer.Option(None, "--shop", help="This shop's own figures (default: the national ones)."),
) -> None:
    """Every recorded figure (source, author, time, forced, reason), oldest first: national, or one shop's."""
    from minimarket.commands.common import shop_session
    from minimarket.store.db import session_scope
    from minimarket.store.inflation import national_observations, observations

    scope = session_scope(all_shops=True) if shop is None else shop_session(shop)
    with scope as session:
        found = national_observations(session, month) if shop is None else observations(session, month)
        rows = [
            {
                "id": r.id,
                "month": r.month,
                "pct": str(r.pct),
                "source": r.source,
                "author": r.author,
                "forced": r.forced,
                "reason": r.reason,
                "recorded_at": r.recorded_at.isoformat(),
            }
            for r in found
        ]
    print_json(rows)
