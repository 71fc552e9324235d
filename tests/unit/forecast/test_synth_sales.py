import datetime as dt

import pandas as pd

from minimarket.synth.sales import simulate_sales


def test_deterministic_and_shaped_like_a_mini_market():
    a = simulate_sales(days=120, n_skus=60, seed=3)
    b = simulate_sales(days=120, n_skus=60, seed=3)
    pd.testing.assert_frame_equal(a.sales, b.sales)
    c = simulate_sales(days=120, n_skus=60, seed=4)
    assert not a.sales.equals(c.sales)
    sales = a.sales
    assert (sales["quantity"] > 0).all()
    by_dow = sales.groupby(sales["date"].dt.dayofweek)["quantity"].sum()
    assert by_dow[5] > by_dow[1]  # Saturday beats Tuesday
    assert not a.stockout_days.empty
    merged = a.stockout_days.merge(sales, on=["date", "sku"])
    assert merged.empty  # nothing sold during a stock-out


def test_paydays_and_summer_drinks():
    sim = simulate_sales(start=dt.date(2024, 7, 1), days=365, seed=1)
    s = sim.sales
    early = s[s["date"].dt.day <= 5].groupby(s["date"].dt.date)["quantity"].sum().mean()
    mid = s[s["date"].dt.day.between(12, 20)].groupby(s["date"].dt.date)["quantity"].sum().mean()
    assert early > mid
    drinks = s[s["category"] == "Cervezas"]
    january = drinks[drinks["date"].dt.month == 1]["quantity"].sum()
    july = drinks[drinks["date"].dt.month == 7]["quantity"].sum()
    assert january > july


def test_prices_follow_inflation_and_slow_movers_exist():
    sim = simulate_sales(days=365, seed=2)
    s = sim.sales
    first = s[s["date"] < s["date"].min() + pd.Timedelta(days=30)].groupby("sku")["unit_price"].median()
    last = s[s["date"] > s["date"].max() - pd.Timedelta(days=30)].groupby("sku")["unit_price"].median()
    assert (last / first).median() > 1.1
    selling_days = s.groupby("sku")["date"].nunique()
    assert (selling_days < 60).sum() >= 10  # intermittent slow movers
