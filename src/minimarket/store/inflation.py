"""Monthly CPI figures: national (INDEC, shared by every shop) and per shop (the figure a shop applies).

What is national and what is per shop:

* **National**: INDEC's series — the bundled files plus the figures the operators' monthly update records
  (:class:`NationalInflationObservation`, ``minimarket inflation update`` without ``--shop``) — and the one
  registered model (``inflation-forecaster``), trained only on that series.
* **Per shop**: the figure a shop applies (``inflation update --shop X``: a month INDEC has not published yet, or
  a corrected one), and so the guard's history and the price suggestions of that shop. A shop's figure changes
  nothing for another shop and never retrains the national model.

A shop's series is the national one with its own figures on top (:func:`latest_by_month`). History is kept:
at most one unforced figure per month (a database constraint, also under races), later ones are forced
revisions with a reason; the latest per month wins.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from minimarket.store.models import InflationObservation, NationalInflationObservation

Row = TypeVar("Row", InflationObservation, NationalInflationObservation)


class FigureExists(ValueError):
    """The month already has an unforced figure in this scope (recorded by someone else, maybe at the same time)."""


def _record(session: Session, row: Row) -> Row:
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise FigureExists(f"{row.month} ya tiene un valor registrado") from None
    return row


def _row(model: type[Row], month: str, pct: float | Decimal, source: str, author: str, forced: bool,
         reason: str | None) -> Row:  # fmt: skip
    return model(
        month=month,
        pct=Decimal(str(pct)).quantize(Decimal("0.0001")),
        source=source,
        author=author,
        forced=forced,
        reason=reason,
        recorded_at=dt.datetime.now(dt.UTC),
    )


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
    """Append one figure of the session's shop (never overwrites: earlier figures stay as history).
    :class:`FigureExists` if an unforced one is already there."""
    return _record(session, _row(InflationObservation, month, pct, source, author, forced, reason))


def record_national_observation(
    session: Session,
    *,
    month: str,
    pct: float | Decimal,
    source: str,
    author: str,
    forced: bool = False,
    reason: str | None = None,
) -> NationalInflationObservation:
    """Append one national figure (the operators' monthly update). :class:`FigureExists` as above."""
    return _record(session, _row(NationalInflationObservation, month, pct, source, author, forced, reason))


def observations(session: Session, month: str | None = None) -> list[InflationObservation]:
    """Every figure of the session's shop (of ``month`` if given), oldest first."""
    statement = select(InflationObservation).order_by(InflationObservation.month, InflationObservation.id)
    if month is not None:
        statement = statement.where(InflationObservation.month == month)
    return list(session.scalars(statement))


def national_observations(session: Session, month: str | None = None) -> list[NationalInflationObservation]:
    """Every national figure (of ``month`` if given), oldest first."""
    statement = select(NationalInflationObservation).order_by(
        NationalInflationObservation.month, NationalInflationObservation.id
    )
    if month is not None:
        statement = statement.where(NationalInflationObservation.month == month)
    return list(session.scalars(statement))


def national_by_month(session: Session) -> dict[str, float]:
    """``{"YYYY-MM": pct}`` of the national figures recorded (latest per month)."""
    return {row.month: float(row.pct) for row in national_observations(session)}


def latest_by_month(session: Session) -> dict[str, float]:
    """The figures this session's shop applies: the national ones with the shop's own on top (latest per month).
    An unscoped session (``all_shops``) gets the national ones only."""
    latest = national_by_month(session)
    if session.info.get("shop_id") is not None:
        for row in observations(session):
            latest[row.month] = float(row.pct)
    return latest
