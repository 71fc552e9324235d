"""``minimarket db``: migrations and status of the database."""

from __future__ import annotations

import typer

from minimarket.commands.common import fail, print_json

app = typer.Typer(help="Database: create or upgrade the schema, show where it is.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(
    revision: str = typer.Argument("head", help="Target Alembic revision."),
    url: str | None = typer.Option(None, "--url", help="SQLAlchemy URL (default: MINIMARKET_DATABASE_URL or SQLite)."),
) -> None:
    """Create the database or apply pending migrations (idempotent)."""
    from sqlalchemy.exc import OperationalError

    from minimarket.store.db import database_url, upgrade_database

    try:
        current = upgrade_database(url, revision)
    except OperationalError as exc:
        fail(f"cannot reach the database at {database_url(url)}: {exc.orig}")
    typer.echo(f"database at revision {current}: {database_url(url)}")


@app.command("status")
def status(url: str | None = typer.Option(None, "--url", help="SQLAlchemy URL.")) -> None:
    """Print the database URL, its revision and the head revision as JSON."""
    from minimarket.store.db import current_revision, database_url, head_revision

    print_json({"url": database_url(url), "revision": current_revision(url), "head": head_revision()})
