"""Rate limits shared through a real Redis (several replicas), and failing open when Redis is gone."""

from __future__ import annotations

import uuid

from minimarket.service import metrics as m
from minimarket.service.local import free_port
from minimarket.service.ratelimit import RateLimits


def test_two_replicas_share_one_window(redis_url: str) -> None:
    a = RateLimits(5, 1000, redis_url)
    b = RateLimits(5, 1000, redis_url)
    key = uuid.uuid4().hex
    answers = [(a if n % 2 else b).hit("token", key) for n in range(8)]
    assert answers[:5] == [None] * 5
    assert all(isinstance(wait, int) and 1 <= wait <= 60 for wait in answers[5:])


def test_a_dead_redis_lets_requests_through_and_is_counted() -> None:
    limits = RateLimits(1, 1, f"redis://127.0.0.1:{free_port()}/0")  # nobody listens there
    before = m.RATE_LIMIT_STORAGE_ERRORS._value.get()
    assert [limits.hit("token", "t") for _ in range(3)] == [None, None, None]
    assert m.RATE_LIMIT_STORAGE_ERRORS._value.get() == before + 3
