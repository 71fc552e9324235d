"""The stock-alert cache: a report is served only for the fingerprint it was built from, as a copy."""

from __future__ import annotations

from minimarket.forecast.alerts_cache import AlertsCache, policy_key
from minimarket.forecast.reorder import ReorderPolicy


def test_policy_key_follows_every_field() -> None:
    base = ReorderPolicy(service_levels={"Almacén": 0.95, "Lácteos": 0.9}, default_service_level=0.9)
    same = ReorderPolicy(service_levels={"Lácteos": 0.9, "Almacén": 0.95}, default_service_level=0.9)
    assert policy_key(base) == policy_key(same)
    hash(policy_key(base))
    others = [
        ReorderPolicy(service_levels={"Almacén": 0.97, "Lácteos": 0.9}, default_service_level=0.9),
        ReorderPolicy(service_levels=dict(base.service_levels), default_service_level=0.8),
        ReorderPolicy(service_levels=dict(base.service_levels), default_service_level=0.9, history_days=60),
        ReorderPolicy(service_levels=dict(base.service_levels), default_service_level=0.9, review_period_days=14),
        ReorderPolicy(service_levels=dict(base.service_levels), default_service_level=0.9, min_windows=5),
    ]
    assert len({policy_key(p) for p in [base, *others]}) == 6


def test_a_report_is_served_for_its_own_mark_only_and_as_a_copy() -> None:
    cache = AlertsCache()
    report = {"as_of": "2026-10-31", "suppliers": [{"items": [{"sku": "A"}]}]}
    cache.put("shop", (1, 2), report)
    report["suppliers"].clear()  # the caller's object is not the cached one
    assert cache.get("shop", (1, 3)) is None
    assert cache.get("other", (1, 2)) is None
    served = cache.get("shop", (1, 2))
    assert served == {"as_of": "2026-10-31", "suppliers": [{"items": [{"sku": "A"}]}]}
    served["suppliers"][0]["items"].clear()
    assert cache.get("shop", (1, 2)) == {"as_of": "2026-10-31", "suppliers": [{"items": [{"sku": "A"}]}]}
    cache.put("shop", (1, 3), {"as_of": "2026-11-01"})  # a newer report replaces the older one
    assert cache.get("shop", (1, 2)) is None and cache.get("shop", (1, 3)) == {"as_of": "2026-11-01"}
    cache.clear()
    assert cache.get("shop", (1, 3)) is None


def test_the_least_recently_used_report_goes_first() -> None:
    cache = AlertsCache(max_entries=2)
    cache.put("a", 1, {"n": 1})
    cache.put("b", 1, {"n": 2})
    assert cache.get("a", 1) == {"n": 1}  # a is now the most recent
    cache.put("c", 1, {"n": 3})
    assert cache.get("b", 1) is None
    assert cache.get("a", 1) == {"n": 1} and cache.get("c", 1) == {"n": 3}
