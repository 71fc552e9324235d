"""`demand train` end to end on a real MLflow store: the per-segment model is served as one pyfunc, and a
model that forecasts zeros is registered but refused by the gate with its figures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from minimarket import tracking
from minimarket.forecast.demand_mlflow import MODEL_NAME, train_and_register
from minimarket.synth.transaction_log import transaction_log

FAST_GBM = {"n_origins": 12, "max_iter": 60}


def _sales() -> pd.DataFrame:
    """A bakery-shaped transaction log as a POS frame (date, sku, quantity)."""
    log = transaction_log(items=30, days=110, seed=2)
    return pd.DataFrame({"date": pd.to_datetime(log["Date"]), "sku": log["Item"], "quantity": 1.0})


def test_served_model_routes_segments_and_a_zero_forecast_is_refused() -> None:
    sales = _sales()
    good = train_and_register(
        sales, horizon=7, models="moving_average,croston_sba,global_gbm", folds=2, params=FAST_GBM
    )
    assert good.guard is not None and good.guard.ok
    assert good.decision is not None and good.decision.promoted
    assert good.metrics["wape_holdout"] < good.metrics["seasonal_naive_wape_holdout"]
    assert 0.5 < good.metrics["coverage_p10_p90_holdout"] <= 1.0
    assert {row["segment"] for row in good.selection} == {"smooth", "intermittent"}

    served = tracking.load_model(MODEL_NAME)
    recent = sales[sales["date"] > sales["date"].max() - pd.Timedelta(days=56)].copy()
    recent["date"] = recent["date"].dt.strftime("%Y-%m-%d")
    forecast = served.predict(recent)
    assert set(forecast.columns) >= {"sku", "date", "p10", "p50", "p90", "segment", "model"}
    assert forecast["p50"].gt(0).any() and np.isfinite(forecast[["p10", "p50", "p90"]]).all().all()
    assert (forecast["p10"] <= forecast["p50"]).all() and (forecast["p50"] <= forecast["p90"]).all()
    best = recent["sku"].value_counts().index[0]
    assert forecast.loc[forecast["sku"] == best, "p10"].gt(0).all()

    # the raw-ratio GBM of old forecasts 0 everywhere on this log: the gate refuses it with figures
    broken = train_and_register(sales, horizon=7, models="global_gbm", params={**FAST_GBM, "relative_target": False})
    assert broken.guard is not None and not broken.guard.ok
    assert broken.decision is not None and not broken.decision.promoted
    reason = broken.decision.reason
    assert reason.startswith("pre-gate check failed:") and "0 for every series" in reason
    assert "worse than seasonal naive" in reason
    assert f"{broken.metrics['wape_holdout']:.4f}" in reason
    assert tracking.alias_version(MODEL_NAME, tracking.CHAMPION) == good.version
