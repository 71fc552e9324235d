"""Helpers shared by the sub-commands: clear one-line errors, JSON output."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer


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
