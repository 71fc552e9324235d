"""Synthetic daily sales for a mini market, deterministic from a seed.

Built from the bundled catalog (``minimarket.catalog.bundled_products()``): each SKU gets a base rate
from its category (with slow movers sold a few times a month), and daily demand is Poisson/negative
binomial around

    base × weekday × payday × holiday × category season × aguinaldo × price response

* weekday profile of an almacén (Saturday peak, open on Sunday);
* paydays: the first five days of the month sell more, the last days less;
* Argentine national holidays (``holidays.AR``): drinks, cold cuts and snacks up, the rest down;
* summer/winter seasonality per category (drinks, beer and frozen up in summer; yerba, infusions up in
  winter; wine and panificados up in December);
* aguinaldo (half-year bonus) in the second half of June and December;
* prices follow INDEC's CPI for the category (re-priced every 2-4 weeks, so the shelf price lags
  inflation and jumps), and demand responds to the real price with a category elasticity;
* stock-out episodes (a few days with zero sales) and intermittent slow movers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from minimarket.domain.catalog import Product


@dataclass(frozen=True)
class CategoryProfile:
    rate: float  # typical units per day of one SKU
    summer: float  # relative amplitude of the yearly cycle (+ = summer peak, - = winter peak)
    elasticity: float  # price elasticity of demand (negative)
    holiday: float  # multiplier on holidays
    december: float = 1.0  # extra multiplier in December (festivities)


PROFILES: dict[str, CategoryProfile] = {
    "Almacén": CategoryProfile(2.0, 0.0, -0.4, 0.85),
    "Limpieza": CategoryProfile(0.9, 0.05, -0.5, 0.8),
    "Yerba e infusiones": CategoryProfile(2.2, -0.2, -0.3, 0.9),
    "Perfumería": CategoryProfile(0.6, 0.05, -0.6, 0.8),
    "Bebidas sin alcohol": CategoryProfile(4.5, 0.4, -0.9, 1.25, 1.15),
    "Lácteos": CategoryProfile(3.5, 0.0, -0.5, 0.9),
    "Golosinas": CategoryProfile(3.0, -0.05, -1.0, 1.0),
    "Galletitas": CategoryProfile(2.0, -0.1, -0.8, 0.95),
    "Panificados": CategoryProfile(3.0, -0.1, -0.4, 0.9, 1.3),
    "Fiambres y quesos": CategoryProfile(1.8, 0.0, -0.7, 1.2, 1.2),
    "Frutas y verduras": CategoryProfile(2.5, 0.1, -0.6, 0.9),
    "Vinos y aperitivos": CategoryProfile(1.2, -0.05, -1.0, 1.3, 1.5),
    "Cigarrillos": CategoryProfile(5.0, 0.0, -0.2, 1.05),
    "Congelados": CategoryProfile(1.0, 0.45, -0.9, 1.1),
    "Cervezas": CategoryProfile(3.5, 0.5, -1.1, 1.4, 1.25),
    "Snacks": CategoryProfile(1.8, 0.15, -1.2, 1.3),
    "Huevos y carnes": CategoryProfile(1.5, -0.05, -0.6, 1.0),
}
DEFAULT_PROFILE = CategoryProfile(1.0, 0.0, -0.7, 1.0)
WEEKDAY = np.array([0.85, 0.85, 0.9, 0.95, 1.15, 1.35, 0.95])  # Monday .. Sunday
DEFAULT_MARKUP = 0.35


@dataclass(frozen=True)
class SalesSimulation:
    """Daily sales (rows with quantity > 0) plus the demand and stock-out truth behind them."""

    sales: pd.DataFrame  # date, sku, category, quantity, unit_price
    stockout_days: pd.DataFrame  # date, sku

    def to_csv(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        frame = self.sales[["date", "sku", "quantity", "unit_price"]].copy()
        frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
        frame.to_csv(path, index=False, float_format="%.2f")
        return path


def _monthly_inflation(start: dt.date, end: dt.date) -> pd.Series:
    """Headline monthly % for the simulated months (bundled CPI; 2 % after its last month)."""
    from minimarket.forecast.cpi import headline_series

    months = pd.period_range(pd.Period(start, "M"), pd.Period(end, "M"), freq="M")
    try:
        known = headline_series()
    except FileNotFoundError:
        known = pd.Series(dtype=float)
    return pd.Series([float(known.get(m, 2.0)) for m in months], index=months)


def simulate_sales(
    products: Sequence[Product] | None = None,
    *,
    start: dt.date = dt.date(2024, 9, 1),
    days: int = 730,
    seed: int = 7,
    n_skus: int | None = None,
    slow_mover_share: float = 0.2,
    stockout_daily_prob: float = 0.006,
) -> SalesSimulation:
    """Simulate ``days`` days of sales from ``start`` for ``products`` (the bundled catalog by default)."""
    import holidays

    if products is None:
        from minimarket.catalog import bundled_products

        products = bundled_products()
    chosen = list(products)[:n_skus] if n_skus else list(products)
    if not chosen:
        raise ValueError("no products to simulate")
    if days < 1:
        raise ValueError("days must be positive")
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=days, freq="D")
    n, t = len(chosen), len(dates)
    profiles = [PROFILES.get(p.category or "", DEFAULT_PROFILE) for p in chosen]

    # --- calendar multipliers (t,) -----------------------------------------------------------------
    weekday = WEEKDAY[dates.dayofweek.to_numpy()]
    dom = dates.day.to_numpy()
    days_in_month = dates.days_in_month.to_numpy()
    payday = np.where(dom <= 5, 1.2, np.where(dom > days_in_month - 4, 0.88, 1.0))
    ar_holidays = holidays.country_holidays("AR", years=sorted(set(dates.year)))
    is_holiday = np.array([d.date() in ar_holidays for d in dates])
    aguinaldo = np.where(np.isin(dates.month, (6, 12)) & (dom >= 15), 1.08, 1.0)
    doy = dates.dayofyear.to_numpy()
    summer_wave = np.cos(2 * np.pi * (doy - 15) / 365.25)  # +1 mid January, -1 mid July
    december = dates.month.to_numpy() == 12

    # --- per-SKU parameters (n,) ---------------------------------------------------------------------
    base = np.array([p.rate for p in profiles]) * rng.lognormal(0.0, 0.6, n)
    slow = rng.random(n) < slow_mover_share
    base = np.where(slow, rng.uniform(0.04, 0.35, n), base)
    amplitude = np.array([p.summer for p in profiles])
    elasticity = np.array([p.elasticity for p in profiles])
    holiday_mult = np.array([p.holiday for p in profiles])
    december_mult = np.array([p.december for p in profiles])
    dispersion = rng.uniform(2.0, 8.0, n)  # negative-binomial shape: lower = burstier

    # --- prices: category CPI path, re-priced every 14-28 days ---------------------------------------
    inflation = _monthly_inflation(dates[0].date(), dates[-1].date())
    monthly = {str(month): float(pct) for month, pct in inflation.items()}
    daily_growth = np.array([(1 + monthly[f"{d:%Y-%m}"] / 100) ** (1 / d.days_in_month) for d in dates])
    general_level = np.cumprod(daily_growth)
    sku_drift = rng.normal(0.0, 0.0006, n)  # some SKUs run ahead of or behind the CPI
    cost0 = np.array([float(p.cost) for p in chosen])
    price0 = cost0 * (1 + DEFAULT_MARKUP)
    shelf = np.empty((n, t))
    for i in range(n):
        level = general_level * np.exp(sku_drift[i] * np.arange(t))
        next_reprice = 0
        current = price0[i]
        for j in range(t):
            if j >= next_reprice:
                current = price0[i] * level[j]
                next_reprice = j + int(rng.integers(14, 29))
            shelf[i, j] = current
    real_price = shelf / (price0[:, None] * general_level[None, :])

    # --- demand ----------------------------------------------------------------------------------------
    mean = (
        base[:, None]
        * weekday[None, :]
        * payday[None, :]
        * aguinaldo[None, :]
        * np.where(is_holiday[None, :], holiday_mult[:, None], 1.0)
        * (1 + amplitude[:, None] * summer_wave[None, :])
        * np.where(december[None, :], december_mult[:, None], 1.0)
        * real_price ** elasticity[:, None]
    )
    gamma = rng.gamma(dispersion[:, None], mean / dispersion[:, None])
    demand = rng.poisson(gamma)

    # --- stock-outs: episodes of 1-6 days with nothing on the shelf -------------------------------------
    stockout = np.zeros((n, t), dtype=bool)
    starts = rng.random((n, t)) < stockout_daily_prob
    for i, j in zip(*np.nonzero(starts), strict=True):
        stockout[i, j : j + int(rng.integers(1, 7))] = True
    sold = np.where(stockout, 0, demand)

    rows_i, rows_j = np.nonzero(sold)
    categories = np.array([p.category or "" for p in chosen], dtype=object)
    skus = np.array([p.sku for p in chosen], dtype=object)
    sales = pd.DataFrame(
        {
            "date": dates[rows_j],
            "sku": skus[rows_i],
            "category": categories[rows_i],
            "quantity": sold[rows_i, rows_j].astype(int),
            "unit_price": np.round(shelf[rows_i, rows_j], 2),
        }
    ).sort_values(["date", "sku"], ignore_index=True)
    so_i, so_j = np.nonzero(stockout)
    stockouts = pd.DataFrame({"date": dates[so_j], "sku": skus[so_i]})
    return SalesSimulation(sales=sales, stockout_days=stockouts)
