"""The in-process rate-limit storage: same limits as ``limits``' MemoryStorage, no thread per request."""

from __future__ import annotations

import threading
import time

from minimarket.service.ratelimit import InlineExpiryMemoryStorage, RateLimits, rate_limit_storage


def test_memory_uri_gets_the_inline_expiry_storage() -> None:
    assert isinstance(rate_limit_storage("memory://"), InlineExpiryMemoryStorage)


def test_hits_start_no_threads_and_the_limit_holds() -> None:
    limits = RateLimits(3, 1000)
    time.sleep(0.05)  # the parent's one Timer started in __init__ has ended
    before = threading.active_count()
    answers = [limits.hit("token", "k") for _ in range(5)]
    assert threading.active_count() == before
    assert answers[:3] == [None, None, None]
    assert answers[3] is not None and 1 <= answers[3] <= 60
    assert limits.hit("token", "other") is None  # keys are counted apart


def test_expired_entries_are_dropped_when_the_clean_up_is_due() -> None:
    storage = InlineExpiryMemoryStorage(every=0.0)
    assert storage.acquire_entry("k", limit=2, expiry=1)
    storage.events["k"][0].atime -= 5  # as if hit long ago
    storage.events["k"][0].expiry -= 5
    assert storage.acquire_entry("old", limit=2, expiry=1)  # a hit on another key runs the clean-up
    assert storage.events["k"] == []
    assert storage.acquire_entry("k", limit=1, expiry=1)
    assert not storage.acquire_entry("k", limit=1, expiry=1)
