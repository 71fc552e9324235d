"""``minimarket backup``: create, list, verify, restore and prune backups (database, MLflow, secrets).

Exit codes: 0 done, 1 the backup could not be made / verified / restored (the message says why), 2 usage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from minimarket.commands.common import fail, print_json

app = typer.Typer(
    help="Backups of the database, the MLflow store and the secrets: create, list, verify, restore, prune.",
    no_args_is_help=True,
)


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.1f} {unit}".replace(".", ",")
        value /= 1024
    return f"{count} B"


def _summary(backup: Any) -> dict[str, Any]:
    manifest = backup.manifest
    return {
        "name": backup.name,
        "path": str(backup.path),
        "created_at": manifest["created_at"],
        "bytes": backup.size,
        "schema_revision": manifest.get("schema_revision"),
        "database": {k: v for k, v in manifest["database"].items() if k != "tables"},
        "rows": sum(manifest["database"]["tables"].values()),
        "mlflow": bool(manifest.get("mlflow")),
        "mlflow_artifacts": bool(manifest.get("mlflow_artifacts")),
        "secrets": bool(manifest.get("secrets")),
    }


@app.command("create")
def create_cmd(as_json: bool = typer.Option(False, "--json")) -> None:
    """Back up now (a consistent copy while the service runs) into MINIMARKET_BACKUP_DIR (var/backups)."""
    from minimarket.config import get_settings
    from minimarket.ops.backup import BackupError, create_backup, verify_backup

    settings = get_settings()
    try:
        backup = create_backup(settings)
        check = verify_backup(backup)
    except BackupError as exc:
        fail(str(exc))
    if not check.ok:
        fail(f"el respaldo {backup.name} se escribió pero no pasa la verificación: " + "; ".join(check.problems))
    if as_json:
        print_json(_summary(backup))
        return
    summary = _summary(backup)
    typer.echo(f"respaldo {backup.name} ({_size(backup.size)}, {summary['rows']} filas) en {backup.path}")


@app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json")) -> None:
    """The complete backups, oldest first."""
    from minimarket.config import get_settings
    from minimarket.ops.backup import list_backups

    backups = [_summary(b) for b in list_backups(get_settings())]
    if as_json:
        print_json(backups)
        return
    for item in backups:
        typer.echo(
            f"{item['name']:<28} {_size(item['bytes']):>10}  {item['rows']:>8} filas  {item['database']['kind']}"
        )
    if not backups:
        typer.echo("no hay respaldos")


@app.command("verify")
def verify_cmd(
    name: str | None = typer.Argument(None, help="Backup folder name or path (default: the latest)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Re-check a backup: checksums, SQLite integrity and row counts, pg_restore's listing, archives."""
    from minimarket.config import get_settings
    from minimarket.ops.backup import BackupError, find_backup, verify_backup

    try:
        check = verify_backup(find_backup(get_settings(), name))
    except BackupError as exc:
        fail(str(exc))
    if as_json:
        print_json({"backup": check.backup.name, "ok": check.ok, "problems": check.problems})
    elif check.ok:
        typer.echo(f"{check.backup.name}: correcto")
    else:
        typer.echo(f"{check.backup.name}: DAÑADO", err=True)
        for problem in check.problems:
            typer.echo(f"  - {problem}", err=True)
    raise typer.Exit(0 if check.ok else 1)


@app.command("restore")
def restore_cmd(
    name: str | None = typer.Argument(None, help="Backup folder name or path (default: the latest)."),
    to: Path | None = typer.Option(
        None, "--to", help="Restore into this folder (minimarket.db, mlflow.db, artifacts/, secrets/) instead."
    ),
    database_url: str | None = typer.Option(None, "--database-url", help="PostgreSQL database to restore into."),
    mlflow_url: str | None = typer.Option(None, "--mlflow-url", help="PostgreSQL database for MLflow's dump."),
    yes: bool = typer.Option(False, "--yes", help="Confirm restoring over the live data (stop the service first)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Restore a verified backup; what is replaced is moved aside (``*.before-restore-<time>``), not deleted."""
    from minimarket.config import get_settings
    from minimarket.ops.backup import BackupError, find_backup, restore_backup

    if to is None and not yes:
        fail(
            "restaurar sobre los datos en uso los reemplaza (los actuales quedan aparte como *.before-restore-*); "
            "detenga el servicio y repita con --yes, o restaure en otra carpeta con --to CARPETA",
            2,
        )
    settings = get_settings()
    try:
        restored = restore_backup(
            settings, find_backup(settings, name), target_dir=to, database_url=database_url, mlflow_url=mlflow_url
        )
    except BackupError as exc:
        fail(str(exc))
    if as_json:
        print_json(
            {
                "backup": restored.backup.name,
                "written": restored.written,
                "moved_aside": restored.moved_aside,
                "tables": restored.tables,
            }
        )
        return
    rows = sum(restored.tables.get("database", {}).values())
    typer.echo(f"restaurado {restored.backup.name}: {rows} filas, igual que el respaldo")
    for path in restored.written:
        typer.echo(f"  escrito: {path}")
    for path in restored.moved_aside:
        typer.echo(f"  lo anterior quedó en: {path}")


@app.command("prune")
def prune_cmd(
    keep: int | None = typer.Option(None, "--keep", min=1, help="Backups to keep (default: MINIMARKET_BACKUP_KEEP)."),
) -> None:
    """Remove all but the newest KEEP backups (and unfinished ones older than a day)."""
    from minimarket.config import get_settings
    from minimarket.ops.backup import BackupError, prune_backups

    try:
        removed = prune_backups(get_settings(), keep)
    except BackupError as exc:
        fail(str(exc), 2)
    typer.echo(f"{len(removed)} respaldo(s) eliminados" + "".join(f"\n  {p}" for p in removed))
