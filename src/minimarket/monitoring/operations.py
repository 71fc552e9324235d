"""Operational gauges (``minimarket_schedule_*``, ``minimarket_backup_*``, champions, database, CPI, keys).

They describe state kept outside the service's memory — the ``schedule_runs`` table, the backup folder, the
MLflow registry, the database, the signing keys — so runs made by cron or by the compose scheduler in another
process show up too. The service calls :func:`refresh_operations` at start-up and with every look at the
registry (``Settings.champion_poll_seconds``). Each part is refreshed on its own: one that fails (the registry
unreachable, say) is logged and leaves the others current.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable
from typing import Any, Final

from prometheus_client import Gauge

from minimarket.config import Settings
from minimarket.monitoring.metrics import REGISTRY

log = logging.getLogger(__name__)

_MODE: Final = "livemostrecent"

SCHEDULE_LAST_RUN = Gauge(
    "minimarket_schedule_last_run_timestamp_seconds",
    "Unix time the latest finished run of a scheduled pipeline started.",
    ("pipeline",),
    registry=REGISTRY,
    multiprocess_mode=_MODE,
)
SCHEDULE_LAST_SUCCESS = Gauge(
    "minimarket_schedule_last_success_timestamp_seconds",
    "Unix time a scheduled pipeline last finished well (succeeded, or skipped with nothing to do).",
    ("pipeline",),
    registry=REGISTRY,
    multiprocess_mode=_MODE,
)
SCHEDULE_LAST_FAILED = Gauge(
    "minimarket_schedule_last_run_failed",
    "1 if the latest finished run of a scheduled pipeline failed or timed out, else 0.",
    ("pipeline",),
    registry=REGISTRY,
    multiprocess_mode=_MODE,
)
SCHEDULE_LAST_DURATION = Gauge(
    "minimarket_schedule_last_run_duration_seconds",
    "How long the latest finished run of a scheduled pipeline took.",
    ("pipeline",),
    registry=REGISTRY,
    multiprocess_mode=_MODE,
)
SCHEDULE_RUNS = Gauge(
    "minimarket_schedule_runs",
    "Runs of each scheduled pipeline recorded in the last 30 days, by outcome.",
    ("pipeline", "outcome"),
    registry=REGISTRY,
    multiprocess_mode=_MODE,
)
SCHEDULE_OVERDUE = Gauge(
    "minimarket_schedule_overdue",
    "1 if a scheduled pipeline's time passed more than its max_delay ago without a run, else 0.",
    ("pipeline",),
    registry=REGISTRY,
    multiprocess_mode=_MODE,
)
SCHEDULE_NEXT = Gauge(
    "minimarket_schedule_next_run_timestamp_seconds",
    "Unix time of a scheduled pipeline's next scheduled run.",
    ("pipeline",),
    registry=REGISTRY,
    multiprocess_mode=_MODE,
)
BACKUP_LAST = Gauge(
    "minimarket_backup_last_success_timestamp_seconds",
    "Unix time of the newest complete backup (0: there is none).",
    registry=REGISTRY,
    multiprocess_mode=_MODE,
)
BACKUP_SIZE = Gauge(
    "minimarket_backup_last_size_bytes",
    "Size of the newest complete backup.",
    registry=REGISTRY,
    multiprocess_mode=_MODE,
)
BACKUP_COUNT = Gauge(
    "minimarket_backups",
    "Complete backups kept.",
    registry=REGISTRY,
    multiprocess_mode=_MODE,
)
CHAMPION_CREATED = Gauge(
    "minimarket_champion_created_timestamp_seconds",
    "Unix time the registry's champion version of a model was registered.",
    ("model",),
    registry=REGISTRY,
    multiprocess_mode=_MODE,
)
DATABASE_SIZE = Gauge(
    "minimarket_database_size_bytes",
    "Size of the shop database (SQLite file with its WAL, or pg_database_size).",
    registry=REGISTRY,
    multiprocess_mode=_MODE,
)
CPI_LATEST = Gauge(
    "minimarket_cpi_latest_pct",
    "Monthly CPI figure (percent) of the latest known month, per shop (bundled series + recorded figures).",
    ("shop",),
    registry=REGISTRY,
    multiprocess_mode=_MODE,
)
CPI_MONTHS_BEHIND = Gauge(
    "minimarket_cpi_months_behind",
    "Months between the latest known CPI month and last month (0: up to date), per shop.",
    ("shop",),
    registry=REGISTRY,
    multiprocess_mode=_MODE,
)
SIGNING_KEY_CREATED = Gauge(
    "minimarket_signing_key_created_timestamp_seconds",
    "Unix time the current token signing key was made (its last rotation).",
    registry=REGISTRY,
    multiprocess_mode=_MODE,
)
SIGNING_KEYS_ACCEPTED = Gauge(
    "minimarket_signing_keys_accepted",
    "Token signing keys accepted now (the current one, plus the previous one during its grace).",
    registry=REGISTRY,
    multiprocess_mode=_MODE,
)

MODELS = ("invoice-extractor", "demand-forecaster", "inflation-forecaster")


def _seconds(moment: dt.datetime | None) -> float:
    if moment is None:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def refresh_schedule(settings: Settings, now: dt.datetime | None = None) -> None:
    """Gauges of every pipeline file and of its recorded runs."""
    from minimarket.ops.pipelines import load_pipelines, timing
    from minimarket.store import schedule_runs as repo
    from minimarket.store.db import session_scope

    moment = now or dt.datetime.now(dt.UTC)
    if not settings.pipelines_path.is_dir():  # e.g. a Bento without pipelines/: nothing is scheduled here
        return
    pipelines = load_pipelines(settings.pipelines_path)
    with session_scope(url=settings.sqlalchemy_url, all_shops=True) as session:
        started = repo.last_started(session)
        finished = repo.latest_finished(session)
        success = repo.latest_success(session)
        counts = repo.outcome_counts(session, moment - dt.timedelta(days=30))
    for name, pipeline in pipelines.items():
        t = timing(pipeline, started.get(name), moment, settings.schedule_timezone)
        SCHEDULE_OVERDUE.labels(pipeline=name).set(1.0 if t.overdue else 0.0)
        SCHEDULE_NEXT.labels(pipeline=name).set(t.next_fire.timestamp())
        for outcome in (repo.SUCCEEDED, repo.SKIPPED, repo.FAILED, repo.TIMEOUT):
            SCHEDULE_RUNS.labels(pipeline=name, outcome=outcome).set(counts.get((name, outcome), 0))
    for name, run in finished.items():
        SCHEDULE_LAST_RUN.labels(pipeline=name).set(_seconds(run.started_at))
        SCHEDULE_LAST_FAILED.labels(pipeline=name).set(1.0 if run.outcome in (repo.FAILED, repo.TIMEOUT) else 0.0)
        if run.finished_at is not None:
            SCHEDULE_LAST_DURATION.labels(pipeline=name).set(_seconds(run.finished_at) - _seconds(run.started_at))
    for name, when in success.items():
        SCHEDULE_LAST_SUCCESS.labels(pipeline=name).set(_seconds(when))


def refresh_backups(settings: Settings) -> None:
    from minimarket.ops.backup import list_backups

    backups = list_backups(settings)
    BACKUP_COUNT.set(len(backups))
    BACKUP_LAST.set(backups[-1].created_at.timestamp() if backups else 0.0)
    BACKUP_SIZE.set(backups[-1].size if backups else 0.0)


def refresh_champions(settings: Settings) -> None:
    """When each model's champion was registered (nothing for a model without one)."""
    from pathlib import Path

    uri = settings.tracking_uri
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).is_file():
        return
    from mlflow.exceptions import MlflowException

    from minimarket import tracking

    client = tracking.client()
    for name in MODELS:
        try:
            version = client.get_model_version_by_alias(name, tracking.CHAMPION)
        except MlflowException:
            continue
        CHAMPION_CREATED.labels(model=name).set(int(version.creation_timestamp) / 1000.0)


