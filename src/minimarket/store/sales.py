"""Sales in the store: import a validated POS export once — by content, not by bytes — and read sales back.

An import streams its rows into a temporary staging table in chunks, inside the caller's transaction (all or
nothing: a crash or a bad row leaves nothing behind), then moves them into ``sales`` with one SQL statement.
Each row carries a ``row_key``: its content's fingerprint (:meth:`SaleRow.fingerprint`) and its occurrence among
identical rows of the file. ``UNIQUE (shop_id, row_key)`` makes the same sales impossible to store twice —
the same file again, or the same rows with other line ends, delimiter, column order or number format, and also
two imports racing. A file whose rows were all or partly imported before is refused naming the earlier import,
unless ``only_new`` asks to store just the rows not seen yet. Memory stays flat however large the file is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    cast,
    exists,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from minimarket.sales_csv import SaleRow, SalesTable
from minimarket.store.models import Product, Sale, SalesImport, StockMovement
from minimarket.store.types import ExactDecimal

QUANTITY_SCALE = 10_000
"""Quantities are summed in SQL as integers of 1/10,000 (the column's four decimals): exact on every backend."""


class AlreadyImported(ValueError):
    """These sales (all or some of the rows) were imported before into this shop; the message names the import."""


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
    skipped: int = 0
    """Rows left out because they had been imported before (``only_new``)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch,
            "rows": self.rows,
            "skipped": self.skipped,
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


_staging_metadata = MetaData()
_STAGING = Table(
    "sales_staging",
    _staging_metadata,
    Column("line", Integer, nullable=False),
    Column("date", Date, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", String(40), nullable=False),
    Column("unit_price", String(40)),
    Column("units", BigInteger, nullable=False),
    Column("fingerprint", String(40), nullable=False),
    prefixes=["TEMPORARY"],
)
_KEYED = Table(
    "sales_staging_keyed",
    _staging_metadata,
    Column("line", Integer, nullable=False),
    Column("date", Date, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", String(40), nullable=False),
    Column("unit_price", String(40)),
    Column("units", BigInteger, nullable=False),
    Column("row_key", String(64), nullable=False),
    Column("seen", Integer, nullable=False),
    prefixes=["TEMPORARY"],
)


def _fresh_staging(session: Session) -> None:
    connection = session.connection()
    for table in (_KEYED, _STAGING):
        table.drop(connection, checkfirst=True)
    for table in (_STAGING, _KEYED):
        table.create(connection)


def _drop_staging(session: Session) -> None:
    connection = session.connection()
    for table in (_KEYED, _STAGING):
        table.drop(connection, checkfirst=True)


def _staged(rows: Iterable[SaleRow], chunk: int) -> Iterator[list[tuple[Any, ...]]]:
    """The rows as tuples for the staging table, ``chunk`` at a time."""
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(
            (
                row.line,
                row.date,
                row.sku,
                format(row.quantity, "f"),
                None if row.unit_price is None else format(row.unit_price, "f"),
                int((row.quantity * QUANTITY_SCALE).to_integral_value()),
                row.fingerprint(),
            )
        )
        if len(batch) >= chunk:
            yield batch
            batch = []
    if batch:
        yield batch


def _stage(session: Session, block: list[tuple[Any, ...]]) -> None:
    """One driver-level executemany (the ORM's per-row bookkeeping would cost more than the insert itself)."""
    connection = session.connection()
    names = [column.name for column in _STAGING.c]
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    statement = f"INSERT INTO {_STAGING.name} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"
    connection.exec_driver_sql(statement, block)


def _describe(session: Session, batches: list[str]) -> str:
    earlier = {row.batch: row for row in session.scalars(select(SalesImport).where(SalesImport.batch.in_(batches)))}
    parts = []
    for batch in batches:
        found = earlier.get(batch)
        if found is None:
            parts.append(f"lote {batch[:12]}")
            continue
        when = found.created_at.astimezone(dt.UTC).strftime("%d/%m/%Y %H:%M UTC") if found.created_at else "?"
        source = f" desde {found.source_file}" if found.source_file else ""
        rows = f"{found.rows:,}".replace(",", ".")
        parts.append(f"el {when}{source} por {found.author}: lote {batch[:12]}, {rows} filas")
    return "; ".join(parts)


def _refuse(session: Session, seen: int, total: int, batches: list[str]) -> AlreadyImported:
    earlier = _describe(session, batches)
    if seen >= total:
        return AlreadyImported(
            f"Estas ventas ya fueron importadas ({earlier}); no se importó nada. Un archivo con las mismas filas "
            "cuenta como el mismo aunque cambien el separador, los finales de línea o el orden de las columnas."
        )
    return AlreadyImported(
        f"{seen:,} de {total:,} filas ya fueron importadas".replace(",", ".")
        + f" ({earlier}); no se importó nada. "
        + "Para importar solo las filas nuevas use --only-new."
    )


def import_sales(
    session: Session,
    rows: SalesTable | Iterable[SaleRow],
    *,
    batch: str,
    source_file: str | None = None,
    author: str = "system",
    only_new: bool = False,
    stats: SalesTable | None = None,
    chunk: int = 10_000,
) -> SalesImportResult:
    """Store every row plus one stock-out movement per SKU and day, in the caller's transaction.

    ``rows`` may be a stream (:func:`minimarket.sales_csv.iter_sales_csv`): it is consumed once, in chunks. Raises
    :class:`AlreadyImported` when rows were imported before (all of them, or some unless ``only_new``) or when a
    concurrent import of the same sales won the race; the message names the earlier import. A refusal leaves the
    session as it was."""
    shop_id = session.info.get("shop_id")
    if shop_id is None:
        raise RuntimeError("sales import needs a session scoped to one shop")
    if session.scalars(select(SalesImport.id).where(SalesImport.batch == batch)).first() is not None:
        raise _refuse(session, 1, 1, [batch])
    stream = rows.rows() if isinstance(rows, SalesTable) else rows
    _fresh_staging(session)
    for block in _staged(stream, chunk):
        _stage(session, block)
    if _key_rows(session) == 0:
        raise AlreadyImported("El archivo no tiene ventas para importar.")
    # The first write to the shop's tables comes only now (SQLite: the database's write lock is taken here, so
    # what is read next is what the previous writer committed).
    try:
        with session.begin_nested():
            record = SalesImport(
                batch=batch, source_file=(source_file or "")[:500] or None, rows=0, author=author[:100]
            )
            session.add(record)
            session.flush()
            result = _move(session, shop_id, batch, only_new, stats if stats is not None else rows)
            record.rows, record.skipped = result.rows, result.skipped
            session.flush()
    except IntegrityError:
        raise _raced(session, batch) from None
    _drop_staging(session)
    return result


def _move(
    session: Session, shop_id: int, batch: str, only_new: bool, rows: SalesTable | Iterable[SaleRow]
) -> SalesImportResult:
    total = session.scalar(select(func.count()).select_from(_KEYED)) or 0
    session.execute(_KEYED.update().where(exists().where(_matched(shop_id))).values(seen=1))
    seen = session.scalar(select(func.count()).select_from(_KEYED).where(_KEYED.c.seen == 1)) or 0
    if seen and not only_new:
        raise _refuse(session, seen, total, _earlier(session, shop_id))
    new = _KEYED.c.seen == 0
    session.execute(
        insert(Sale).from_select(
            ["shop_id", "date", "sku", "quantity", "unit_price", "import_batch", "row_key"],
            select(
                literal(shop_id),
                _KEYED.c.date,
                _KEYED.c.sku,
                cast(_KEYED.c.quantity, ExactDecimal(18, 4)),
                cast(_KEYED.c.unit_price, ExactDecimal(18, 4)),
                literal(batch),
                _KEYED.c.row_key,
            ).where(new),
        )
    )
    _stock_out(session, shop_id, batch, new)
    return _result(session, batch, total - seen, seen, rows)


def _key_rows(session: Session) -> int:
    """Give every staged row its key (fingerprint:occurrence); returns how many rows there are."""
    occurrence = func.row_number().over(partition_by=_STAGING.c.fingerprint, order_by=_STAGING.c.line)
    row_key = _STAGING.c.fingerprint + literal(":") + cast(occurrence, String)
    keyed = select(
        _STAGING.c.line,
        _STAGING.c.date,
        _STAGING.c.sku,
        _STAGING.c.quantity,
        _STAGING.c.unit_price,
        _STAGING.c.units,
        row_key.label("row_key"),
        literal(0).label("seen"),
    )
    session.execute(insert(_KEYED).from_select([c.name for c in _KEYED.c], keyed))
    total = session.scalar(select(func.count()).select_from(_KEYED)) or 0
    return int(total)


def _matched(shop_id: int) -> Any:
    return and_(Sale.shop_id == shop_id, Sale.row_key == _KEYED.c.row_key)


def _earlier(session: Session, shop_id: int) -> list[str]:
    """Up to three earlier imports holding rows of this one."""
    found = session.scalars(
        select(Sale.import_batch).join(_KEYED, _matched(shop_id)).group_by(Sale.import_batch).limit(3)
    )
    return [batch for batch in found if batch]


def _raced(session: Session, batch: str) -> AlreadyImported:
    """The loser of two imports of the same sales gets the message it would have got coming second."""
    shop_id = session.info["shop_id"]
    total = session.scalar(select(func.count()).select_from(_STAGING)) or 1
    if session.scalars(select(SalesImport.id).where(SalesImport.batch == batch)).first() is not None:
        return _refuse(session, total, total, [batch])
    keyed = session.scalar(select(func.count()).select_from(_KEYED)) or 0
    seen = session.scalar(select(func.count()).select_from(_KEYED).where(exists().where(_matched(shop_id)))) or 0
    return _refuse(session, seen or total, keyed or total, _earlier(session, shop_id) or [batch])


def _stock_out(session: Session, shop_id: int, batch: str, new: Any) -> None:
    """One stock-out movement per SKU and day of the stored rows (none where the day's sales net to zero)."""
    grouped = (
        select(_KEYED.c.date, _KEYED.c.sku, func.sum(_KEYED.c.units).label("units"))
        .where(new)
        .group_by(_KEYED.c.date, _KEYED.c.sku)
    )
    block: list[dict[str, Any]] = []
    for date, sku, units in session.execute(grouped):
        if not units:
            continue
        block.append(
            {
                "shop_id": shop_id,
                "sku": sku,
                "quantity": -Decimal(int(units)) / QUANTITY_SCALE,
                "kind": "sale_out",
                "reference": f"sales:{batch[:12]}",
                "idempotency_key": f"sales:{batch}:{date.isoformat()}:{sku}",
                "occurred_at": dt.datetime.combine(date, dt.time(23, 59), tzinfo=dt.UTC),
            }
        )
        if len(block) >= 10_000:
            session.execute(insert(StockMovement), block)
            block = []
    if block:
        session.execute(insert(StockMovement), block)


def _result(
    session: Session, batch: str, stored: int, skipped: int, rows: SalesTable | Iterable[SaleRow]
) -> SalesImportResult:
    new = _KEYED.c.seen == 0
    skus = list(session.scalars(select(_KEYED.c.sku).where(new).group_by(_KEYED.c.sku)))
    first, last = session.execute(select(func.min(_KEYED.c.date), func.max(_KEYED.c.date)).where(new)).one()
    known = set(session.scalars(select(Product.sku)))
    returns = session.scalar(select(func.count()).select_from(_KEYED).where(new, _KEYED.c.units < 0)) or 0
    dropped = rows.duplicates_dropped if isinstance(rows, SalesTable) else getattr(rows, "duplicates_dropped", 0)
    return SalesImportResult(
        batch=batch,
        rows=stored,
        skus=len(skus),
        unknown_skus=sorted(set(skus) - known),
        date_from=first,
        date_to=last,
        returns=int(returns),
        duplicates_dropped=int(dropped),
        skipped=skipped,
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
