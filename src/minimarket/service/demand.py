"""The demand model of a forecaster worker: the registry's champion (or the baseline), reloaded on promotion."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from minimarket.config import Settings
from minimarket.forecast.demand_requests import (
    DemandModel,
    DemandRequest,
    HistoryCache,
    forecast_requests,
    load_champion,
    max_horizon,
)
from minimarket.store.db import InvalidShopCode, find_shop, session_scope

log = logging.getLogger(__name__)


class DemandHolder:
    """The champion demand model, checked for a new one at most every ``Settings.champion_poll_seconds``, and
    the sales history of the SKUs asked for (kept while each shop's sales stay as they are)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self.history = HistoryCache()
        self.model = self._load()
        self._checked = time.monotonic()

    def _load(self) -> DemandModel | None:
        try:
            return load_champion(self.settings)
        except Exception as exc:  # a broken registry leaves the baseline in use
            log.warning("demand-forecaster champion not loaded (%s); using the baseline", exc)
            return None

    def current(self) -> DemandModel | None:
        with self._lock:
            if time.monotonic() - self._checked >= self.settings.champion_poll_seconds:
                self._checked = time.monotonic()
                from minimarket import tracking

                try:
                    version = tracking.alias_version("demand-forecaster", tracking.CHAMPION)
                except Exception:
                    version = self.model.version if self.model else None
                if version != (self.model.version if self.model else None):
                    log.info("demand-forecaster champion changed to %s: reloading", version)
                    self.model = self._load()
            return self.model


def _existing_shops(codes: set[str], settings: Settings) -> set[str]:
    with session_scope(url=settings.sqlalchemy_url, all_shops=True, read_only=True) as session:
        found = set()
        for code in codes:
            try:
                if find_shop(session, code) is not None:
                    found.add(code)
            except InvalidShopCode:
                continue
        return found


def answer(requests: list[dict[str, Any]], holder: DemandHolder) -> list[dict[str, Any]]:
    """One answer per request (an ``error`` for a request that cannot be served); valid ones together."""
    model = holder.current()
    limit = max_horizon(model)
    out: list[dict[str, Any] | None] = [None] * len(requests)
    valid: list[tuple[int, DemandRequest]] = []
    known = _existing_shops({str(raw["shop"]) for raw in requests}, holder.settings)
    for i, raw in enumerate(requests):
        if raw["shop"] not in known:  # never created here; one such request does not fail the others
            out[i] = {"error": {"code": "unknown_shop", "message": f"No existe el comercio «{raw['shop']}»."}}
            continue
        if int(raw["horizon"]) > limit:
            out[i] = {
                "error": {
                    "code": "horizon_too_long",
                    "message": f"El horizonte máximo es {limit} días (pidió {raw['horizon']}).",
                }
            }
            continue
        valid.append((i, DemandRequest(shop=raw["shop"], skus=tuple(raw["skus"]), horizon=int(raw["horizon"]))))

    def session_for(shop: str) -> Any:
        return session_scope(shop, url=holder.settings.sqlalchemy_url, create_shop=False, read_only=True)

    results = forecast_requests([r for _, r in valid], model, session_for, cache=holder.history) if valid else []
    for (i, _), result in zip(valid, results, strict=True):
        result["model_version"] = model.version if model else "baseline"
        out[i] = result
    return [item for item in out if item is not None]
