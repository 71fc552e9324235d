"""``minimarket arca``: reconcile ARCA's "Mis Comprobantes Recibidos" with the stored invoices."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Any

import typer

from minimarket.commands.common import ShopOption, fail, print_json

app = typer.Typer(
    help="ARCA: reconcile the 'Mis Comprobantes Recibidos' export with the stored invoices.", no_args_is_help=True
)


def _author(author: str | None) -> str:
    if author and author.strip():
        return author.strip()[:100]
    try:
        return os.environ.get("MINIMARKET_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "desconocido"


def _write_csv(report: dict[str, Any], path: Path) -> None:
    from minimarket.accounting.report_csv import report_csv

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(report_csv(report), encoding="utf-8", newline="")
    except OSError as exc:
        fail(f"no se pudo escribir {path}: {exc}")


def _ddmmyyyy(value: Any) -> str:
    text = str(value or "")
    return f"{text[8:10]}/{text[5:7]}/{text[:4]}" if len(text) == 10 else text


def _print_text(report: dict[str, Any]) -> None:
    from minimarket.accounting.report_csv import KIND_LABELS

    summary = report.get("summary") or {}
    export = report.get("export") or {}
    scope = summary.get("period") or f"{_ddmmyyyy(summary.get('date_from'))} a {_ddmmyyyy(summary.get('date_to'))}"
    typer.echo(
        f"Conciliación con ARCA ({export.get('file_name')}, {export.get('generation')}, {export.get('rows')} filas; "
        f"período {scope}): {report.get('matched')} coinciden, {summary.get('flags')} para revisar."
    )
    for kind, label in KIND_LABELS.items():
        entries = report.get(kind) or []
        if entries:
            typer.echo(f"\n{label} ({len(entries)}):")
            for entry in entries:
                typer.echo(f"  - {entry.get('detail')}")


@app.command("reconcile")
def reconcile_cmd(
    file: Path = typer.Argument(..., help="The export downloaded from ARCA (CSV or XLSX)."),
    period: str | None = typer.Option(None, "--period", help="Only this month, AAAA-MM (default: the file's months)."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole report as JSON."),
    csv_out: Path | None = typer.Option(None, "--csv", help="Also write the findings as CSV to this file."),
    save: bool = typer.Option(True, "--save/--no-save", help="Keep the run in the shop's database."),
    author: str | None = typer.Option(None, "--author", help="Who runs it (default: the system user)."),
    shop: str | None = ShopOption,
) -> None:
    """Match the export with the stored invoices by fiscal key: missing on either side, amounts that differ,
    duplicates, probable misread keys and keys corrected by hand."""
    from minimarket.accounting.arca_export import ArcaExportError, read_export
    from minimarket.accounting.periods import PeriodError, parse_period
    from minimarket.accounting.shop import reconcile_with_store
    from minimarket.store.db import session_scope

    try:
        month = parse_period(period) if period else None
        export = read_export(file)
    except (PeriodError, ArcaExportError) as exc:
        fail(str(exc), 2)
    with session_scope(shop) as session:
        result, run_id = reconcile_with_store(session, export, month, author=_author(author), save=save)
    report = result.as_dict()
    report["run_id"] = run_id
    if csv_out is not None:
        _write_csv(report, csv_out)
    if as_json:
        print_json(report)
    else:
        _print_text(report)


@app.command("runs")
def runs_cmd(
    limit: int = typer.Option(20, "--limit", min=1, max=500, help="At most this many runs."),
    shop: str | None = ShopOption,
) -> None:
    """The shop's reconciliations, newest first (file, period, counts) as JSON."""
    from minimarket.store.accounting import list_runs, run_summary
    from minimarket.store.db import session_scope

    with session_scope(shop) as session:
        print_json([run_summary(run) for run in list_runs(session, limit)])


@app.command("show")
def show_cmd(
    run_id: int = typer.Argument(..., help="The run's id (see `minimarket arca runs`)."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole report as JSON."),
    csv_out: Path | None = typer.Option(None, "--csv", help="Write the findings as CSV to this file."),
    shop: str | None = ShopOption,
) -> None:
    """One stored reconciliation: its report, as text, JSON or CSV."""
    from minimarket.store.accounting import get_run
    from minimarket.store.db import session_scope

    with session_scope(shop) as session:
        try:
            run = get_run(session, run_id)
        except LookupError as exc:
            fail(str(exc), 1)
        report = dict(run.report)
    report["run_id"] = run_id
    if csv_out is not None:
        _write_csv(report, csv_out)
    if as_json:
        print_json(report)
    elif csv_out is None:
        _print_text(report)
