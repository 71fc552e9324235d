"""Monthly CPI observations recorded through the monthly update (history kept, latest per month wins)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from minimarket.store.models import InflationObservation


def record_observation(
    session: Session,
    *,
    month: str,
    pct: float | Decimal,
    source: str,
    author: str,
    forced: bool = False,
    reason: str | None = None,
) -> InflationObservation:
    """Append one observation (never overwrites: earlier figures for the month stay as history)."""
    row = InflationObservation(
        month=month,
        pct=Decimal(str(pct)).quantize(Decimal("0.0001")),
        source=source,
        author=author,
        forced=forced,
        reason=reason,
        recorded_at=dt.datetime.now(dt.UTC),
    )
    session.add(row)
    session.flush()
    return row


def observations(session: Session, month: str | None = None) -> list[InflationObservation]:
    """Every observation (of ``month`` if given), oldest first."""
    statement = select(InflationObservation).order_by(InflationObservation.month, InflationObservation.id)
    if month is not None:
        statement = statement.where(InflationObservation.month == month)
    return list(session.scalars(statement))


def latest_by_month(session: Session) -> dict[str, float]:
    """``{"YYYY-MM": pct}`` using the most recent observation of each month."""
    latest: dict[str, float] = {}
    for row in observations(session):
        latest[row.month] = float(row.pct)
    return latest
