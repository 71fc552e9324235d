"""es-AR formats for what a manager reads: ``$ 1.234,56``, ``1.234``, ``2,1 %``, ``31/08/2026``, ``ago 2026``.

Money goes through :func:`minimarket.domain.money.format_ars` and numbers through
:func:`minimarket.domain.numbers.format_amount`, so the CLI, the API and the dashboards print alike.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from minimarket.domain.money import format_ars
from minimarket.domain.numbers import format_amount

__all__ = [
    "MONTHS",
    "PERIODS",
    "PLOTLY_SEPARATORS",
    "STATUS_LABELS",
    "date",
    "datetime",
    "money",
    "month",
    "number",
    "pct",
]

MONTHS = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")
STATUS_LABELS = {"accepted": "aceptada", "needs_review": "para revisar", "rejected": "rechazada"}
PERIODS = {"día": "D", "semana": "W", "mes": "M"}
"""The periods a manager picks, as pandas frequencies."""
PLOTLY_SEPARATORS = ",."
"""Plotly's ``layout.separators`` for es-AR: decimal comma, thousands dot."""
DASH = "—"


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def money(value: Decimal | int | float | str | None) -> str:
    """``$ 1.234,56`` (``—`` when unknown)."""
    if _missing(value):
        return DASH
    return format_ars(value)  # type: ignore[arg-type]


def number(value: Decimal | int | float | str | None, decimals: int = 0) -> str:
    """``1.234`` or ``1.234,5`` (``—`` when unknown)."""
    if _missing(value):
        return DASH
    return format_amount(Decimal(str(value)), "ar", decimals)


def pct(value: Decimal | float | None, decimals: int = 1, *, signed: bool = False) -> str:
    """``2,1 %`` (``+2,1 %`` with ``signed``; ``—`` when unknown)."""
    if _missing(value):
        return DASH
    text = format_amount(Decimal(str(value)), "ar", decimals)
    if signed and not text.startswith("-"):
        text = "+" + text
    return f"{text} %"


def date(value: dt.date | dt.datetime | str | None) -> str:
    """``31/08/2026`` (``—`` when unknown)."""
    if value is None or value == "":
        return DASH
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return value.strftime("%d/%m/%Y")


def datetime(value: dt.datetime | None) -> str:
    """``31/08/2026 14:05`` in the machine's local time (``—`` when unknown)."""
    if value is None:
        return DASH
    if value.tzinfo is not None:
        value = value.astimezone()
    return value.strftime("%d/%m/%Y %H:%M")


def month(value: str | dt.date) -> str:
    """``ago 2026`` from ``2026-08`` or a date."""
    if isinstance(value, str):
        year, number_ = value[:7].split("-")
        return f"{MONTHS[int(number_) - 1]} {year}"
    return f"{MONTHS[value.month - 1]} {value.year}"
