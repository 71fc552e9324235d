"""``minimarket demand``: backtest on any sales CSV, train/register, forecast."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from minimarket.commands.common import fail, print_json

if TYPE_CHECKING:
    import pandas as pd

    from minimarket.sales_csv import SalesTable

app = typer.Typer(help="Demand per product: backtest on any sales CSV, train, forecast.", no_args_is_help=True)


def _load(
    sales: Path,
    date_col: str,
    sku_col: str,
    qty_col: str | None,
    store_col: str | None,
    price_col: str | None,
    drop_duplicates: bool,
    date_format: str | None,
) -> tuple[pd.DataFrame, SalesTable]:
    from minimarket.sales_csv import SalesColumns, SalesCsvError, read_sales_csv

    if not sales.is_file():
        fail(f"no such file: {sales}", 2)
    columns = SalesColumns(date=date_col, sku=sku_col, quantity=qty_col, unit_price=price_col, store=store_col)
    try:
        table = read_sales_csv(sales, columns, drop_duplicates=drop_duplicates, date_format=date_format)
    except (SalesCsvError, UnicodeDecodeError) as exc:
        fail(str(exc).replace("\n", " "), 2)
    frame = table.to_frame()
    if store_col:
        frame["store"] = frame["store"].fillna("")
    return frame, table


@app.command("backtest")
def backtest_cmd(
    sales: Path = typer.Option(..., "--sales", help="Sales CSV (a POS export or a transaction log)."),
    date_col: str = typer.Option("date", "--date-col", help="Date column (YYYY-MM-DD or dd/mm/aaaa)."),
    sku_col: str = typer.Option("sku", "--sku-col", help="Product column."),
    qty_col: str | None = typer.Option(
        None,
        "--qty-col",
        help="Quantity column. Without it a column named like one (quantity, cantidad, unidades…) is used; "
        "if there is none each row is one unit.",
    ),
    count_rows: bool = typer.Option(False, "--count-rows", help="Each row is one unit, even with a quantity column."),
    store_col: str | None = typer.Option(None, "--store-col", help="Store column: each store × SKU is a series."),
    price_col: str | None = typer.Option(None, "--price-col", help="Unit price column (a model feature)."),
    horizon: int = typer.Option(28, "--horizon", min=1, help="Periods ahead (days for --freq D)."),
    folds: int = typer.Option(3, "--folds", min=1, max=20, help="Number of rolling folds."),
    freq: str = typer.Option("D", "--freq", help="D (daily), W (weekly) or M (monthly) aggregation."),
    models: str | None = typer.Option(
        None,
        "--models",
        help="Comma-separated: auto (what training serves), global_gbm, prophet, auto_ets, auto_theta, croston_sba, "
        "tsb, adida, seasonal_naive, moving_average (default: all).",
    ),
    drop_duplicates: bool = typer.Option(False, "--drop-duplicates", help="Drop fully repeated rows first."),
    date_format: str | None = typer.Option(None, "--date-format", help="strptime format, e.g. %d/%m/%Y."),
    gaps: str = typer.Option(
        "zero",
        "--gaps",
        help="A period with no row: 'zero' (nothing sold, as in a POS export) or 'missing' (not recorded: not scored).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON result (the default output)."),
    verbose: bool = typer.Option(False, "--verbose", help="Let Prophet, cmdstanpy and statsforecast log at INFO."),
    per_store: bool = typer.Option(
        False, "--per-store", help='With --store-col: one backtest (and auto\'s selection) per store, under "stores".'
    ),
    dask: bool = typer.Option(
        False,
        "--dask",
        help="With --per-store: one task per store on a Dask cluster (LocalCluster or --dask-scheduler).",
    ),
    dask_scheduler: str | None = typer.Option(
        None,
        "--dask-scheduler",
        help="With --dask: a running scheduler (tcp://host:8786; default MINIMARKET_DASK_SCHEDULER).",
    ),
) -> None:
    """Backtest every model on the CSV: WAPE, MASE, bias, fit time and (models with quantiles) the share of
    actuals inside P10-P90, per model over the folds. ``auto`` redoes its per-segment selection inside each
    fold on that fold's training window; the JSON lists what it chose.

    Returns (negative quantities) are netted into their day; a day whose net is negative counts as 0.
    Series with a single selling period cannot be evaluated: they are skipped and counted in the JSON.

    With --per-store each store is backtested on its own (a store without enough history gets an "error"),
    one store per task with --dask; the results are the same as without --dask (timings aside).
    """
    from minimarket.forecast.demand import quiet_library_logs
    from minimarket.sales_csv import guess_quantity_column, read_header

    quiet_library_logs(verbose)
    if not sales.is_file():
        fail(f"no such file: {sales}", 2)
    detected = False
    if qty_col is None and not count_rows:
        qty_col = guess_quantity_column(read_header(sales))
        detected = qty_col is not None
        if detected:
            typer.echo(
                f"Usando la columna {qty_col!r} como cantidad vendida (use --qty-col para otra, o --count-rows "
                "para contar cada fila como una unidad).",
                err=True,
            )
    if per_store and not store_col:
        fail("--per-store va con --store-col (la columna de la sucursal)", 2)
    if (dask or dask_scheduler) and not per_store:
        fail("--dask y --dask-scheduler van con --per-store", 2)
    frame, table = _load(sales, date_col, sku_col, qty_col, store_col, price_col, drop_duplicates, date_format)
    if per_store:
        payload = _per_store(frame, price_col, freq, gaps, horizon, folds, models, dask, dask_scheduler)
    else:
        payload = _pooled_backtest(frame, store_col, price_col, freq, gaps, horizon, folds, models, verbose)
    payload["quantity_column"] = qty_col
    payload["quantity_column_detected"] = detected
    payload["units"] = f"column {qty_col!r}" if qty_col else "one unit per row"
    payload["rows"] = len(table)
    payload["returns_rows"] = table.returns
    payload["duplicates_dropped"] = table.duplicates_dropped
    print_json(payload)


def _per_store(
    frame: pd.DataFrame,
    price_col: str | None,
    freq: str,
    gaps: str,
    horizon: int,
    folds: int,
    models: str | None,
    dask: bool,
    dask_scheduler: str | None,
) -> dict[str, Any]:
    import contextlib

    from minimarket.forecast.demand import DemandDataError
    from minimarket.forecast.demand_shops import backtest_shops, panels_by_shop

    names = [m.strip() for m in models.split(",") if m.strip()] if models else None
    try:
        panels = panels_by_shop(
            frame, shop_col="store", price_col="unit_price" if price_col else None, freq=freq.upper(), gaps=gaps
        )
        with contextlib.ExitStack() as stack:
            client = None
            if dask:
                from minimarket.cluster import ClusterUnavailable, dask_client
                from minimarket.config import get_settings

                try:
                    client = stack.enter_context(dask_client(get_settings(), dask_scheduler))
                except ClusterUnavailable as exc:
                    fail(str(exc), 2)
            stores = backtest_shops(panels, horizon=horizon, folds=folds, models=names, client=client)
    except DemandDataError as exc:
        fail(str(exc), 2)
    return {"horizon": horizon, "folds": folds, "freq": freq.upper(), "stores": stores}


def _pooled_backtest(
    frame: pd.DataFrame,
    store_col: str | None,
    price_col: str | None,
    freq: str,
    gaps: str,
    horizon: int,
    folds: int,
    models: str | None,
    verbose: bool,
) -> dict[str, Any]:
    from minimarket.forecast.demand import DemandDataError, backtest, build_panel
    from minimarket.forecast.demand_models import make_models

    try:
        panel = build_panel(
            frame,
            price_col="unit_price" if price_col else None,
            store_col="store" if store_col else None,
            freq=freq.upper(),
            gaps=gaps,
        )
        names = [m.strip() for m in models.split(",") if m.strip()] if models else None
        chosen = make_models(names, horizon, verbose=verbose)
        result = backtest(panel, horizon=horizon, folds=folds, models=chosen)
    except DemandDataError as exc:
        fail(str(exc), 2)
    return result.to_json()


@app.command("train")
def train_cmd(
    sales: Path | None = typer.Option(None, "--sales", help="Sales CSV (date, sku, quantity, unit_price)."),
    synthetic: bool = typer.Option(False, "--synthetic", help="Train on the synthetic mini-market sales."),
    horizon: int = typer.Option(28, "--horizon", min=1),
    models: str = typer.Option(
        "auto", "--models", help="auto (every candidate, chosen per segment), or a comma list of candidates."
    ),
    folds: int = typer.Option(2, "--folds", min=1, max=10, help="Rolling folds the selection is scored on."),
    seed: int = typer.Option(7, "--seed", help="Seed of the synthetic sales."),
    verbose: bool = typer.Option(False, "--verbose", help="Let Prophet, cmdstanpy and statsforecast log at INFO."),
) -> None:
    """Choose the demand model per segment by backtest, log it to MLflow, register `demand-forecaster`
    and run the gate (which refuses a model that forecasts zeros/NaN or loses to seasonal naive).

    Without --sales or --synthetic, the shop's sales from the store are used."""
    from minimarket.forecast.demand import DemandDataError, quiet_library_logs
    from minimarket.forecast.demand_mlflow import train_and_register

    quiet_library_logs(verbose)

    if sales is not None:
        frame, _ = _load(sales, "date", "sku", "quantity", None, "unit_price", False, None)
    elif synthetic:
        from minimarket.synth.sales import simulate_sales

        frame = simulate_sales(seed=seed).sales
    else:
        from minimarket.store.db import session_scope
        from minimarket.store.sales import sales_frame

        with session_scope() as session:
            frame = sales_frame(session)
        if frame.empty:
            fail("the store has no sales; import some with 'minimarket sales import' or use --synthetic")
    try:
        outcome = train_and_register(frame, horizon=horizon, models=models, folds=folds)
    except DemandDataError as exc:
        fail(str(exc), 2)
    print_json(
        {
            "run_id": outcome.run_id,
            "version": outcome.version,
            "metrics": outcome.metrics,
            "selection": outcome.selection,
            "guard": outcome.guard.message if outcome.guard else None,
            "gate": outcome.decision.as_dict() if outcome.decision else None,
        }
    )


@app.command("synth")
def synth_cmd(
    out: Path = typer.Option(..., "--out", help="Where to write the CSV (date, sku, quantity, unit_price)."),
    days: int = typer.Option(730, "--days", min=30),
    seed: int = typer.Option(7, "--seed"),
    skus: int | None = typer.Option(None, "--skus", help="Only the first N catalog products."),
) -> None:
    """Write synthetic mini-market sales (deterministic from the seed)."""
    from minimarket.synth.sales import simulate_sales

    sim = simulate_sales(days=days, seed=seed, n_skus=skus)
    sim.to_csv(out)
    print_json({"path": str(out), "rows": len(sim.sales), "skus": int(sim.sales["sku"].nunique())})
