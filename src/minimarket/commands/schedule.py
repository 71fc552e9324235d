"""``minimarket schedule``: the scheduled pipelines of ``pipelines/`` (list, run, due, history, serve).

A shop without the compose stack needs one cron line: ``*/15 * * * * cd /srv/minimarket && .venv/bin/minimarket
schedule due``. Exit codes of ``run`` and ``due``: 0 when every run succeeded or had nothing to do, 1 when a run
failed or timed out, 2 on a usage error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import zoneinfo
from typing import Any

import typer

from minimarket.commands.common import fail, print_json

app = typer.Typer(
    help="Scheduled pipelines (pipelines/*.yaml): list, run NAME, due, history, serve.", no_args_is_help=True
)


def _scheduler() -> Any:
    from minimarket.config import get_settings
    from minimarket.ops.pipelines import PipelineError
    from minimarket.ops.schedule import Scheduler

    try:
        return Scheduler(get_settings())
    except PipelineError as exc:
        fail(str(exc), 2)


def _local(moment: dt.datetime | None, zone: str) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%d/%m/%Y %H:%M")


def _print_result(result: Any, as_json: bool) -> None:
    if as_json:
        print_json(result.as_dict(output=True))
        return
    if result.output.strip():
        typer.echo(result.output.rstrip()[-4000:], err=True)
    typer.echo(f"{result.pipeline}: {result.outcome} — {result.summary} ({result.seconds:.1f} s)")


@app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="One JSON list.")) -> None:
    """Every pipeline: its schedule, the next and the last run, and whether it is due now."""
    from minimarket.store.db import session_scope
    from minimarket.store.schedule_runs import latest_finished

    scheduler = _scheduler()
    zone = scheduler.settings.schedule_timezone
    timings = scheduler.timings()
    with session_scope(url=scheduler.settings.sqlalchemy_url, all_shops=True) as session:
        last = latest_finished(session)
        rows = []
        for name, pipeline in sorted(scheduler.pipelines.items()):
            t, run = timings[name], last.get(name)
            rows.append(
                {
                    "name": name,
                    "description": pipeline.description,
                    "schedule": pipeline.schedule,
                    "timezone": pipeline.timezone or zone,
                    "next_run": t.next_fire.isoformat(),
                    "last_started": t.last_started.isoformat() if t.last_started else None,
                    "last_outcome": run.outcome if run else None,
                    "due": t.due,
                    "overdue": t.overdue,
                    "file": str(pipeline.path),
                }
            )
    if as_json:
        print_json(rows)
        return
    typer.echo(f"{'pipeline':<22} {'cron':<16} {'próxima':<17} {'última':<17} {'resultado':<10} pendiente")
    for row, (name, t) in zip(rows, sorted(timings.items()), strict=True):
        due = "VENCIDO" if row["overdue"] else ("sí" if row["due"] else "no")
        typer.echo(
            f"{name:<22} {row['schedule']:<16} {_local(t.next_fire, zone):<17} "
            f"{_local(t.last_started, zone):<17} {row['last_outcome'] or '-':<10} {due}"
        )


@app.command("run")
def run_cmd(
    name: str = typer.Argument(..., help="The pipeline's name (minimarket schedule list)."),
    param: list[str] = typer.Option([], "--param", "-p", help="key=value overriding a declared parameter."),
    as_json: bool = typer.Option(False, "--json", help="Print the run (with its output) as JSON."),
) -> None:
    """Run one pipeline now, whether it is due or not; the run is recorded like a scheduled one."""
    from minimarket.ops.pipelines import PipelineError, parse_param

    scheduler = _scheduler()
    try:
        overrides = dict(parse_param(p) for p in param)
        result = scheduler.run(name, trigger="manual", params=overrides)
    except PipelineError as exc:
        fail(str(exc), 2)
    _print_result(result, as_json)
    raise typer.Exit(0 if result.ok else 1)


@app.command("due")
def due_cmd(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list what is due."),
    as_json: bool = typer.Option(False, "--json", help="Print the runs as JSON."),
) -> None:
    """Run every pipeline whose scheduled time has come since its last run (what cron calls)."""
    scheduler = _scheduler()
    if dry_run:
        names = scheduler.due()
        if as_json:
            print_json(names)
        else:
            typer.echo("\n".join(names) if names else "nada pendiente")
        return
    results = scheduler.run_due()
    if as_json:
        print_json([r.as_dict() for r in results])
    else:
        for result in results:
            _print_result(result, False)
        if not results:
            typer.echo("nada pendiente")
    raise typer.Exit(0 if all(r.ok for r in results) else 1)


@app.command("history")
def history_cmd(
    name: str | None = typer.Argument(None, help="Only this pipeline."),
    limit: int = typer.Option(20, "--limit", min=1, max=1000),
    output: bool = typer.Option(False, "--output", help="Include what each run printed."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The latest recorded runs (newest first): start, end, outcome and summary."""
    from minimarket.store.db import session_scope
    from minimarket.store.schedule_runs import history, run_view

    scheduler = _scheduler()
    with session_scope(url=scheduler.settings.sqlalchemy_url, all_shops=True) as session:
        runs = [run_view(r, output=output) for r in history(session, name, limit)]
    if as_json:
        print_json(runs)
        return
    zone = scheduler.settings.schedule_timezone
    for run in runs:
        started = dt.datetime.fromisoformat(run["started_at"])
        typer.echo(
            f"#{run['id']:<5} {run['pipeline']:<22} {_local(started, zone)}  {run['outcome']:<9} "
            f"{run['seconds'] if run['seconds'] is not None else '-':>8} s  {run['summary'] or ''}"
        )
        if output and run.get("output"):
            typer.echo(run["output"].rstrip())


@app.command("serve")
def serve_cmd(
    interval: float = typer.Option(60.0, "--interval", min=1.0, help="Seconds between two looks at the schedule."),
) -> None:
    """Run due pipelines every INTERVAL seconds (the compose stack's scheduler); Ctrl-C or SIGTERM stops it."""
    import logging
    import signal

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stopping = {"now": False}

    def stop(*_: object) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, stop)
    scheduler = _scheduler()
    typer.echo(f"programador: {len(scheduler.pipelines)} pipeline(s), se revisa cada {interval:g} s", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        scheduler.serve(interval, stop=lambda: stopping["now"])
