"""Prometheus metrics of the HTTP API (``minimarket_*``), on the registry of :mod:`minimarket.monitoring.metrics`.

Under ``bentoml serve`` prometheus-client runs in multiprocess mode (BentoML sets ``PROMETHEUS_MULTIPROC_DIR``):
every process's values are collected into BentoML's ``/metrics`` page, so gauges say how processes combine.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from minimarket.monitoring.metrics import REGISTRY, exposition

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

REQUESTS = Counter(
    "minimarket_http_requests",
    "HTTP requests answered, per endpoint, method and status.",
    ("endpoint", "method", "status"),
    registry=REGISTRY,
)
LATENCY = Histogram(
    "minimarket_http_request_duration_seconds",
    "Time to answer an HTTP request, per endpoint, method and status.",
    ("endpoint", "method", "status"),
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
EXTRACTION = Histogram(
    "minimarket_extraction_duration_seconds",
    "Time to read one document, by the deepest source it needed (text < qr < ocr).",
    ("source",),
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 60, 120),
    registry=REGISTRY,
)
DOCUMENTS = Counter(
    "minimarket_documents",
    "Documents read, by resulting status.",
    ("status",),
    registry=REGISTRY,
)
FIELD_CONFIDENCE = Histogram(
    "minimarket_field_confidence",
    "Confidence (0..1) of each field read.",
    ("field",),
    buckets=(0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0),
    registry=REGISTRY,
)
BATCH_SIZE = Histogram(
    "minimarket_batch_size",
    "Documents in each accepted batch.",
    buckets=(1, 2, 5, 10, 20, 30, 40, 50),
    registry=REGISTRY,
)
BATCH_DURATION = Histogram(
    "minimarket_batch_duration_seconds",
    "Time from accepting a batch to its last document.",
    buckets=(1, 5, 10, 30, 60, 120, 300, 600),
    registry=REGISTRY,
)
BATCH_BACKLOG = Gauge(
    "minimarket_batch_backlog_documents",
    "Documents of accepted batches not processed yet.",
    registry=REGISTRY,
    multiprocess_mode="livemax",
)
BATCH_OLDEST_AGE = Gauge(
    "minimarket_batch_oldest_waiting_age_seconds",
    "Seconds since the oldest batch with documents not processed yet was accepted (0: none waiting).",
    registry=REGISTRY,
    multiprocess_mode="livemax",
)
EXTRACTION_ERRORS = Counter(
    "minimarket_extraction_errors",
    "Documents that could not be read, per error code (timeout: OCR or extraction ran out of time).",
    ("code",),
    registry=REGISTRY,
)
MODEL_VERSION = Gauge(
    "minimarket_model_version_info",
    "1 for the model version in use per model (the registry's champion, or rules / baseline), 0 for the previous.",
    ("model", "version"),
    registry=REGISTRY,
    multiprocess_mode="livemax",
)
INFLATION_APPLIED = Gauge(
    "minimarket_inflation_applied_pct",
    "Monthly CPI figure (percent) last applied, per shop.",
    ("shop",),
    registry=REGISTRY,
    multiprocess_mode="livemostrecent",
)
RATE_LIMITED = Counter(
    "minimarket_rate_limit_rejections",
    "Requests refused with 429, per limit (token or ip).",
    ("limit",),
    registry=REGISTRY,
)
AUTH_FAILURES = Counter(
    "minimarket_auth_failures",
    "Requests refused with 401/403, per reason code.",
    ("code",),
    registry=REGISTRY,
)

# Known label values start at 0, so that rates and alerts see a series before the first event.
for _code in ("timeout", "internal_error"):
    EXTRACTION_ERRORS.labels(code=_code)
for _limit in ("token", "ip"):
    RATE_LIMITED.labels(limit=_limit)
for _code in ("missing_token", "invalid_token", "token_expired", "forbidden"):
    AUTH_FAILURES.labels(code=_code)

_SOURCE_DEPTH = {"text": 0, "qr": 1, "ocr": 2}


def deepest_source(sources: Iterable[Any]) -> str:
    """``ocr`` if any field came from OCR, else ``qr``, else ``text`` (``none`` when nothing was read)."""
    depth = -1
    for source in sources:
        depth = max(depth, _SOURCE_DEPTH.get(str(source), -1))
    return next((name for name, d in _SOURCE_DEPTH.items() if d == depth), "none")


def record_extraction(record: dict[str, Any], seconds: float) -> None:
    """Duration, status and field confidences of one read document."""
    EXTRACTION.labels(source=deepest_source((record.get("sources") or {}).values())).observe(seconds)
    DOCUMENTS.labels(status=str(record.get("status"))).inc()
    error = record.get("error")
    if isinstance(error, dict) and error.get("code"):
        EXTRACTION_ERRORS.labels(code=str(error["code"])).inc()
    for name, value in (record.get("confidence") or {}).items():
        if isinstance(value, int | float) and not name.startswith("items."):
            FIELD_CONFIDENCE.labels(field=name).observe(float(value))


_in_use: dict[str, str] = {}


def set_model_version(model: str, version: str | None, fallback: str) -> None:
    """Mark ``version`` in use for ``model`` (and the one before as no longer in use)."""
    current = version or fallback
    previous = _in_use.get(model)
    if previous is not None and previous != current:
        MODEL_VERSION.labels(model=model, version=previous).set(0)
    MODEL_VERSION.labels(model=model, version=current).set(1)
    _in_use[model] = current


def page() -> str:
    """The registry in Prometheus' text format (outside a BentoML server)."""
    return exposition().decode("utf-8")


RATE_LIMIT_STORAGE_ERRORS = Counter(
    "minimarket_rate_limit_storage_errors",
    "Rate-limit checks let through because the shared storage (Redis) did not answer (the limiter fails open).",
    registry=REGISTRY,
)
