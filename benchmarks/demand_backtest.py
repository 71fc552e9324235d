"""Demand backtest benchmark at a 28-day horizon: global GBM vs seasonal naive, moving average and
Prophet per series, printed as JSON.

Datasets:
* ``synthetic`` — the mini-market generator (313 SKUs × 730 days by default);
* ``csv`` — any sales CSV (``--csv PATH --date-col --sku-col [--qty-col --store-col --price-col --freq]``),
  e.g. a real public retail dataset converted to a sales CSV.

Run: ``.venv/bin/python benchmarks/demand_backtest.py synthetic [--prophet-series 100]``
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd

from minimarket.forecast.demand import Panel, backtest, build_panel, make_models


def _subset(panel: Panel, n: int, seed: int = 0) -> Panel:
    if n <= 0 or n >= panel.n_series:
        return panel
    keep = np.sort(np.random.default_rng(seed).choice(panel.n_series, size=n, replace=False))
    return Panel(
        [panel.series[i] for i in keep],
        panel.periods,
        panel.values[keep],
        panel.freq,
        None if panel.prices is None else panel.prices[keep],
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset", choices=["synthetic", "csv"])
    parser.add_argument("--csv")
    parser.add_argument("--date-col", default="date")
    parser.add_argument("--sku-col", default="sku")
    parser.add_argument("--qty-col", default="quantity")
    parser.add_argument("--store-col")
    parser.add_argument("--price-col")
    parser.add_argument("--freq", default="D")
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument(
        "--prophet-series", type=int, default=100, help="Series sampled for the comparison with Prophet (0 = all)."
    )
    args = parser.parse_args()

    if args.dataset == "synthetic":
        from minimarket.synth.sales import simulate_sales

        sales = simulate_sales().sales
        panel = build_panel(sales, price_col="unit_price")
    else:
        sales = pd.read_csv(args.csv)
        panel = build_panel(
            sales,
            date_col=args.date_col,
            sku_col=args.sku_col,
            qty_col=args.qty_col or None,
            store_col=args.store_col,
            price_col=args.price_col,
            freq=args.freq,
        )
    out: dict[str, object] = {"dataset": args.dataset, "n_periods": int(panel.values.shape[1])}
    started = time.perf_counter()
    full = backtest(
        panel,
        horizon=args.horizon,
        folds=args.folds,
        models=make_models(["global_gbm", "seasonal_naive", "moving_average"], args.horizon),
    )
    out["all_series"] = full.to_json()
    out["all_series"]["fit_seconds_global_gbm_per_fold"] = round(
        full.results["global_gbm"]["fit_seconds"] / args.folds, 2
    )
    sub = _subset(panel, args.prophet_series)
    with_prophet = backtest(sub, horizon=args.horizon, folds=args.folds, models=make_models(None, args.horizon))
    out["with_prophet_subset"] = with_prophet.to_json()
    out["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
