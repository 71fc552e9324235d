"""Feature builders of the drift datasets: deflation, invoice rows, daily sales per category, CPI months."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from minimarket.monitoring.features import (
    DATASETS,
    DATE,
    OTHER_CATEGORY,
    Deflator,
    cpi_features,
    dataset_spec,
    feature_columns,
    invoice_features,
    level_columns,
    sales_features,
    slug,
    window,
)


def _deflator() -> Deflator:
    """Index 100 in 2026-01, +10 % a month through 2026-04."""
    months = pd.period_range("2026-01", "2026-04", freq="M")
    return Deflator(pd.Series([100.0, 110.0, 121.0, 133.1], index=months))


def test_deflator_known_months_extrapolation_and_overrides() -> None:
    deflator = _deflator()
    factors = deflator.factors(["2026-01-15", "2026-03-31", "2025-06-01"])
    assert factors == pytest.approx([1.0, 1.21, 1.0])  # before the first month: the first level
    # two months after the last known one: +10 % a month compounded
    assert deflator.factors(["2026-06-10"])[0] == pytest.approx(1.331 * 1.1**2)
    assert deflator.extrapolated(["2026-05-01"]) and not deflator.extrapolated(["2026-04-30"])

    extended = Deflator.from_pct(deflator.index, {"2026-05": 5.0, "2026-09": 1.0})  # a gap is ignored
    assert extended.last_month == pd.Period("2026-05", freq="M")
    assert extended.factors(["2026-05-20"])[0] == pytest.approx(1.331 * 1.05)


def test_bundled_deflator_uses_indec_base_december_2016() -> None:
    deflator = Deflator.bundled()
    assert deflator.index.index[0] == pd.Period("2017-01", freq="M")
    assert deflator.factors(["2017-01-10"])[0] == pytest.approx(1.015859, rel=1e-6)  # dic-2016 = 100
    assert deflator.factors(["2024-06-30"])[0] > 50  # pesos of 2024 are worth far less


def _payload(day: str | None, total: str, prices: list[str], **extra: object) -> dict[str, object]:
    items = [{"unit_price": p, "sku": f"SKU{i}", "sku_confidence": 0.5 + 0.1 * i} for i, p in enumerate(prices)]
    return {
        "issue_date": day,
        "total": total,
        "items": items,
        "issuer_cuit": "30500010912",
        "status": "accepted",
        "invoice_type": "A",
        **extra,
    }


def test_invoice_features_deflate_and_summarise() -> None:
    payloads = [
        _payload("2026-03-02", "2420.00", ["100.00", "300.00", "200.00"], confidence={"total": 1.0, "cae": 0.5}),
        _payload("2026-01-20", "1000.00", [], issuer_cuit=None, status=None),
        _payload(None, "5.00", ["1.00"]),  # no date: cannot be placed in a window
    ]
    frame = invoice_features(payloads, _deflator(), base_prices={"SKU0": 50.0, "SKU1": 150.0})
    assert list(frame[DATE]) == [pd.Timestamp("2026-01-20"), pd.Timestamp("2026-03-02")]
    early, march = frame.iloc[0], frame.iloc[1]
    assert march["total_real"] == pytest.approx(2000.0)  # 2420 / 1.21
    assert march["n_items"] == 3
    assert march["unit_price_real_median"] == pytest.approx(200.0 / 1.21)
    # SKU0: 100/50 = 2, SKU1: 300/150 = 2, SKU2 has no catalog cost -> median 2 -> 100 * 2 / 1.21
    assert march["price_index_median"] == pytest.approx(200.0 / 1.21)
    assert march["confidence_mean"] == pytest.approx(0.75)
    assert march["sku_match_rate"] == 1.0
    assert march["sku_confidence_mean"] == pytest.approx(0.6)
    assert (march["supplier"], march["status"], march["invoice_type"]) == ("30500010912", "accepted", "A")
    assert early["supplier"] == "desconocido" and early["status"] == "desconocido"
    assert early["n_items"] == 0 and math.isnan(early["unit_price_real_median"])
    assert math.isnan(early["confidence_mean"]) and math.isnan(early["price_index_median"])
    assert list(frame.columns) == [DATE, *DATASETS["invoices"].numerical, *DATASETS["invoices"].categorical]


def test_invoice_features_empty() -> None:
    frame = invoice_features([], _deflator())
    assert frame.empty and DATE in frame.columns


def test_sales_features_one_row_per_day_with_category_columns() -> None:
    sales = pd.DataFrame(
        {
            "date": ["2026-02-01", "2026-02-01", "2026-02-01", "2026-02-03", "2026-02-03"],
            "sku": ["A", "A", "B", "A", "ZZ"],
            "quantity": [1, 3, 2, 2, 5],
            "unit_price": [110.0, 110.0, 220.0, 132.0, 10.0],
        }
    )
    frame = sales_features(
        sales, _deflator(), categories={"A": "Lácteos", "B": "Yerba e infusiones"}, base_prices={"A": 50.0, "B": 100.0}
    )
    assert list(frame[DATE]) == list(pd.date_range("2026-02-01", "2026-02-03"))
    day1, day2, day3 = (frame.iloc[i] for i in range(3))
    assert day1["units_total"] == 6 and day2["units_total"] == 0 and day3["units_total"] == 7
    assert day1["units__lacteos"] == 4 and day1["units__yerba_e_infusiones"] == 2
    assert day3[f"units__{OTHER_CATEGORY}"] == 5
    # February factor 1.10: real price A = 100 -> index 100 * 100 / 50 = 200; on day 3, 132 / 1.1 = 120 -> 240
    assert day1["price__lacteos"] == pytest.approx(200.0)
    assert day3["price__lacteos"] == pytest.approx(240.0)
    assert math.isnan(day2["price__lacteos"])
    assert f"price__{OTHER_CATEGORY}" not in frame.columns  # no catalog price for ZZ
    assert day1["revenue_real_total"] == pytest.approx((4 * 110 + 2 * 220) / 1.1)

    numerical, categorical = feature_columns(frame, dataset_spec("sales"))
    assert numerical[:2] == ["units_total", "revenue_real_total"] and categorical == []
    assert set(level_columns(numerical, dataset_spec("sales"))) == {"price__lacteos", "price__yerba_e_infusiones"}


def test_sales_features_use_category_column_and_reject_missing_columns() -> None:
    sales = pd.DataFrame({"date": ["2026-02-01"], "sku": ["A"], "quantity": [2], "category": ["Cervezas"]})
    frame = sales_features(sales, _deflator())
    assert frame.loc[0, "units__cervezas"] == 2 and np.isnan(frame.loc[0, "revenue_real_total"])
    with pytest.raises(ValueError, match="lacks columns"):
        sales_features(pd.DataFrame({"date": [], "sku": []}), _deflator())


def test_cpi_features_changes_and_residuals() -> None:
    months = pd.period_range("2026-01", "2026-04", freq="M")
    headline = pd.Series([2.0, 2.5, 2.1, 3.0], index=months)
    residuals = pd.Series([0.4, -0.2], index=pd.period_range("2026-02", "2026-03", freq="M"))
    frame = cpi_features(headline, residuals)
    assert list(frame[DATE]) == list(months.to_timestamp())
    assert np.isnan(frame.loc[0, "pct_change"]) and frame.loc[1, "pct_change"] == pytest.approx(0.5)
    assert frame["residual_pp"].isna().tolist() == [True, False, False, True]
    assert frame.loc[1, "residual_pp"] == pytest.approx(0.4)
    assert cpi_features(headline)["residual_pp"].isna().all()


def test_window_slug_and_unknown_dataset() -> None:
    frame = pd.DataFrame({DATE: pd.date_range("2026-01-01", periods=10), "x": range(10)})
    assert window(frame, "2026-01-03", "2026-01-05")["x"].tolist() == [2, 3, 4]
    assert slug("Fiambres y quesos") == "fiambres_y_quesos" and slug("Perfumería") == "perfumeria"
    assert slug("¿?") == OTHER_CATEGORY
    with pytest.raises(ValueError, match="known: invoices, sales, cpi"):
        dataset_spec("stock")
