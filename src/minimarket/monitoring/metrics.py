"""Prometheus metrics of minimarket: one registry every part can add its metrics to.

Other parts register on :data:`REGISTRY` (``Counter("minimarket_…", …, registry=REGISTRY)``) and a
server exposes it with :func:`exposition` (or ``prometheus_client.make_asgi_app(REGISTRY)``). Drift
gauges are set by every drift check in this process and can be reloaded from the store, where every
check is persisted, with :func:`refresh_drift_from_store` (a service calls it at start-up or before a
scrape, so that checks run by cron in another process show up). :func:`write_textfile` writes the
registry for node-exporter's textfile collector.

Metrics:

* ``minimarket_drift_share{dataset, shop}`` — share of drifted feature columns of the last check (0..1).
* ``minimarket_drift_detected{dataset, shop}`` — 1 if the share reached the threshold, else 0.
* ``minimarket_drift_threshold{dataset, shop}`` — the threshold the last check used.
* ``minimarket_drift_last_run_timestamp_seconds{dataset, shop}`` — when the last check ran (Unix time).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, generate_latest, write_to_textfile

REGISTRY = CollectorRegistry(auto_describe=True)
"""The registry of minimarket's own metrics."""

_LABELS = ("dataset", "shop")

DRIFT_SHARE = Gauge(
    "minimarket_drift_share",
    "Share of feature columns that drifted in the last Evidently check (0..1).",
    _LABELS,
    registry=REGISTRY,
)
DRIFT_DETECTED = Gauge(
    "minimarket_drift_detected",
    "1 if the last drift check's share reached its threshold, else 0.",
    _LABELS,
    registry=REGISTRY,
)
DRIFT_THRESHOLD = Gauge(
    "minimarket_drift_threshold",
    "Drift-share threshold used by the last drift check.",
    _LABELS,
    registry=REGISTRY,
)
DRIFT_LAST_RUN = Gauge(
    "minimarket_drift_last_run_timestamp_seconds",
    "Unix time of the last drift check.",
    _LABELS,
    registry=REGISTRY,
)


def record_drift(
    dataset: str, *, shop: str, share: float, threshold: float, drifted: bool, at: dt.datetime | None = None
) -> None:
    """Set the drift gauges of ``dataset`` for ``shop``."""
    when = at or dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    DRIFT_SHARE.labels(dataset=dataset, shop=shop).set(share)
    DRIFT_DETECTED.labels(dataset=dataset, shop=shop).set(1.0 if drifted else 0.0)
    DRIFT_THRESHOLD.labels(dataset=dataset, shop=shop).set(threshold)
    DRIFT_LAST_RUN.labels(dataset=dataset, shop=shop).set(when.timestamp())


def refresh_drift_from_store(url: str | None = None) -> int:
    """Load the latest persisted check of every (shop, dataset) into the gauges; returns how many."""
    from sqlalchemy import func, select

    from minimarket.store.db import session_scope
    from minimarket.store.models import DriftRun, Shop

    with session_scope(url=url, all_shops=True) as session:
        latest = (
            select(DriftRun.shop_id, DriftRun.dataset, func.max(DriftRun.id).label("id"))
            .group_by(DriftRun.shop_id, DriftRun.dataset)
            .subquery()
        )
        rows = session.execute(
            select(DriftRun, Shop.code).join(latest, DriftRun.id == latest.c.id).join(Shop, Shop.id == DriftRun.shop_id)
        ).all()
        for run, shop_code in rows:
            record_drift(
                run.dataset,
                shop=shop_code,
                share=run.drift_share,
                threshold=run.threshold,
                drifted=run.drifted,
                at=run.created_at,
            )
    return len(rows)


def exposition() -> bytes:
    """The registry in Prometheus' text format."""
    return generate_latest(REGISTRY)


def write_textfile(path: Path | str) -> Path:
    """Write the registry for node-exporter's textfile collector (atomically, ``*.prom``)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(target), REGISTRY)
    return target
