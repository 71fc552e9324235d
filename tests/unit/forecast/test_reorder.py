import numpy as np
import pytest

from minimarket.forecast.reorder import ReorderPolicy, advise, lead_time_demand_quantile


def test_empirical_quantile_of_lead_time_windows():
    daily = np.array([1.0, 2.0, 3.0] * 20)
    rop, method = lead_time_demand_quantile(daily, 3, 0.95)
    assert method == "empirical"
    assert rop == pytest.approx(6.0)  # every 3-day window sums to 6


def test_normal_approximation_on_short_history():
    rop, method = lead_time_demand_quantile(np.array([2.0, 4.0, 2.0, 4.0]), 4, 0.5)
    assert method == "normal"
    assert rop == pytest.approx(12.0)  # median = mean × lead time


def test_advice_orders_up_to_level_in_whole_packs():
    daily = np.full(60, 2.0)
    advice = advise("X", daily, stock=5, lead_time_days=3, pack_size=6, policy=ReorderPolicy(review_period_days=7))
    assert advice.reorder_point == pytest.approx(6.0)
    assert advice.order_up_to == pytest.approx(20.0)
    assert advice.needs_order and advice.suggested_qty == 18  # 15 needed → 3 packs of 6
    assert advice.days_of_cover == pytest.approx(2.5)


def test_no_order_above_reorder_point_and_service_level_per_category():
    daily = np.full(60, 2.0)
    advice = advise("X", daily, stock=50, lead_time_days=3)
    assert not advice.needs_order and advice.suggested_qty == 0
    policy = ReorderPolicy(service_levels={"Lácteos": 0.99}, default_service_level=0.9)
    assert policy.service_level("Lácteos") == 0.99
    assert policy.service_level("Otra") == 0.9
    with pytest.raises(ValueError):
        ReorderPolicy(service_levels={"X": 1.0}).service_level("X")


def test_higher_service_level_raises_reorder_point():
    rng = np.random.default_rng(1)
    daily = rng.poisson(3, 90).astype(float)
    low = advise("X", daily, 0, lead_time_days=5, policy=ReorderPolicy(default_service_level=0.8, service_levels={}))
    high = advise("X", daily, 0, lead_time_days=5, policy=ReorderPolicy(default_service_level=0.99, service_levels={}))
    assert high.reorder_point > low.reorder_point


def test_negative_stock_has_zero_cover_and_no_demand_no_cover():
    assert advise("X", np.full(30, 1.0), -4, lead_time_days=2).days_of_cover == 0
    assert advise("X", np.zeros(30), 3, lead_time_days=2).days_of_cover is None
