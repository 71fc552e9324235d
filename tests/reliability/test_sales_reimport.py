"""Defects 1, 4 and 8 for sales: the same sales are recognised by content (not bytes), --only-new stores just the
new rows, racing imports store one copy and the loser gets the sequential message, big files stream."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from minimarket.cli import app
from minimarket.sales_csv import SalesColumns, iter_sales_csv, scan_file
from minimarket.store.db import session_scope
from minimarket.store.models import Sale, SalesImport, StockMovement
from minimarket.store.sales import AlreadyImported, import_sales
from tests.reliability.parallel import at_once

runner = CliRunner()
ROWS = [
    ("2026-10-01", "YER-0001", "2", "5400.00"),
    ("2026-10-01", "YER-0001", "2", "5400.00"),
    ("2026-10-02", "LEC-0002", "3", "1250.50"),
    ("2026-10-02", "LEC-0002", "-3", "1250.50"),
]
ARGS = ["--date-col", "fecha", "--sku-col", "sku", "--qty-col", "cant", "--price-col", "precio"]


def _write(
    path: Path,
    rows: list[tuple[str, ...]],
    *,
    sep: str = ",",
    eol: str = "\n",
    order: tuple[int, ...] = (0, 1, 2, 3),
    ar: bool = False,
    trailing: str = "",
) -> Path:
    header = ["fecha", "sku", "cant", "precio"]
    lines = [sep.join(header[i] for i in order)]
    for row in rows:
        cells = list(row)
        if ar:
            day = cells[0].split("-")
            cells[0] = f"{day[2]}/{day[1]}/{day[0]}"
            cells[3] = cells[3].replace(".", ",")
        lines.append(sep.join(cells[i] for i in order))
    path.write_bytes((eol.join(lines) + eol + trailing).encode())
    return path


def _import(path: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(app, ["sales", "import", str(path), *ARGS, *extra])
    return result.exit_code, result.output


def _counts() -> tuple[int, Decimal, int]:
    with session_scope() as session:
        sales = session.scalar(select(func.count(Sale.id))) or 0
        stock = sum((m.quantity for m in session.scalars(select(StockMovement))), Decimal(0))
        imports = session.scalar(select(func.count(SalesImport.id))) or 0
    return int(sales), stock, int(imports)


@pytest.mark.parametrize(
    "variant",
    [
        {"eol": "\r\n"},
        {"trailing": "\n\n"},
        {"sep": ";"},
        {"order": (2, 0, 3, 1)},
        {"sep": ";", "ar": True, "eol": "\r\n"},
    ],
    ids=["crlf", "trailing-newlines", "semicolons", "reordered-columns", "argentine-format"],
)
def test_the_same_sales_in_other_bytes_are_refused_naming_the_earlier_import(tmp_path: Path, variant: dict) -> None:
    code, output = _import(_write(tmp_path / "ventas.csv", ROWS))
    assert code == 0, output
    before = _counts()
    assert before == (4, Decimal("-4"), 1)

    code, output = _import(_write(tmp_path / "otra.csv", ROWS, **variant))
    assert code == 1 and "ya fueron importadas" in output and "ventas.csv" in output, output
    assert "Traceback" not in output
    assert _counts() == before, "nothing imported twice, the stock does not double"


def test_a_file_with_old_and_new_rows_is_refused_unless_only_new(tmp_path: Path) -> None:
    _import(_write(tmp_path / "octubre-1.csv", ROWS[:2]))
    more = [*ROWS[:2], ("2026-10-03", "YER-0001", "1", "5400.00"), ROWS[1]]  # the same line a third time is a sale
    path = _write(tmp_path / "octubre-1-y-2.csv", more)
    code, output = _import(path)
    assert code == 1 and "2 de 4 filas ya fueron importadas" in output and "--only-new" in output
    code, output = _import(path, "--only-new")
    assert code == 0, output
    result = json.loads(output)
    assert (result["rows"], result["skipped"]) == (2, 2)
    assert _counts() == (4, Decimal("-7"), 2)
    code, output = _import(path, "--only-new")
    assert code == 1 and "ya fueron importadas" in output


def _parallel_imports(tmp_path: Path, rows: list[tuple[str, ...]], variants: list[dict]) -> list[object]:
    paths = [_write(tmp_path / f"copia-{i}.csv", rows, **v) for i, v in enumerate(variants)]
    columns = SalesColumns(date="fecha", sku="sku", quantity="cant", unit_price="precio")

    def run(i: int) -> int:
        with session_scope() as session:
            stream = iter_sales_csv(paths[i], columns)
            return import_sales(session, stream, batch=scan_file(paths[i])[1], source_file=paths[i].name).rows

    return at_once(run, len(paths))  # type: ignore[return-value]


@pytest.mark.parametrize("rows", [ROWS, [ROWS[2], ROWS[3]]], ids=["with-stock-movements", "rows-netting-to-zero"])
def test_parallel_imports_of_the_same_sales_store_one_copy(tmp_path: Path, rows: list[tuple[str, ...]]) -> None:
    outcomes = _parallel_imports(tmp_path, rows, [{}, {}, {"sep": ";"}, {"eol": "\r\n"}])
    winners = [o for o in outcomes if o.ok]  # type: ignore[attr-defined]
    losers = [o.error for o in outcomes if not o.ok]  # type: ignore[attr-defined]
    assert len(winners) == 1 and len(losers) == 3
    assert all(isinstance(e, AlreadyImported) and "ya fueron importadas" in str(e) for e in losers), losers
    sales, _stock, imports = _counts()
    assert (sales, imports) == (len(rows), 1)


@pytest.mark.postgres
def test_parallel_imports_on_postgresql_store_one_copy(tmp_path: Path, pg_database: str) -> None:
    outcomes = _parallel_imports(tmp_path, [ROWS[2], ROWS[3]], [{}, {"sep": ";"}, {"order": (1, 0, 2, 3)}])
    losers = [o.error for o in outcomes if not o.ok]  # type: ignore[attr-defined]
    assert len(losers) == 2 and all(isinstance(e, AlreadyImported) for e in losers), losers
    assert _counts()[0] == 2
