"""Helpers shared by the sub-commands: clear one-line errors, JSON output, the shop's session, the user."""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` to stderr (no traceback) and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def print_json(value: Any, *, pretty: bool = True) -> None:
    """Print JSON to stdout (UTF-8, decimals and dates as strings)."""
    text = json.dumps(value, ensure_ascii=False, indent=2 if pretty else None, default=str)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


ShopOption = typer.Option(None, "--shop", help="Shop code (default: the single default shop).")


def current_user() -> str:
    """Who runs the command: ``$MINIMARKET_USER``, else the OS user."""
    try:
        return os.environ.get("MINIMARKET_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "desconocido"


@contextmanager
def shop_session(shop: str | None, *, create: bool = False) -> Iterator[Session]:
    """The shop's transaction (see :func:`minimarket.store.db.session_scope`). A command never creates a shop
    unless it says so (``shop create``, an import with ``--create-shop``): an unknown or malformed code is a
    clear error (exit 2)."""
    from minimarket.store.db import InvalidShopCode, UnknownShop, session_scope

    try:
        with session_scope(shop, create_shop=create) as session:
            yield session
    except (UnknownShop, InvalidShopCode) as exc:
        fail(str(exc), 2)


# --- every command: an expected failure is one Spanish line, never a traceback ------------------------------------


def _settings_message(exc: Exception) -> str:
    errors: list[dict[str, Any]] = list(getattr(exc, "errors", list)())
    parts = []
    for error in errors[:3]:
        field = "_".join(str(part) for part in error.get("loc", ())).upper()
        parts.append(f"MINIMARKET_{field}: {error.get('msg', 'valor inválido')}")
    return "configuración inválida — " + ("; ".join(parts) or str(exc).splitlines()[0])


def describe_failure(exc: BaseException) -> tuple[str, int]:
    """A one-line Spanish message and exit code for an error a command did not handle itself."""
    from pydantic import ValidationError
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    from minimarket.redact import redact

    if isinstance(exc, ValidationError) and exc.title == "Settings":
        return _settings_message(exc), 2
    if isinstance(exc, ArgumentError | NoSuchModuleError):
        return (
            "MINIMARKET_DATABASE_URL no es una URL de base de datos válida; use por ejemplo "
            "sqlite:////ruta/minimarket.db o postgresql+psycopg://usuario@servidor/base",
            2,
        )
    if isinstance(exc, OperationalError):
        first = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "locked" in first:
            return "la base de datos está ocupada por otra operación; reintente en unos segundos", 1
        return redact(f"no se pudo usar la base de datos: {first}"), 1
    if isinstance(exc, MemoryError):
        return "no alcanzó la memoria para esta operación (¿un archivo demasiado grande?)", 1
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        return redact(f"{exc.strerror or exc}{where}"), 1
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return redact(f"error inesperado ({type(exc).__name__}){': ' + text[:300] if text else ''}"), 1


def _log_failure(exc: BaseException) -> str | None:
    """Append the traceback (redacted) to var/logs/errors.log; returns the file's path, or None."""
    try:
        from minimarket.config import get_settings
        from minimarket.redact import redact

        folder = get_settings().state_dir / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "errors.log"
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        text = "".join(traceback.format_exception(exc))
        with path.open("a", encoding="utf-8") as log:
            log.write(f"--- {stamp} {' '.join(sys.argv[:1] + sys.argv[1:2])}\n{redact(text)}\n")
        return str(path)
    except Exception:  # the settings themselves may be what is broken
        return None


def guarded(command: F) -> F:
    """Wrap a command so that any error it did not turn into a message becomes one line and exit code 1 or 2
    (the traceback, redacted, goes to var/logs/errors.log)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, click.exceptions.ClickException, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            message, code = describe_failure(exc)
            if message.startswith("error inesperado"):
                where = _log_failure(exc)
                if where:
                    message += f" (detalle en {where})"
            fail(message, code)

    return run  # type: ignore[return-value]
