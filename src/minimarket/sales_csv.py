"""Read point-of-sale exports (any CSV) into a clean sales frame, or explain exactly what is wrong.

Used by ``minimarket sales import`` (into the store) and by the demand backtest on arbitrary CSVs, so
both accept the same files and report the same errors. Nothing is returned partially: either every row
is valid, or :class:`SalesCsvError` lists the bad rows (row number as in the file, column, why).

Decisions (documented for users):
- Without a quantity column each row is one unit sold (a transaction log).
- Negative quantities are returns and are kept (they lower the day's net sales) unless
  ``allow_negative=False``.
- Fully duplicated rows are kept: a POS log legitimately repeats identical lines; ``drop_duplicates``
  removes them when the export is known to duplicate.
- Dates: ISO ``YYYY-MM-DD`` first; otherwise day-first (``dd/mm/aaaa``), as Argentine POS export them,
  unless ``date_format`` is given.
- Numbers: Argentine or US format, decided per file from its unambiguous values
  (:func:`minimarket.domain.numbers.parse_amount`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

MAX_REPORTED_ERRORS = 20


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one cell: ``row`` is the 1-based line number in the file (header = 1)."""

    row: int
    column: str
    value: str
    why: str

    def __str__(self) -> str:
        return f"fila {self.row}, columna {self.column!r} = {self.value!r}: {self.why}"


class SalesCsvError(ValueError):
    """The file cannot be read as sales; ``errors`` says where and why."""

    def __init__(self, message: str, errors: Sequence[RowError] = ()) -> None:
        self.errors = list(errors)
        shown = "\n".join(f"  - {error}" for error in self.errors[:MAX_REPORTED_ERRORS])
        more = len(self.errors) - MAX_REPORTED_ERRORS
        tail = f"\n  … y {more} errores más" if more > 0 else ""
        super().__init__(message + (f"\n{shown}{tail}" if shown else ""))


@dataclass(frozen=True, slots=True)
class SalesColumns:
    """Which CSV columns hold what; only date and SKU are required."""

    date: str
    sku: str
    quantity: str | None = None
    unit_price: str | None = None
    store: str | None = None

    def required(self) -> list[str]:
        return [name for name in (self.date, self.sku, self.quantity, self.unit_price, self.store) if name]


@dataclass(slots=True)
class SalesTable:
    """Validated sales: parallel lists, one entry per input row kept."""

    dates: list[dt.date] = field(default_factory=list)
    skus: list[str] = field(default_factory=list)
    quantities: list[Decimal] = field(default_factory=list)
    unit_prices: list[Decimal | None] = field(default_factory=list)
    stores: list[str | None] = field(default_factory=list)
    duplicates_dropped: int = 0
    returns: int = 0

    def __len__(self) -> int:
        return len(self.dates)

    def to_frame(self) -> Any:
        """A pandas DataFrame with columns date, sku, quantity (float), unit_price (float), store."""
        import pandas as pd

        return pd.DataFrame(
            {
                "date": pd.to_datetime(self.dates),
                "sku": self.skus,
                "quantity": [float(q) for q in self.quantities],
                "unit_price": [float(p) if p is not None else float("nan") for p in self.unit_prices],
                "store": self.stores,
            }
        )


def _parse_date(text: str, date_format: str | None) -> dt.date:
    value = text.strip()
    if date_format:
        return dt.datetime.strptime(value, date_format).date()
    head = value[:10]
    try:
        return dt.date.fromisoformat(head)
    except ValueError:
        pass
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%Y", "%Y%m%d", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(value.split(" ")[0], fmt).date()
        except ValueError:
            continue
    raise ValueError("fecha no reconocida (se acepta AAAA-MM-DD o dd/mm/aaaa)")


