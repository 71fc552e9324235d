"""The operational gauges computed from the store, the backup folder and the keys (in this process)."""

from __future__ import annotations

import datetime as dt

from prometheus_client import generate_latest

from minimarket.config import get_settings
from minimarket.monitoring.metrics import REGISTRY
from minimarket.monitoring.operations import refresh_cpi, refresh_operations
from minimarket.ops.backup import create_backup
from minimarket.service.auth import KeyRing
from minimarket.store import schedule_runs as repo
from minimarket.store.db import session_scope


def _value(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels or None)


def test_gauges_follow_the_store_the_backups_and_the_keys(isolated_state) -> None:
    settings = get_settings()
    ring = KeyRing.load_or_create(settings)
    assert refresh_operations(settings, ring) == []
    assert _value("minimarket_backup_last_success_timestamp_seconds") == 0.0  # no backup yet
    assert _value("minimarket_schedule_overdue", pipeline="nightly-backup") in (0.0, 1.0)

    with session_scope(all_shops=True) as session:
        run = repo.start_run(session, "nightly-backup", "schedule")
        repo.finish_run(session, run.id, outcome="failed", summary="disco lleno", output="...", exit_code=1)
        run = repo.start_run(session, "monthly-key-rotation", "schedule")
        repo.finish_run(session, run.id, outcome="succeeded", summary="ok", output="", exit_code=0)
    backup = create_backup(settings)
    assert refresh_operations(settings, ring) == []

    assert _value("minimarket_schedule_last_run_failed", pipeline="nightly-backup") == 1.0
    assert _value("minimarket_schedule_last_run_failed", pipeline="monthly-key-rotation") == 0.0
    assert _value("minimarket_schedule_runs", pipeline="nightly-backup", outcome="failed") == 1.0
    assert _value("minimarket_schedule_overdue", pipeline="nightly-backup") == 0.0  # it ran, badly
    assert _value("minimarket_schedule_last_success_timestamp_seconds", pipeline="monthly-key-rotation") > 0
    assert _value("minimarket_backup_last_success_timestamp_seconds") == backup.created_at.timestamp()
    assert _value("minimarket_backups") == 1.0 and _value("minimarket_backup_last_size_bytes") == backup.size
    assert _value("minimarket_database_size_bytes") > 0
    assert _value("minimarket_signing_keys_accepted") == 1.0
    assert b"minimarket_schedule_next_run_timestamp_seconds" in generate_latest(REGISTRY)


def test_cpi_months_behind_count_from_last_month(isolated_state) -> None:
    settings = get_settings()
    # the bundled series ends in 2026-08
    refresh_cpi(settings, now=dt.datetime(2026, 9, 25, tzinfo=dt.UTC))
    assert _value("minimarket_cpi_months_behind", shop="default") == 0.0
    refresh_cpi(settings, now=dt.datetime(2026, 12, 4, tzinfo=dt.UTC))
    assert _value("minimarket_cpi_months_behind", shop="default") == 3.0  # September, October and November
    assert _value("minimarket_cpi_latest_pct", shop="default") == 1.6592