def database_size(url: str) -> int:
    """Bytes used by the database: the SQLite file and its WAL, or ``pg_database_size``."""
    from pathlib import Path

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        base = Path(parsed.database or "")
        return sum(p.stat().st_size for p in (base, Path(f"{base}-wal")) if p.is_file())
    from minimarket.store.db import get_engine

    with get_engine(url).connect() as connection:
        return int(connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def refresh_database(settings: Settings) -> None:
    DATABASE_SIZE.set(database_size(settings.sqlalchemy_url))


def refresh_cpi(settings: Settings, now: dt.datetime | None = None) -> None:
    """Latest known CPI figure and how many months it lags, for every shop."""
    import pandas as pd
    from sqlalchemy import select

    from minimarket.forecast.inflation_update import current_data
    from minimarket.store.db import session_scope
    from minimarket.store.models import Shop

    moment = (now or dt.datetime.now(dt.UTC)).astimezone(zoneinfo.ZoneInfo(settings.schedule_timezone))
    last_month = pd.Period(f"{moment:%Y-%m}", freq="M") - 1
    with session_scope(url=settings.sqlalchemy_url, all_shops=True) as session:
        codes = list(session.scalars(select(Shop.code)))
    for code in codes:
        with session_scope(code, url=settings.sqlalchemy_url, create_shop=False) as session:
            data = current_data(session)
        CPI_LATEST.labels(shop=code).set(float(data.headline.iloc[-1]))
        CPI_MONTHS_BEHIND.labels(shop=code).set(max(0, (last_month - data.last_month).n))


def refresh_keys(ring: Any) -> None:
    """The current signing key's age and how many keys are accepted (``ring``: the service's
    :class:`~minimarket.service.auth.KeyRing`, re-read when a rotation changed its file)."""
    keys = ring
    keys.reload_if_changed()
    now = dt.datetime.now(dt.UTC)
    SIGNING_KEY_CREATED.set(keys.current.created_at.timestamp())
    SIGNING_KEYS_ACCEPTED.set(sum(1 for key in keys.keys if keys.accepted(key.kid, now) is not None))


def refresh_operations(settings: Settings, ring: Any = None) -> list[str]:
    """Refresh every operational gauge; returns the parts that failed (each logged)."""
    parts: dict[str, Callable[[], None]] = {
        "schedule": lambda: refresh_schedule(settings),
        "backups": lambda: refresh_backups(settings),
        "champions": lambda: refresh_champions(settings),
        "database": lambda: refresh_database(settings),
        "cpi": lambda: refresh_cpi(settings),
    }
    if ring is not None:  # the signing keys are the service's: it passes its own ring
        parts["keys"] = lambda: refresh_keys(ring)
    failed = []
    for name, refresh in parts.items():
        try:
            refresh()
        except Exception:
            log.exception("cannot refresh the %s gauges", name)
            failed.append(name)
    return failed
