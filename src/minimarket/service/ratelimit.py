"""Rate limits per token and per client address (the ``limits`` library, moving window).

Windows live where ``Settings.rate_limit_storage`` says: ``memory://`` counts in this process (one replica),
``redis://host:port/db`` counts in Redis, so a limit holds across every replica of the API. When Redis does
not answer the limiter fails open (the request goes through), counts
``minimarket_rate_limit_storage_errors_total`` and logs once until Redis answers again.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from minimarket.service import metrics as m

log = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 0.5
"""Longest wait for Redis on one check: a slow or dead Redis must not hold requests up."""


def rate_limit_storage(uri: str) -> Storage:
    """The ``limits`` storage for ``uri`` (``memory://`` or ``redis://…``), with short Redis timeouts."""
    if uri == "memory://":
        return MemoryStorage()
    storage = storage_from_string(
        uri, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
    )
    assert isinstance(storage, Storage)  # a synchronous storage (not limits.aio)
    return storage


class RateLimits:
    """``hit(scope, key)`` answers None when allowed, else the seconds to wait (for ``Retry-After``)."""

    def __init__(self, per_token_per_minute: int, per_ip_per_minute: int, storage: str = "memory://") -> None:
        self.storage_uri = storage
        self._limiter = MovingWindowRateLimiter(rate_limit_storage(storage))
        self._items = {
            "token": RateLimitItemPerMinute(per_token_per_minute),
            "ip": RateLimitItemPerMinute(per_ip_per_minute),
        }
        self._failing = False

    def hit(self, scope: str, key: str) -> int | None:
        item = self._items[scope]
        try:
            allowed = self._limiter.hit(item, scope, key)
            wait = None if allowed else self._limiter.get_window_stats(item, scope, key).reset_time - time.time()
        except Exception as exc:  # the shared storage is down: let the request through, say so once
            m.RATE_LIMIT_STORAGE_ERRORS.inc()
            if not self._failing:
                self._failing = True
                shown = self._shown()
                log.error("rate-limit storage %s failed (%s); requests are not limited until it answers", shown, exc)
            return None
        if self._failing:
            self._failing = False
            log.warning("rate-limit storage %s answers again; limits apply", self._shown())
        return None if wait is None else max(1, math.ceil(wait))

    def _shown(self) -> str:
        """The storage URI without a password."""
        _head, sep, tail = self.storage_uri.rpartition("@")
        return f"{self.storage_uri.split('://', 1)[0]}://***@{tail}" if sep else self.storage_uri
