"""Runs of the scheduled pipelines (:class:`~minimarket.store.models.ScheduleRun`): start, finish, history."""

from __future__ import annotations

import datetime as dt
import socket
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minimarket.store.models import ScheduleRun, utcnow

RUNNING = "running"
SUCCEEDED = "succeeded"
SKIPPED = "skipped"
FAILED = "failed"
TIMEOUT = "timeout"
OUTCOMES = (RUNNING, SUCCEEDED, SKIPPED, FAILED, TIMEOUT)
MAX_OUTPUT = 64 * 1024
"""Characters of a run's output kept in the store (its tail)."""


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def start_run(session: Session, pipeline: str, trigger: str, detail: dict[str, Any] | None = None) -> ScheduleRun:
    """A new ``running`` row (flushed, so it has an id)."""
    run = ScheduleRun(
        pipeline=pipeline,
        trigger=trigger,
        started_at=utcnow(),
        outcome=RUNNING,
        output="",
        detail=detail or {},
        host=socket.gethostname()[:200],
    )
    session.add(run)
    session.flush()
    return run


def finish_run(
    session: Session,
    run_id: int,
    *,
    outcome: str,
    summary: str,
    output: str,
    exit_code: int | None,
    detail: dict[str, Any] | None = None,
) -> ScheduleRun:
    """Record how run ``run_id`` ended (the output's tail is kept)."""
    if outcome not in OUTCOMES or outcome == RUNNING:
        raise ValueError(f"unknown outcome {outcome!r}")
    run = session.get(ScheduleRun, run_id)
    if run is None:
        raise LookupError(f"no schedule run {run_id}")
    run.finished_at = utcnow()
    run.outcome = outcome
    run.summary = summary[:500]
    run.output = output[-MAX_OUTPUT:]
    run.exit_code = exit_code
    if detail:
        run.detail = {**(run.detail or {}), **detail}
    return run


def close_interrupted(session: Session, pipeline: str, host: str | None = None) -> list[int]:
    """Mark as ``failed`` the runs of ``pipeline`` on ``host`` still ``running``: called while holding the
    pipeline's lock, so no process of this machine is running them (theirs died before recording the end)."""
    host = (host or socket.gethostname())[:200]
    stale = session.scalars(
        select(ScheduleRun).where(
            ScheduleRun.pipeline == pipeline, ScheduleRun.outcome == RUNNING, ScheduleRun.host == host
        )
    ).all()
    for run in stale:
        run.finished_at = utcnow()
        run.outcome = FAILED
        run.summary = "interrumpida: el proceso terminó sin registrar el final (¿equipo o contenedor reiniciado?)"
    return [run.id for run in stale]


def last_started(session: Session) -> dict[str, dt.datetime]:
    """When each pipeline last started (any outcome)."""
    rows = session.execute(
        select(ScheduleRun.pipeline, func.max(ScheduleRun.started_at)).group_by(ScheduleRun.pipeline)
    )
    return {name: _aware(when) for name, when in rows if when is not None}  # type: ignore[misc]


def latest_finished(session: Session) -> dict[str, ScheduleRun]:
    """The latest finished run of each pipeline."""
    latest = (
        select(func.max(ScheduleRun.id).label("id"))
        .where(ScheduleRun.outcome != RUNNING)
        .group_by(ScheduleRun.pipeline)
        .subquery()
    )
    runs = session.scalars(select(ScheduleRun).join(latest, ScheduleRun.id == latest.c.id))
    return {run.pipeline: run for run in runs}


def latest_success(session: Session) -> dict[str, dt.datetime]:
    """When each pipeline last finished well (succeeded, or skipped because there was nothing to do)."""
    rows = session.execute(
        select(ScheduleRun.pipeline, func.max(ScheduleRun.finished_at))
        .where(ScheduleRun.outcome.in_((SUCCEEDED, SKIPPED)))
        .group_by(ScheduleRun.pipeline)
    )
    return {name: _aware(when) for name, when in rows if when is not None}  # type: ignore[misc]


def outcome_counts(session: Session, since: dt.datetime) -> dict[tuple[str, str], int]:
    """Runs started since ``since`` per (pipeline, outcome)."""
    rows = session.execute(
        select(ScheduleRun.pipeline, ScheduleRun.outcome, func.count())
        .where(ScheduleRun.started_at >= since)
        .group_by(ScheduleRun.pipeline, ScheduleRun.outcome)
    )
    return {(name, outcome): int(count) for name, outcome, count in rows}


def history(session: Session, pipeline: str | None = None, limit: int = 20) -> list[ScheduleRun]:
    """The latest runs (newest first), of one pipeline or all."""
    query = select(ScheduleRun).order_by(ScheduleRun.id.desc()).limit(limit)
    if pipeline is not None:
        query = query.where(ScheduleRun.pipeline == pipeline)
    return list(session.scalars(query))


def run_view(run: ScheduleRun, *, output: bool = False) -> dict[str, Any]:
    """A run as JSON (the output only when asked)."""
    started, finished = _aware(run.started_at), _aware(run.finished_at)
    view: dict[str, Any] = {
        "id": run.id,
        "pipeline": run.pipeline,
        "trigger": run.trigger,
        "started_at": started.isoformat() if started else None,
        "finished_at": finished.isoformat() if finished else None,
        "seconds": round((finished - started).total_seconds(), 3) if started and finished else None,
        "outcome": run.outcome,
        "exit_code": run.exit_code,
        "summary": run.summary,
        "host": run.host,
        "detail": run.detail,
    }
    if output:
        view["output"] = run.output
    return view
