"""Reorder points, order quantities and days of cover from daily sales (pure numpy).

* Reorder point = the ``service_level`` quantile of demand over the supplier's lead time: the empirical
  quantile of every ``L``-day window of the recent history when there are enough windows, else the
  normal approximation ``μL + z·σ·√L``.
* Order-up-to level = reorder point + expected demand over the review period (the days until the
  next order); the suggested quantity brings the stock up to it, rounded up to whole packs, and is
  only suggested when the stock is at or below the reorder point.
* Days of cover = stock / mean daily demand.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from minimarket.forecast.policies import ShopPolicies, load_policies


@dataclass(frozen=True)
class ReorderPolicy:
    """Service level per category, review period and history window.

    Service levels come from the shop's policies file (:mod:`minimarket.forecast.policies`,
    ``data/raw/catalog/policies.csv``) unless given."""

    service_levels: Mapping[str, float] = field(default_factory=lambda: dict(load_policies().service_levels))
    default_service_level: float = field(default_factory=lambda: load_policies().default_service_level)
    review_period_days: int = 7
    history_days: int = 90
    min_windows: int = 20

    @classmethod
    def from_policies(cls, policies: ShopPolicies, **kwargs: int) -> ReorderPolicy:
        return cls(
            service_levels=dict(policies.service_levels),
            default_service_level=policies.default_service_level,
            **kwargs,
        )

    def service_level(self, category: str | None) -> float:
        level = self.service_levels.get(category or "", self.default_service_level)
        if not 0.5 <= level < 1.0:
            raise ValueError(f"service level for {category!r} must be in [0.5, 1): {level}")
        return level


@dataclass(frozen=True)
class ReorderAdvice:
    sku: str
    stock: float
    daily_demand: float
    lead_time_days: int
    service_level: float
    reorder_point: float
    order_up_to: float
    suggested_qty: int
    days_of_cover: float | None
    needs_order: bool
    method: str


def lead_time_demand_quantile(
    daily: np.ndarray, lead_time: int, service_level: float, min_windows: int = 20
) -> tuple[float, str]:
    """The ``service_level`` quantile of demand over ``lead_time`` days, and how it was computed."""
    values = np.asarray(daily, dtype=float)
    values = values[np.isfinite(values)]
    if lead_time < 1:
        raise ValueError("lead time must be at least one day")
    if values.size == 0:
        return 0.0, "no history"
    if values.size - lead_time + 1 >= min_windows:
        windows = np.convolve(values, np.ones(lead_time), mode="valid")
        return float(np.quantile(windows, service_level)), "empirical"
    mean, std = float(values.mean()), float(values.std(ddof=1)) if values.size > 1 else 0.0
    z = NormalDist().inv_cdf(service_level)
    return max(0.0, mean * lead_time + z * std * math.sqrt(lead_time)), "normal"


@dataclass(frozen=True)
class DemandProfile:
    """What the advice takes from the sales history alone (no stock): the unrounded reorder point and mean."""

    lead_time_days: int
    service_level: float
    reorder_point: float
    mean: float
    method: str


def demand_profile(
    daily_sales: np.ndarray,
    *,
    lead_time_days: int,
    category: str | None = None,
    policy: ReorderPolicy | None = None,
) -> DemandProfile:
    """The reorder point and mean daily demand of a SKU from its recent daily sales (zeros included)."""
    rules = policy or ReorderPolicy()
    level = rules.service_level(category)
    history = np.asarray(daily_sales, dtype=float)[-rules.history_days :]
    rop, method = lead_time_demand_quantile(history, lead_time_days, level, rules.min_windows)
    mean = float(np.nanmean(history)) if history.size else 0.0
    return DemandProfile(lead_time_days, level, rop, mean, method)


def advice_from(
    sku: str, profile: DemandProfile, stock: float, *, pack_size: int = 1, policy: ReorderPolicy | None = None
) -> ReorderAdvice:
    """Reorder advice for one SKU from its demand profile and current stock."""
    rules = policy or ReorderPolicy()
    rop, mean = profile.reorder_point, profile.mean
    order_up_to = rop + mean * rules.review_period_days
    needs = stock <= rop and order_up_to > 0
    qty = 0
    if needs:
        raw = max(0.0, order_up_to - stock)
        pack = max(1, int(pack_size))
        qty = int(math.ceil(raw / pack) * pack)
    cover = max(stock, 0.0) / mean if mean > 0 else None
    return ReorderAdvice(
        sku=sku,
        stock=float(stock),
        daily_demand=round(mean, 4),
        lead_time_days=profile.lead_time_days,
        service_level=profile.service_level,
        reorder_point=round(rop, 2),
        order_up_to=round(order_up_to, 2),
        suggested_qty=qty,
        days_of_cover=None if cover is None else round(cover, 1),
        needs_order=needs,
        method=profile.method,
    )


def advise(
    sku: str,
    daily_sales: np.ndarray,
    stock: float,
    *,
    lead_time_days: int,
    category: str | None = None,
    pack_size: int = 1,
    policy: ReorderPolicy | None = None,
) -> ReorderAdvice:
    """Reorder advice for one SKU from its recent daily sales (zeros included) and current stock."""
    rules = policy or ReorderPolicy()
    profile = demand_profile(daily_sales, lead_time_days=lead_time_days, category=category, policy=rules)
    return advice_from(sku, profile, stock, pack_size=pack_size, policy=rules)
