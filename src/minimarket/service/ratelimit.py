"""Rate limits per token and per client address (the ``limits`` library, moving window).

Windows live where ``Settings.rate_limit_storage`` says: ``memory://`` counts in this process (one replica),
``redis://host:port/db`` counts in Redis, so a limit holds across every replica of the API. When Redis does
not answer the limiter fails open (the request goes through), counts
``minimarket_rate_limit_storage_errors_total`` and logs once until Redis answers again.
"""

from __future__ import annotations

import logging
import math
import threading
import time

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from minimarket.service import metrics as m

log = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 0.5
"""Longest wait for Redis on one check: a slow or dead Redis must not hold requests up."""


class InlineExpiryMemoryStorage(MemoryStorage):
    """``limits``' memory storage without a thread per request.

    ``MemoryStorage`` drops expired entries in a ``threading.Timer`` it starts 10 ms after a hit whenever the
    previous timer has ended: a new thread on almost every request (profiled: ~8 % of the API process's CPU on
    ``POST invoices/extract``). Here the same clean-up runs in the request that finds it due, at most once every
    ``every`` seconds. Limits are unchanged: every hit compares the entries' times with the window itself; the
    clean-up only frees memory (entries of idle keys stay at most ``every`` seconds longer)."""

    def __init__(self, every: float = 1.0) -> None:
        super().__init__()
        self.every = every
        self._due = 0.0
        self._expiring = threading.Lock()

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the parent's private Timer scheduling
        now = time.monotonic()
        if now < self._due or not self._expiring.acquire(blocking=False):
            return
        try:
            self._due = now + self.every
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
        finally:
            self._expiring.release()


def rate_limit_storage(uri: str) -> Storage:
    """The ``limits`` storage for ``uri`` (``memory://`` or ``redis://…``), with short Redis timeouts."""
    if uri == "memory://":
        return InlineExpiryMemoryStorage()
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
