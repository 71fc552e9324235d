"""What the API's endpoints work with, composed once by the service at start-up and handed to the app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio

from minimarket.config import Settings
from minimarket.forecast.alerts_cache import AlertsCache
from minimarket.service import metrics as m
from minimarket.service.auth import KeyRing
from minimarket.service.batch_runner import BatchRunner, ReadFn
from minimarket.service.batch_signals import BatchSignals, libpq_conninfo
from minimarket.service.ratelimit import RateLimits
from minimarket.service.uploads import DocumentStore

log = logging.getLogger(__name__)

ForecastFn = Callable[[list[dict[str, Any]]], Awaitable[list[dict[str, Any]]]]
"""``forecast([{"shop", "skus", "horizon"}])`` -> one answer per request (the forecaster service)."""

MODELS = ("invoice-extractor", "demand-forecaster", "inflation-forecaster")
FALLBACK = {"invoice-extractor": "rules", "demand-forecaster": "baseline", "inflation-forecaster": "fitted-at-start"}


@dataclass
class TimedCache:
    """A value computed in a worker thread and kept for ``seconds`` (per key)."""

    seconds: float
    _values: dict[Any, tuple[float, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        now = time.monotonic()
        with self._lock:
            hit = self._values.get(key)
            if hit is not None and now - hit[0] < self.seconds:
                return hit[1]
        value = compute()
        with self._lock:
            self._values[key] = (time.monotonic(), value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


@dataclass
class ApiRuntime:
    """Settings, keys, limits, stored documents, the reader and forecaster calls, and the batch runner."""

    settings: Settings
    keys: KeyRing
    limits: RateLimits
    documents: DocumentStore
    read: ReadFn
    forecast: ForecastFn
    runner: BatchRunner
    signals: BatchSignals | None = None
    """Batch progress notifications across replicas (PostgreSQL); None on SQLite (SSE streams poll)."""
    models: dict[str, str] = field(default_factory=dict)
    cache: TimedCache = field(default_factory=lambda: TimedCache(seconds=600.0))
    alerts: AlertsCache = field(default_factory=AlertsCache)
    """Stock-alert reports, each served while the rows it was built from are unchanged."""
    _watch: asyncio.Task[None] | None = None
    _shops: set[str] = field(default_factory=set)

    @classmethod
    def build(
        cls,
        settings: Settings,
        read: ReadFn,
        forecast: ForecastFn,
        reader_ready: Callable[[], Awaitable[bool]] | None = None,
    ) -> ApiRuntime:
        documents = DocumentStore(settings.documents_dir)
        concurrency = settings.reader_workers * settings.extract_max_batch
        return cls(
            settings=settings,
            keys=KeyRing.load_or_create(settings),
            limits=RateLimits(
                settings.rate_limit_per_minute, settings.rate_limit_per_minute_ip, settings.rate_limit_storage
            ),
            documents=documents,
            read=read,
            forecast=forecast,
            runner=BatchRunner(settings, read, documents, concurrency, reader_ready),
            signals=_signals(settings),
        )

    async def start(self) -> None:
        from minimarket.store.db import ensure_database

        await anyio.to_thread.run_sync(ensure_database, self.settings.sqlalchemy_url)
        await self.runner.start()
        if self.signals is not None:
            await self.signals.start()
        await self.refresh_models()
        self._watch = asyncio.create_task(self._watch_models(), name="watch-models")

    async def stop(self) -> None:
        await self.runner.stop()
        if self.signals is not None:
            await self.signals.stop()
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch

    async def shop_exists(self, code: str) -> bool:
        """Whether the shop ``code`` exists (the API never creates one; shops found are remembered)."""
        if code in self._shops:
            return True
        found = await anyio.to_thread.run_sync(_find_shop, self.settings.sqlalchemy_url, code)
        if found:
            self._shops.add(code)
        return found

    async def refresh_models(self) -> None:
        """Champions in use (metrics, ``GET models``) and the drift gauges persisted by the drift checks."""
        from minimarket.monitoring.metrics import refresh_drift_from_store

        try:
            await anyio.to_thread.run_sync(refresh_drift_from_store, self.settings.sqlalchemy_url)
        except Exception:
            log.exception("cannot load the drift checks into the metrics")
        from minimarket.monitoring.operations import refresh_operations

        await anyio.to_thread.run_sync(refresh_operations, self.settings, self.keys)
        versions = await anyio.to_thread.run_sync(champion_versions, self.settings)
        if versions != self.models:
            if self.models:
                log.info("champions changed: %s -> %s", self.models, versions)
                self.cache.clear()
            self.models = versions
            for name, version in versions.items():
                m.set_model_version(name, version, FALLBACK[name])

    async def _watch_models(self) -> None:
        while True:
            await asyncio.sleep(self.settings.champion_poll_seconds)
            try:
                await self.refresh_models()
            except Exception:
                log.exception("cannot read the registry's champions")


def _signals(settings: Settings) -> BatchSignals | None:
    conninfo = libpq_conninfo(settings.sqlalchemy_url)
    return BatchSignals(conninfo) if conninfo else None


def _find_shop(url: str, code: str) -> bool:
    from minimarket.store.db import InvalidShopCode, find_shop, session_scope

    with session_scope(url=url, all_shops=True, read_only=True) as session:
        try:
            return find_shop(session, code) is not None
        except InvalidShopCode:
            return False


def chain_shop(url: str, chain: str, ref: str) -> str | None:
    """The code of the shop ``ref`` (code or id) if it belongs to ``chain``; None otherwise (never says which)."""
    from minimarket.store.chains import member_shop
    from minimarket.store.db import session_scope

    with session_scope(url=url, all_shops=True, read_only=True) as session:
        shop = member_shop(session, chain, ref)
        return shop.code if shop is not None else None


def chain_exists(url: str, chain: str) -> bool:
    from minimarket.store.chains import find_chain
    from minimarket.store.db import InvalidShopCode, session_scope

    with session_scope(url=url, all_shops=True, read_only=True) as session:
        try:
            return find_chain(session, chain) is not None
        except InvalidShopCode:
            return False


def champion_versions(settings: Settings) -> dict[str, str]:
    """The champion version of every model (``FALLBACK`` for a model without one)."""
    from minimarket import tracking

    out = dict(FALLBACK)
    if not tracking.store_exists(settings.tracking_uri):
        return out  # no tracking store yet
    for name in MODELS:
        try:
            version = tracking.alias_version(name, tracking.CHAMPION)
        except Exception:
            version = None
        if version is not None:
            out[name] = version
    return out
