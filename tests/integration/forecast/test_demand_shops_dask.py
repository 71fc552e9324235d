"""Per-shop demand backtests and selection on the session's Dask LocalCluster: the same results as in this process
(timings aside), a shop with too short a history gets its error and the others go on; the CLI's --per-store
--dask prints what --per-store prints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from typer.testing import CliRunner

from minimarket.cli import app
from minimarket.forecast.demand_shops import backtest_shops, panels_by_shop
from minimarket.synth.sales import simulate_sales

MODELS = ["auto", "seasonal_naive", "moving_average", "croston_sba"]


def _sales() -> pd.DataFrame:
    """Three shops: two with a year of seeded synthetic sales, one that opened three weeks ago."""
    frames = []
    for shop, seed in (("centro", 3), ("norte", 5)):
        frame = simulate_sales(days=365, seed=seed, n_skus=6).sales
        frames.append(frame.assign(store=shop))
    recent = simulate_sales(days=21, seed=9, n_skus=3).sales
    frames.append(recent.assign(store="nuevo"))
    return pd.concat(frames, ignore_index=True)


def _without_timings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k != "fit_seconds"}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def test_per_shop_backtests_on_dask_equal_the_local_ones(dask_client: Any) -> None:
    panels = panels_by_shop(_sales(), shop_col="store", price_col="unit_price")
    local = backtest_shops(panels, horizon=14, folds=2, models=MODELS)
    on_dask = backtest_shops(panels, horizon=14, folds=2, models=MODELS, client=dask_client)

    assert list(on_dask) == list(local) == ["centro", "norte", "nuevo"]
    assert _without_timings(on_dask) == _without_timings(local)
    assert set(local["centro"]["models"]) == set(MODELS)
    assert "auto" in local["norte"]["selection_per_fold"]  # the selection each shop would be served
    assert "not enough history" in local["nuevo"]["error"]


def test_cli_per_store_dask_prints_the_local_result(dask_client: Any, tmp_path: Path) -> None:
    csv = tmp_path / "ventas.csv"
    _sales().to_csv(csv, index=False)
    base = ["demand", "backtest", "--sales", str(csv), "--store-col", "store", "--qty-col", "quantity",
            "--horizon", "14", "--folds", "2", "--models", "seasonal_naive,moving_average", "--per-store"]  # fmt: skip
    runner = CliRunner()
    local = runner.invoke(app, base)
    on_dask = runner.invoke(app, [*base, "--dask", "--dask-scheduler", dask_client.scheduler.address])
    assert local.exit_code == on_dask.exit_code == 0, on_dask.output
    assert _without_timings(json.loads(on_dask.stdout)) == _without_timings(json.loads(local.stdout))
    assert sorted(json.loads(local.stdout)["stores"]) == ["centro", "norte", "nuevo"]

    misuse = runner.invoke(app, [*base[:-1], "--dask"])
    assert misuse.exit_code == 2
    assert "--dask y --dask-scheduler van con --per-store" in misuse.stderr