def _sniff_dialect(sample: str, delimiter: str | None) -> str:
    if delimiter:
        return delimiter
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_sales_csv(
    source: str | Path | bytes,
    columns: SalesColumns,
    *,
    date_format: str | None = None,
    number_format: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    allow_negative: bool = True,
    drop_duplicates: bool = False,
) -> SalesTable:
    """Parse a sales CSV; raise :class:`SalesCsvError` listing every bad row, or return all rows."""
    from minimarket.domain.numbers import detect_number_format, parse_amount

    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    if not raw.strip():
        raise SalesCsvError("El archivo de ventas está vacío.")
    text = _decode(raw, encoding)
    dialect_delimiter = _sniff_dialect(text[:20_000], delimiter)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=dialect_delimiter)
    header = [name.strip() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [name for name in columns.required() if name not in header]
    if missing:
        raise SalesCsvError(
            f"Faltan columnas {missing} en el archivo; columnas encontradas: {header}. "
            "Indique los nombres con --date-col, --sku-col, --qty-col, --price-col, --store-col."
        )
    rows = list(reader)
    if not rows:
        raise SalesCsvError("El archivo de ventas no tiene filas además del encabezado.")

    numeric_samples = [
        row.get(name) or "" for row in rows[:2000] for name in (columns.quantity, columns.unit_price) if name
    ]
    fmt = number_format or detect_number_format(numeric_samples) or "ar"

    table = SalesTable()
    errors: list[RowError] = []
    seen: set[tuple[str, ...]] = set()
    for offset, row in enumerate(rows):
        line = offset + 2
        if None in row:
            errors.append(RowError(line, "*", str(row[None]), "la fila tiene más campos que el encabezado"))
            continue
        key = tuple((row.get(name) or "").strip() for name in columns.required())
        if drop_duplicates:
            if key in seen:
                table.duplicates_dropped += 1
                continue
            seen.add(key)
        row_errors: list[RowError] = []
        date_text = (row.get(columns.date) or "").strip()
        try:
            date = _parse_date(date_text, date_format)
        except ValueError as exc:
            row_errors.append(RowError(line, columns.date, date_text, str(exc)))
        sku = (row.get(columns.sku) or "").strip()
        if not sku:
            row_errors.append(RowError(line, columns.sku, sku, "SKU vacío"))
        quantity = Decimal(1)
        if columns.quantity:
            qty_text = (row.get(columns.quantity) or "").strip()
            try:
                quantity = parse_amount(qty_text, fmt)  # type: ignore[arg-type]
                if quantity < 0 and not allow_negative:
                    row_errors.append(RowError(line, columns.quantity, qty_text, "cantidad negativa"))
            except ValueError:
                row_errors.append(RowError(line, columns.quantity, qty_text, "no es un número"))
        price: Decimal | None = None
        if columns.unit_price:
            price_text = (row.get(columns.unit_price) or "").strip()
            if price_text:
                try:
                    price = parse_amount(price_text, fmt)  # type: ignore[arg-type]
                    if price < 0:
                        row_errors.append(RowError(line, columns.unit_price, price_text, "precio negativo"))
                except ValueError:
                    row_errors.append(RowError(line, columns.unit_price, price_text, "no es un número"))
        store = (row.get(columns.store) or "").strip() if columns.store else None
        if row_errors:
            errors.extend(row_errors)
            continue
        table.dates.append(date)
        table.skus.append(sku)
        table.quantities.append(quantity)
        table.unit_prices.append(price)
        table.stores.append(store or None)
        if quantity < 0:
            table.returns += 1
    if errors:
        raise SalesCsvError(f"{len(errors)} errores en el archivo de ventas; no se importó nada.", errors)
    return table


def _decode(raw: bytes, encoding: str | None) -> str:
    if encoding:
        return raw.decode(encoding)
    for candidate in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(candidate)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


QUANTITY_NAMES = ("quantity", "qty", "cantidad", "cant", "unidades", "units", "unit_sales", "sales_units")
"""Column names that mean "units sold" (compared case-insensitively, spaces and dashes as '_')."""


def read_header(source: str | Path | bytes, *, delimiter: str | None = None, encoding: str | None = None) -> list[str]:
    """The column names of a sales CSV (same decoding and delimiter sniffing as :func:`read_sales_csv`)."""
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    text = _decode(raw[:65_536], encoding) if raw else ""
    first = text.splitlines()[0] if text.strip() else ""
    row = next(csv.reader([first], delimiter=_sniff_dialect(text[:20_000], delimiter)), [])
    return [name.strip() for name in row]


def guess_quantity_column(header: Sequence[str]) -> str | None:
    """The header's column named like a quantity (``quantity``, ``cantidad``, ``unidades`` …), if any."""
    for name in header:
        if name.strip().lower().replace(" ", "_").replace("-", "_") in QUANTITY_NAMES:
            return name
    return None
