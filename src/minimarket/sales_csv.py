"""Read point-of-sale exports (any CSV) into clean sales rows, or explain exactly what is wrong.

Used by ``minimarket sales import`` (into the store) and by the demand backtest on arbitrary CSVs, so
both accept the same files and report the same errors. The file is read as a stream (:func:`iter_sales_csv`):
memory does not grow with its size. Nothing is returned partially: every row is valid, or
:class:`SalesCsvError` lists the bad rows (row number as in the file, column, why) — a caller that stored rows
as they came rolls its transaction back.

Decisions (documented for users):
- Without a quantity column each row is one unit sold (a transaction log).
- Negative quantities are returns and are kept (they lower the day's net sales) unless
  ``allow_negative=False``.
- Fully duplicated rows are kept: a POS log legitimately repeats identical lines; ``drop_duplicates``
  removes them when the export is known to duplicate (it remembers every row: memory grows with the file).
- Dates: ISO ``YYYY-MM-DD`` (optionally with a time) first; otherwise day-first (``dd/mm/aaaa``), as Argentine
  POS export them, unless ``date_format`` is given. Anything after the date other than a time is refused.
- Plausible values only (:mod:`minimarket.domain.bounds`): dates from 1990 to tomorrow, quantities up to a
  million, prices up to 10^12, SKUs of 1 to 64 printable characters.
- Numbers: Argentine or US format, decided per file from the unambiguous values of its first rows
  (:func:`minimarket.domain.numbers.parse_amount`).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from minimarket.domain.bounds import OutOfBounds, check_date, check_money, check_quantity

MAX_REPORTED_ERRORS = 20
MAX_KEPT_ERRORS = 1000
"""Errors remembered (and counted beyond): a file of a million bad rows does not fill the memory."""
MAX_FIELD_CHARS = 128 * 1024
"""A CSV field longer than this is no sales data (the csv module's own limit)."""
MAX_SKU_CHARS = 64
SAMPLE_ROWS = 2000
"""Rows read ahead to decide the file's number format."""
_CHUNK = 1 << 20
_PLAIN_NUMBER = {
    "ar": re.compile(r"-?[0-9]{1,15}(?:,[0-9]{1,6})?"),
    "us": re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,6})?"),
}
"""Digits with at most the file's decimal separator: read directly (the same value parse_amount gives)."""


def _number(text: str, fmt: str, parse_amount: Any) -> Decimal:
    plain = _PLAIN_NUMBER.get(fmt)
    if plain is not None and plain.fullmatch(text):
        return Decimal(text.replace(",", "."))
    return Decimal(parse_amount(text, fmt))


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one cell: ``row`` is the 1-based line number in the file (header = 1)."""

    row: int
    column: str
    value: str
    why: str

    def __str__(self) -> str:
        value = self.value if len(self.value) <= 80 else self.value[:80] + "…"
        return f"fila {self.row}, columna {self.column!r} = {value!r}: {self.why}"


class SalesCsvError(ValueError):
    """The file cannot be read as sales; ``errors`` says where and why (``count`` errors in all)."""

    def __init__(self, message: str, errors: Sequence[RowError] = (), count: int | None = None) -> None:
        self.errors = list(errors)
        self.count = count if count is not None else len(self.errors)
        shown = "\n".join(f"  - {error}" for error in self.errors[:MAX_REPORTED_ERRORS])
        more = self.count - min(len(self.errors), MAX_REPORTED_ERRORS)
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


@dataclass(frozen=True, slots=True)
class SaleRow:
    """One valid sale: ``line`` is its line number in the file."""

    line: int
    date: dt.date
    sku: str
    quantity: Decimal
    unit_price: Decimal | None
    store: str | None = None

    def fingerprint(self) -> str:
        """The row's content (date, SKU, quantity, price) as a stable digest: the same sale in any file, with any
        delimiter, line ends, column order or number format, has the same fingerprint."""
        price = "" if self.unit_price is None else format(self.unit_price.normalize(), "f")
        text = f"{self.date.isoformat()}|{self.sku}|{format(self.quantity.normalize(), 'f')}|{price}"
        return hashlib.sha256(text.encode()).hexdigest()[:40]


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

    def rows(self) -> Iterator[SaleRow]:
        """The table's rows (numbered as lines 2, 3... of a file with a header)."""
        for index, (date, sku, quantity, price, store) in enumerate(
            zip(self.dates, self.skus, self.quantities, self.unit_prices, self.stores, strict=True), start=2
        ):
            yield SaleRow(index, date, sku, quantity, price, store)

    def append(self, row: SaleRow) -> None:
        self.dates.append(row.date)
        self.skus.append(row.sku)
        self.quantities.append(row.quantity)
        self.unit_prices.append(row.unit_price)
        self.stores.append(row.store)
        if row.quantity < 0:
            self.returns += 1

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
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(value).date()  # with a time: 2025-03-04 10:22 or 2025-03-04T10:22:05
    except ValueError:
        pass
    day = value.split(" ")[0]
    rest = value[len(day) :].strip()
    if rest and not _is_time(rest):
        raise ValueError("fecha no reconocida (se acepta AAAA-MM-DD o dd/mm/aaaa, con hora opcional)")
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%Y", "%Y%m%d", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(day, fmt).date()
        except ValueError:
            continue
    raise ValueError("fecha no reconocida (se acepta AAAA-MM-DD o dd/mm/aaaa, con hora opcional)")


