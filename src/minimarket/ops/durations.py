"""Durations written the way operators write them: ``90s``, ``30m``, ``24h``, ``7d``, ``1d12h``."""

from __future__ import annotations

import datetime as dt
import re

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> dt.timedelta:
    """``"24h"`` -> 24 hours; a bare number is seconds. Raises ValueError saying what is accepted."""
    value = text.strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return dt.timedelta(seconds=float(value))
    parts = _PART.findall(value)
    if not value or "".join(n + u for n, u in parts) != value:
        raise ValueError(f"duración inválida {text!r}: use un número con unidad, por ejemplo 90s, 30m, 24h, 7d o 1d12h")
    total = dt.timedelta()
    for number, unit in parts:
        total += dt.timedelta(**{_UNITS[unit]: float(number)})
    return total


def format_duration(delta: dt.timedelta) -> str:
    """The inverse of :func:`parse_duration` for display (``1d12h``, ``45m``, ``3s``)."""
    seconds = round(delta.total_seconds())
    if seconds == 0:
        return "0s"
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out)
