"""Demand backtests and model selection over many shops (or a chain's stores), one shop per task: in this process
or on a Dask cluster (the same client ``minimarket extract --dask`` uses), with the same results either way.

Each shop is its own panel and its own backtest (``auto`` redoes its per-segment selection inside each fold, so
the JSON says what each shop would be served). A shop whose history is too short gets ``{"error": ...}`` and the
others go on. Results are keyed and ordered by shop; only ``fit_seconds`` (a timing) differs between runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from minimarket.forecast.demand import DemandDataError, Panel, backtest, build_panel, quiet_library_logs
from minimarket.forecast.demand_models import make_models

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["backtest_shop", "backtest_shops", "panels_by_shop"]


def panels_by_shop(
    frame: pd.DataFrame,
    *,
    shop_col: str = "store",
    price_col: str | None = None,
    freq: str = "D",
    gaps: str = "zero",
) -> dict[str, Panel | str]:
    """One panel per value of ``shop_col`` (sorted), or the reason a shop has none (no sellable series)."""
    if shop_col not in frame.columns:
        raise DemandDataError(
            f"no shop column {shop_col!r} in the sales; columns: {', '.join(map(str, frame.columns))}"
        )
    panels: dict[str, Panel | str] = {}
    for shop, rows in sorted(frame.groupby(frame[shop_col].fillna("").astype(str)), key=lambda kv: kv[0]):
        try:
            panels[shop] = build_panel(rows.drop(columns=[shop_col]), price_col=price_col, freq=freq, gaps=gaps)
        except DemandDataError as exc:
            panels[shop] = str(exc)
    return panels


def backtest_shop(panel: Panel | str, horizon: int, folds: int, models: Sequence[str] | None) -> dict[str, Any]:
    """One shop's backtest as JSON (the task run locally or on a worker); ``{"error": ...}`` when it cannot run."""
    if isinstance(panel, str):
        return {"error": panel}
    quiet_library_logs(False)
    try:
        return backtest(panel, horizon=horizon, folds=folds, models=make_models(models, horizon)).to_json()
    except DemandDataError as exc:
        return {"error": str(exc)}


def backtest_shops(
    panels: Mapping[str, Panel | str],
    *,
    horizon: int = 28,
    folds: int = 3,
    models: Sequence[str] | None = None,
    client: Client | None = None,
) -> dict[str, dict[str, Any]]:
    """Every shop's backtest (see :func:`backtest_shop`), one after another here, or one task per shop on the
    Dask ``client``'s workers; the same dict either way (timings aside)."""
    make_models(models, horizon)  # an unknown model name stops here, before any work
    names = list(panels)
    if client is None:
        return {name: backtest_shop(panels[name], horizon, folds, models) for name in names}
    futures = [
        client.submit(backtest_shop, panels[name], horizon, folds, list(models) if models else None, pure=False)
        for name in names
    ]
    return dict(zip(names, client.gather(futures), strict=True))