def _is_time(text: str) -> bool:
    for fmt in ("%H:%M", "%H:%M:%S"):
        try:
            dt.datetime.strptime(text, fmt)
            return True
        except ValueError:
            continue
    return False


def check_delimiter(delimiter: str | None) -> str | None:
    """``delimiter`` if it is one usable character; SalesCsvError otherwise."""
    if delimiter is None:
        return None
    if len(delimiter) != 1 or delimiter in '\r\n"' or (not delimiter.isprintable() and delimiter != "\t"):
        raise SalesCsvError(
            f"separador {delimiter[:10]!r} inválido: use un solo carácter, por ejemplo ',' ';' '|' o una tabulación"
        )
    return delimiter


def check_encoding(encoding: str | None) -> str | None:
    """``encoding`` if Python knows it as a text encoding; SalesCsvError otherwise."""
    if encoding is None:
        return None
    try:
        info = codecs.lookup(encoding)
    except (LookupError, ValueError):
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise SalesCsvError(f"codificación {encoding[:40]!r} desconocida: use utf-8, latin-1 o cp1252")
    return info.name


def _binary(source: str | Path | bytes) -> IO[bytes]:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    try:
        return Path(source).open("rb")
    except OSError as exc:
        raise SalesCsvError(f"no se puede leer el archivo {source}: {exc.strerror or exc}") from None


def scan_file(source: str | Path | bytes, encoding: str | None = None) -> tuple[str, str, bool]:
    """(encoding, sha256 of the bytes, whether it holds anything but blanks), reading it once in chunks."""
    decoders = {name: codecs.getincrementaldecoder(name)() for name in ("utf-8-sig", "cp1252")}
    failed: set[str] = set()
    digest = hashlib.sha256()
    content = False
    with _binary(source) as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            content = content or bool(chunk.strip())
            for name, decoder in decoders.items():
                if name in failed:
                    continue
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    failed.add(name)
    for name, decoder in decoders.items():
        if name not in failed:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                failed.add(name)
    chosen = encoding or next((n for n in ("utf-8-sig", "cp1252") if n not in failed), "latin-1")
    return chosen, digest.hexdigest(), content


@contextmanager
def _text(source: str | Path | bytes, encoding: str) -> Iterator[IO[str]]:
    binary = _binary(source)
    try:
        yield io.TextIOWrapper(binary, encoding=encoding, errors="strict", newline="")
    finally:
        binary.close()


def _sniff(stream: IO[str], delimiter: str | None) -> str:
    if delimiter:
        return delimiter
    sample = stream.read(20_000)
    stream.seek(0)
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


