"""Rate limits per token and per client address (the ``limits`` library, moving window, in memory).

The API front runs as one worker process, so one in-memory window per key is exact.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class RateLimits:
    """``hit(scope, key)`` answers None when allowed, else the seconds to wait (for ``Retry-After``)."""

    def __init__(self, per_token_per_minute: int, per_ip_per_minute: int) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._items = {
            "token": RateLimitItemPerMinute(per_token_per_minute),
            "ip": RateLimitItemPerMinute(per_ip_per_minute),
        }

    def hit(self, scope: str, key: str) -> int | None:
        item = self._items[scope]
        if self._limiter.hit(item, scope, key):
            return None
        stats = self._limiter.get_window_stats(item, scope, key)
        return max(1, math.ceil(stats.reset_time - time.time()))
