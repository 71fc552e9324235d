"""Sales in the store: import a validated POS export once, and read sales back as a frame."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from minimarket.sales_csv import SalesTable
from minimarket.store.models import Product, Sale, StockMovement


class AlreadyImported(ValueError):
    """The same file was imported before into this shop."""


@dataclass(frozen=True, slots=True)
class SalesImportResult:
    batch: str
    rows: int
    skus: int
    unknown_skus: list[str]
    date_from: dt.date | None
    date_to: dt.date | None
    returns: int
    duplicates_dropped: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch,
            "rows": self.rows,
            "skus": self.skus,
            "unknown_skus": self.unknown_skus,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "returns": self.returns,
            "duplicates_dropped": self.duplicates_dropped,
        }


def batch_id(raw: bytes) -> str:
    """A file's import batch id: its sha256 (the same file twice is the same batch)."""
    return hashlib.sha256(raw).hexdigest()


def import_sales(session: Session, table: SalesTable, *, batch: str, chunk: int = 5000) -> SalesImportResult:
    """Insert every row of ``table`` plus one stock-out movement per SKU and day, in the caller's
    transaction (all or nothing). Refuses a batch already imported into this shop."""
    if session.scalars(select(Sale.id).where(Sale.import_batch == batch).limit(1)).first() is not None:
        raise AlreadyImported(f"Este archivo ya fue importado (lote {batch[:12]}…); no se importó de nuevo.")
    shop_id = session.info.get("shop_id")
    if shop_id is None:
        raise RuntimeError("sales import needs a session scoped to one shop")
    rows = [
        {
            "shop_id": shop_id,
            "date": date,
            "sku": sku,
            "quantity": quantity,
            "unit_price": price,
            "import_batch": batch,
        }
        for date, sku, quantity, price in zip(table.dates, table.skus, table.quantities, table.unit_prices, strict=True)
    ]
    for start in range(0, len(rows), chunk):
        session.execute(insert(Sale), rows[start : start + chunk])

    daily: dict[tuple[dt.date, str], Decimal] = defaultdict(Decimal)
    for date, sku, quantity in zip(table.dates, table.skus, table.quantities, strict=True):
        daily[(date, sku)] += quantity
    movements = [
        {
            "shop_id": shop_id,
            "sku": sku,
            "quantity": -quantity,
            "kind": "sale_out",
            "reference": f"sales:{batch[:12]}",
            "idempotency_key": f"sales:{batch}:{date.isoformat()}:{sku}",
            "occurred_at": dt.datetime.combine(date, dt.time(23, 59), tzinfo=dt.UTC),
        }
        for (date, sku), quantity in daily.items()
        if quantity != 0
    ]
    for start in range(0, len(movements), chunk):
        session.execute(insert(StockMovement), movements[start : start + chunk])

    known = set(session.scalars(select(Product.sku)))
    skus = set(table.skus)
    return SalesImportResult(
        batch=batch,
        rows=len(rows),
        skus=len(skus),
        unknown_skus=sorted(skus - known),
        date_from=min(table.dates) if table.dates else None,
        date_to=max(table.dates) if table.dates else None,
        returns=table.returns,
        duplicates_dropped=table.duplicates_dropped,
    )


def sales_frame(session: Session, start: dt.date | None = None, end: dt.date | None = None) -> Any:
    """This shop's sales as a pandas DataFrame: date, sku, quantity, unit_price (floats)."""
    import pandas as pd

    statement = select(Sale.date, Sale.sku, Sale.quantity, Sale.unit_price)
    if start:
        statement = statement.where(Sale.date >= start)
    if end:
        statement = statement.where(Sale.date <= end)
    records = session.execute(statement.order_by(Sale.date)).all()
    frame = pd.DataFrame(records, columns=["date", "sku", "quantity", "unit_price"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["quantity"] = frame["quantity"].astype(float)
    frame["unit_price"] = pd.to_numeric(frame["unit_price"], errors="coerce").astype(float)
    return frame


def sales_count(session: Session) -> int:
    return int(session.scalar(select(func.count(Sale.id))) or 0)