@dataclass(slots=True)
class _Errors:
    kept: list[RowError] = field(default_factory=list)
    count: int = 0

    def add(self, error: RowError) -> None:
        self.count += 1
        if len(self.kept) < MAX_KEPT_ERRORS:
            self.kept.append(error)


def iter_sales_csv(
    source: str | Path | bytes,
    columns: SalesColumns,
    *,
    date_format: str | None = None,
    number_format: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    allow_negative: bool = True,
    drop_duplicates: bool = False,
    stats: SalesTable | None = None,
) -> Iterator[SaleRow]:
    """Yield every valid row of a sales CSV as it is read; after the last one raise :class:`SalesCsvError` if any
    row was bad (the caller discards what it kept). ``stats`` (optional) counts returns and dropped duplicates."""
    from minimarket.domain.numbers import detect_number_format, parse_amount

    delimiter = check_delimiter(delimiter)
    encoding = check_encoding(encoding)
    if number_format not in (None, "ar", "us"):
        raise SalesCsvError("formato de números inválido: use 'ar' (1.234,56) o 'us' (1,234.56)")
    chosen, _digest, content = scan_file(source, encoding)
    if not content:
        raise SalesCsvError("El archivo de ventas está vacío.")
    errors = _Errors()
    seen: set[str] = set()
    counts = stats if stats is not None else SalesTable()
    try:
        with _text(source, chosen) as stream:
            reader = csv.reader(stream, delimiter=_sniff(stream, delimiter))
            header = [name.strip() for name in next(reader, [])]
            missing = [name for name in columns.required() if name not in header]
            if missing:
                raise SalesCsvError(
                    f"Faltan columnas {missing} en el archivo; columnas encontradas: {[h[:40] for h in header[:30]]}. "
                    "Indique los nombres con --date-col, --sku-col, --qty-col, --price-col, --store-col."
                )
            index = {name: header.index(name) for name in columns.required()}
            sample: list[tuple[int, list[str]]] = []
            for cells in reader:
                sample.append((reader.line_num, cells))
                if len(sample) >= SAMPLE_ROWS:
                    break
            if not sample:
                raise SalesCsvError("El archivo de ventas no tiene filas además del encabezado.")
            numeric = [
                cells[index[name]]
                for _, cells in sample
                for name in (columns.quantity, columns.unit_price)
                if name and index[name] < len(cells)
            ]
            fmt = number_format or detect_number_format(numeric) or "ar"

            def rows() -> Iterator[tuple[int, list[str]]]:
                yield from sample
                for cells in reader:
                    yield reader.line_num, cells

            for line, cells in rows():
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) > len(header):
                    errors.add(
                        RowError(
                            line, "*", ",".join(cells[len(header) :])[:80], "la fila tiene más campos que el encabezado"
                        )
                    )
                    continue
                values = {name: (cells[i].strip() if i < len(cells) else "") for name, i in index.items()}
                if drop_duplicates:
                    key = "\x1f".join(values[name] for name in columns.required())
                    if key in seen:
                        counts.duplicates_dropped += 1
                        continue
                    seen.add(key)
                row = _row(line, values, columns, date_format, fmt, allow_negative, parse_amount, errors)
                if row is not None:
                    if row.quantity < 0:
                        counts.returns += 1
                    yield row
    except csv.Error as exc:
        line = getattr(reader, "line_num", 0) if "reader" in locals() else 0
        why = str(exc)
        if "field larger than field limit" in why:
            why = f"un campo tiene más de {MAX_FIELD_CHARS // 1024} kB; no es un archivo de ventas"
        raise SalesCsvError(f"El archivo no se puede leer como CSV cerca de la fila {line + 1}: {why}.") from None
    except UnicodeDecodeError as exc:
        raise SalesCsvError(
            f"El archivo no está en la codificación {chosen}: {exc.reason}; indique otra con --encoding"
        ) from None
    if errors.count:
        raise SalesCsvError(
            f"{errors.count} errores en el archivo de ventas; no se importó nada.", errors.kept, errors.count
        )


