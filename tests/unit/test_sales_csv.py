"""The POS export reader: formats, decisions and errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from minimarket.sales_csv import SalesColumns, SalesCsvError, read_sales_csv

COLS = SalesColumns(date="date", sku="sku", quantity="qty", unit_price="price")


def test_ar_format_with_semicolons_and_day_first_dates() -> None:
    table = read_sales_csv(b"date;sku;qty;price\n05/01/2026;A;1,5;1.234,50\n", COLS)
    assert table.dates == [dt.date(2026, 1, 5)]
    assert table.quantities == [Decimal("1.5")] and table.unit_prices == [Decimal("1234.50")]


def test_us_format_file() -> None:
    table = read_sales_csv(b'date,sku,qty,price\n2026-01-05,A,2,"1,234.50"\n2026-01-06,B,1,10.25\n', COLS)
    assert table.unit_prices == [Decimal("1234.50"), Decimal("10.25")]


def test_negative_quantities_are_returns_unless_refused() -> None:
    raw = b"date,sku,qty,price\n2026-01-05,A,-1,10\n"
    assert read_sales_csv(raw, COLS).returns == 1
    with pytest.raises(SalesCsvError, match="cantidad negativa"):
        read_sales_csv(raw, COLS, allow_negative=False)


def test_duplicates_kept_by_default_dropped_on_request() -> None:
    raw = b"date,sku,qty,price\n2026-01-05,A,1,10\n2026-01-05,A,1,10\n"
    assert len(read_sales_csv(raw, COLS)) == 2
    table = read_sales_csv(raw, COLS, drop_duplicates=True)
    assert len(table) == 1 and table.duplicates_dropped == 1


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "vacío"),
        (b"date,sku,qty,price\n", "no tiene filas"),
        (b"fecha,sku\n2026-01-01,A\n", "Faltan columnas"),
        (b"date,sku,qty,price\nayer,A,1,1\n", "fila 2, columna 'date'"),
        (b"date,sku,qty,price\n2026-01-01,A,uno,1\n", "no es un número"),
        (b"date,sku,qty,price\n2026-01-01,A,1,1,extra\n", "más campos"),
    ],
)
def test_bad_files_say_what_and_where(raw: bytes, message: str) -> None:
    with pytest.raises(SalesCsvError, match=message):
        read_sales_csv(raw, COLS)


def test_latin1_file_is_decoded() -> None:
    table = read_sales_csv("date,sku\n2026-01-01,AZÚCAR\n".encode("latin-1"), SalesColumns("date", "sku"))
    assert table.skus == ["AZÚCAR"]
