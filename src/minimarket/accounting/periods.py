"""Fiscal periods: a calendar month written ``AAAA-MM`` (``2026-09``)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["Period", "PeriodError", "parse_period"]

_PERIOD = re.compile(r"^\s*(\d{4})[-/](\d{1,2})\s*$")


class PeriodError(ValueError):
    """A period that is not a month written AAAA-MM."""


@dataclass(frozen=True, order=True)
class Period:
    """One calendar month."""

    year: int
    month: int

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def contains(self, day: dt.date | None) -> bool:
        return day is not None and self.first_day <= day <= self.last_day

    @property
    def compact(self) -> str:
        """``AAAAMM`` as ARCA names periods in file names."""
        return f"{self.year:04d}{self.month:02d}"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def parse_period(text: str) -> Period:
    """``"2026-09"`` (or ``2026/9``) → :class:`Period`; :class:`PeriodError` in Spanish otherwise."""
    match = _PERIOD.match(str(text))
    if not match:
        raise PeriodError(f"período {text!r} inválido; use AAAA-MM, p. ej. 2026-09")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or not 1990 <= year <= 2100:
        raise PeriodError(f"período {text!r} inválido; use AAAA-MM con el mes de 01 a 12 (años 1990 a 2100)")
    return Period(year, month)
