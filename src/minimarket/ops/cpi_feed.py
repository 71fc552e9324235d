"""The ``cpi-feed`` input of the scheduled CPI update: which month is pending and its published figure.

The feed is a CSV (a local path or an http(s) URL) with columns ``month`` (YYYY-MM), ``pct`` and an optional
``source``; an operator (or whatever fetches INDEC's figure) adds a line each month. The pending month is
the one after the last month the shop knows (bundled series + recorded figures); nothing is pending while
that month has not ended.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minimarket.config import Settings


@dataclass(frozen=True)
class FeedAnswer:
    """The values for the pipeline's placeholders, or why there is nothing to do."""

    values: dict[str, Any]
    skip: str | None = None


def _read_feed(location: str, timeout: float = 30.0) -> str | None:
    """The feed's text, or None when a local feed does not exist yet."""
    if location.startswith(("http://", "https://")):
        import httpx

        response = httpx.get(location, timeout=timeout, follow_redirects=True)
        response.raise_for_status()
        return response.text
    path = Path(location.removeprefix("file://"))
    return path.read_text(encoding="utf-8-sig") if path.is_file() else None


def feed_figures(text: str) -> dict[str, tuple[float, str]]:
    """``{month: (pct, source)}`` from the feed's CSV; a bad line is an error naming the line."""
    reader = csv.DictReader(io.StringIO(text))
    fields = {f.strip().lower() for f in reader.fieldnames or []}
    if not {"month", "pct"} <= fields:
        raise ValueError("el archivo de IPC necesita las columnas month y pct (y opcionalmente source)")
    figures: dict[str, tuple[float, str]] = {}
    for number, row in enumerate(reader, start=2):
        clean = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        month = clean.get("month", "")
        try:
            dt.date.fromisoformat(month + "-01")
            pct = float(clean.get("pct", "").replace(",", "."))
        except ValueError:
            raise ValueError(
                f"línea {number} del archivo de IPC: se esperaba month AAAA-MM y pct numérico, se leyó {row}"
            ) from None
        figures[month] = (pct, clean.get("source") or "INDEC")
    return figures


def pending_month(settings: Settings) -> tuple[str, str]:
    """(the month after the last known one, the last known month) for the default shop."""
    from minimarket.forecast.inflation_update import current_data
    from minimarket.store.db import session_scope

    with session_scope(url=settings.sqlalchemy_url) as session:
        last = current_data(session).last_month
    return str(last + 1), str(last)


def resolve(settings: Settings, now: dt.datetime) -> FeedAnswer:
    """The pending month and its figure from the feed, or a reason to skip the run."""
    month, last = pending_month(settings)
    today = now.astimezone(zoneinfo.ZoneInfo(settings.schedule_timezone)).date()
    if month >= f"{today:%Y-%m}":
        return FeedAnswer({}, f"IPC al día: el último mes conocido es {last} y {month} todavía no terminó")
    location = settings.cpi_feed_location
    text = _read_feed(location)
    if text is None:
        return FeedAnswer({}, f"falta la cifra de {month}: no existe el archivo de IPC {location}")
    figures = feed_figures(text)
    if month not in figures:
        return FeedAnswer({}, f"falta la cifra de {month} en {location} (último mes conocido: {last})")
    pct, source = figures[month]
    return FeedAnswer({"month": month, "pct": pct, "source": source})


def recorded_pct(settings: Settings, month: str) -> float | None:
    """The figure the default shop's store holds for ``month`` (its latest revision), if any."""
    from minimarket.store.db import session_scope
    from minimarket.store.inflation import latest_by_month

    with session_scope(url=settings.sqlalchemy_url) as session:
        return latest_by_month(session).get(month)