def _row(
    line: int,
    values: dict[str, str],
    columns: SalesColumns,
    date_format: str | None,
    fmt: str,
    allow_negative: bool,
    parse_amount: Any,
    errors: _Errors,
) -> SaleRow | None:
    before = errors.count
    date_text = values[columns.date]
    date = None
    try:
        date = check_date(_parse_date(date_text, date_format), "fecha")
    except OutOfBounds as exc:
        errors.add(RowError(line, columns.date, date_text, str(exc).removeprefix("fecha: ")))
    except ValueError as exc:
        why = str(exc) if "fecha" in str(exc) else f"no coincide con el formato {date_format}"
        errors.add(RowError(line, columns.date, date_text, why))
    sku = values[columns.sku]
    if not sku:
        errors.add(RowError(line, columns.sku, sku, "SKU vacío"))
    elif len(sku) > MAX_SKU_CHARS or not sku.isprintable():
        errors.add(RowError(line, columns.sku, sku, f"el SKU debe tener de 1 a {MAX_SKU_CHARS} caracteres imprimibles"))
    quantity = Decimal(1)
    if columns.quantity:
        qty_text = values[columns.quantity]
        try:
            quantity = _number(qty_text, fmt, parse_amount)
        except ValueError:
            errors.add(RowError(line, columns.quantity, qty_text, "no es un número"))
        else:
            if quantity < 0 and not allow_negative:
                errors.add(RowError(line, columns.quantity, qty_text, "cantidad negativa"))
            else:
                try:
                    check_quantity(quantity, "cantidad", negative=True, zero=True)
                except OutOfBounds as exc:
                    errors.add(RowError(line, columns.quantity, qty_text, str(exc).removeprefix("cantidad: ")))
    price: Decimal | None = None
    if columns.unit_price:
        price_text = values[columns.unit_price]
        if price_text:
            try:
                price = _number(price_text, fmt, parse_amount)
            except ValueError:
                errors.add(RowError(line, columns.unit_price, price_text, "no es un número"))
            else:
                if price < 0:
                    errors.add(RowError(line, columns.unit_price, price_text, "precio negativo"))
                else:
                    try:
                        check_money(price, "precio")
                        check_quantity(price or Decimal(1), "precio")  # at most 6 decimals
                    except OutOfBounds as exc:
                        errors.add(RowError(line, columns.unit_price, price_text, str(exc).removeprefix("precio: ")))
    store = values[columns.store] if columns.store else None
    if errors.count > before or date is None:
        return None
    return SaleRow(line, date, sku, quantity, price, store or None)


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
    """Parse a whole sales CSV into memory (backtests); raise :class:`SalesCsvError` listing every bad row."""
    table = SalesTable()
    for row in iter_sales_csv(
        source,
        columns,
        date_format=date_format,
        number_format=number_format,
        delimiter=delimiter,
        encoding=encoding,
        allow_negative=allow_negative,
        drop_duplicates=drop_duplicates,
        stats=table,
    ):
        table.dates.append(row.date)
        table.skus.append(row.sku)
        table.quantities.append(row.quantity)
        table.unit_prices.append(row.unit_price)
        table.stores.append(row.store)
    return table


QUANTITY_NAMES = ("quantity", "qty", "cantidad", "cant", "unidades", "units", "unit_sales", "sales_units")
"""Column names that mean "units sold" (compared case-insensitively, spaces and dashes as '_')."""


def read_header(source: str | Path | bytes, *, delimiter: str | None = None, encoding: str | None = None) -> list[str]:
    """The column names of a sales CSV (same decoding and delimiter sniffing as :func:`iter_sales_csv`)."""
    chosen = encoding or scan_file(source)[0]
    with _text(source, chosen) as stream:
        row = next(csv.reader(stream, delimiter=_sniff(stream, delimiter)), [])
    return [name.strip() for name in row]


def guess_quantity_column(header: Sequence[str]) -> str | None:
    """The header's column named like a quantity (``quantity``, ``cantidad``, ``unidades`` …), if any."""
    for name in header:
        if name.strip().lower().replace(" ", "_").replace("-", "_") in QUANTITY_NAMES:
            return name
    return None
