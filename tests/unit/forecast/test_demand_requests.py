"""Demand requests served together equal the same requests served one at a time, on a real SQLite store."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from minimarket.forecast.demand import GlobalGBM, build_panel
from minimarket.forecast.demand_requests import DemandModel, DemandRequest, HistoryCache, forecast_requests
from minimarket.store.db import session_scope
from minimarket.store.models import Sale

LAST = dt.date(2026, 3, 31)


def _sales() -> pd.DataFrame:
    """Four SKUs whose last sales fall on different days (the batch's panel once ended at the latest of them)."""
    rng = np.random.default_rng(7)
    rows = []
    for s, (days, stop) in enumerate([(300, 0), (200, 3), (120, 9), (60, 25)]):
        for d in range(days):
            date = LAST - dt.timedelta(days=stop + d)
            q = int(rng.poisson([1, 1, 2, 2, 3, 5, 4][date.weekday()] * (s + 1) / 2))
            if q:
                rows.append({"date": pd.Timestamp(date), "sku": f"S{s}", "quantity": float(q), "unit_price": 100.0 + s})
    return pd.DataFrame(rows)


def _store(frame: pd.DataFrame) -> None:
    with session_scope() as session:
        session.add_all(
            Sale(date=r.date.date(), sku=r.sku, quantity=Decimal(str(r.quantity)), unit_price=Decimal("100"))
            for r in frame.itertuples()
        )


def _session(shop: str) -> Any:
    return session_scope(shop, create_shop=False, read_only=True)


@pytest.fixture
def model() -> DemandModel:
    sales = _sales()
    gbm = GlobalGBM(horizon=14, max_iter=15, n_origins=8, min_samples_leaf=10).fit(build_panel(sales, min_sales=1))
    _store(sales)
    return DemandModel(model=gbm, uses_prices=False, version="1")


@pytest.mark.parametrize("champion", [True, False])
def test_batched_answers_equal_one_at_a_time(model: DemandModel, champion: bool) -> None:
    served = model if champion else None
    skus = ["S0", "S1", "S2", "S3", "NO-SUCH"]
    requests = [DemandRequest(shop="default", skus=(sku,), horizon=14) for sku in skus]
    alone = [forecast_requests([r], served, _session)[0] for r in requests]
    together = forecast_requests(requests, served, _session)
    assert together == alone
    first_days = {f["daily"][0]["date"] for a in alone for f in a["forecasts"] if f["daily"]}
    assert first_days == {(LAST + dt.timedelta(days=1)).isoformat()}  # the shop's calendar, not each SKU's
    assert alone[-1]["forecasts"][0]["method"] == "no_sales"


def test_cached_history_gives_the_same_answers_until_new_sales(model: DemandModel) -> None:
    cache = HistoryCache()
    requests = [DemandRequest(shop="default", skus=("S0", "S3"), horizon=7)]
    fresh = forecast_requests(requests, model, _session)
    assert forecast_requests(requests, model, _session, cache=cache) == fresh
    assert forecast_requests(requests, model, _session, cache=cache) == fresh  # from the cache

    _store(pd.DataFrame([{"date": pd.Timestamp(LAST + dt.timedelta(days=1)), "sku": "S3", "quantity": 40.0}]))
    after = forecast_requests(requests, model, _session, cache=cache)
    assert after == forecast_requests(requests, model, _session)
    assert after != fresh
    assert after[0]["forecasts"][0]["daily"][0]["date"] == (LAST + dt.timedelta(days=2)).isoformat()
