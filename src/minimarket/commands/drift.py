"""``minimarket drift``: Evidently drift checks of invoices, sales and CPI, and their history.

Exit codes of ``drift check``: 0 no drift, 3 drift (a dataset's drift share reached the threshold),
1 error (including too little data for the dataset asked for; with ``--dataset all`` datasets without
enough data are skipped with a message, and it is an error only if none could be checked).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from minimarket.commands.common import ShopOption, fail, print_json

app = typer.Typer(
    help="Data drift (Evidently): current window of the store vs the champion's reference data.",
    no_args_is_help=True,
)

DATASET_CHOICES = ("invoices", "sales", "cpi", "all")
EXIT_DRIFT = 3


def _datasets(value: str) -> list[str]:
    name = value.strip().lower()
    if name not in DATASET_CHOICES:
        fail(f"unknown dataset {value!r}; use one of: {', '.join(DATASET_CHOICES)}")
    return ["invoices", "sales", "cpi"] if name == "all" else [name]


def _as_of(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"--as-of must be a date YYYY-MM-DD, got {value!r}")


@app.command("check")
def check_cmd(
    dataset: str = typer.Option("all", "--dataset", "-d", help="invoices, sales, cpi or all."),
    window_days: int | None = typer.Option(
        None, "--window-days", help="Days in the current window (default per dataset: invoices 30, sales 28, cpi 365)."
    ),
    threshold: float | None = typer.Option(
        None, "--threshold", help="Drift-share threshold in (0, 1] (default: MINIMARKET_DRIFT_THRESHOLD, 0.5)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Last day of the current window, YYYY-MM-DD (default: the latest data)."
    ),
    out: Path | None = typer.Option(None, "--out", help="Folder for the HTML/JSON reports (default: reports/drift)."),
    metrics: Path | None = typer.Option(None, "--metrics", help="Also merge the figures into this JSON (DVC metrics)."),
    prom_textfile: Path | None = typer.Option(
        None, "--prom-textfile", help="Also write the Prometheus gauges to this file (node-exporter textfile)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object with every result."),
    shop: str | None = ShopOption,
) -> None:
    """Check drift; exit 0 without drift, 3 with drift, 1 on errors."""
    names = _datasets(dataset)
    day = _as_of(as_of)
    if window_days is not None and window_days < 1:
        fail(f"--window-days must be at least 1, got {window_days}")
    if threshold is not None and not 0.0 < threshold <= 1.0:
        fail(f"--threshold must be a share in (0, 1], got {threshold}")

    from minimarket.monitoring.drift import DriftError, check_datasets

    try:
        summary = check_datasets(
            names,
            window_days=window_days,
            threshold=threshold,
            shop=shop,
            as_of=day,
            out_dir=out,
            metrics_path=metrics,
        )
    except DriftError as exc:
        fail(str(exc))
    except LookupError as exc:
        fail(str(exc).strip("'\""))
    if prom_textfile is not None:
        from minimarket.monitoring.metrics import write_textfile

        write_textfile(prom_textfile)

    if as_json:
        print_json(summary.as_dict())
    else:
        for result in summary.results:
            typer.echo(result.summary())
            if result.fallback_reason:
                typer.echo(f"  reference: {result.reference} — {result.fallback_reason}")
            typer.echo(f"  report: {result.report_html}")
    if len(names) == 1 and summary.skipped:
        fail(summary.skipped[names[0]])
    for name, reason in summary.skipped.items():
        typer.echo(f"skipped {name}: {reason}", err=True)
    if not summary.results:
        fail(f"no dataset could be checked: {'; '.join(summary.skipped.values())}")
    if summary.drifted:
        raise typer.Exit(EXIT_DRIFT)


@app.command("history")
def history_cmd(
    dataset: str | None = typer.Option(None, "--dataset", "-d", help="Only this dataset (invoices, sales, cpi)."),
    limit: int = typer.Option(20, "--limit", min=1, help="How many checks, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    shop: str | None = ShopOption,
) -> None:
    """The persisted drift checks, newest first."""
    if dataset is not None and dataset not in DATASET_CHOICES[:-1]:
        fail(f"unknown dataset {dataset!r}; use one of: {', '.join(DATASET_CHOICES[:-1])}")

    from minimarket.monitoring.drift import drift_history

    try:
        rows = drift_history(dataset, shop=shop, limit=limit)
    except LookupError as exc:
        fail(str(exc).strip("'\""))
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("no drift checks recorded yet")
        return
    for row in rows:
        verdict = "DRIFT" if row["drifted"] else "ok"
        typer.echo(
            f"{row['created_at'][:19]}  {row['dataset']:<9} share {row['drift_share']:.2f} "
            f"(threshold {row['threshold']:.2f}) {verdict:<5} current {row['n_current']} "
            f"reference {row['n_reference']} ({row['reference_source']})"
        )
