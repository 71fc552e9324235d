"""Sales import: all rows or none, once per file, with stock-out movements."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from minimarket.cli import app
from minimarket.sales_csv import SalesColumns, read_sales_csv
from minimarket.store.db import session_scope
from minimarket.store.models import Sale, StockMovement
from minimarket.store.sales import AlreadyImported, batch_id, import_sales, sales_frame

runner = CliRunner()

POS = (
    "Fecha;Codigo;Cant;Precio\n"
    "01/10/2026;YER-001;2;5.400,00\n01/10/2026;YER-001;1;5.400,00\n02/10/2026;LEC-002;3;1.250,50\n"
)


def test_import_once_with_daily_stock_out(tmp_path: Path) -> None:
    raw = POS.encode()
    table = read_sales_csv(raw, SalesColumns(date="Fecha", sku="Codigo", quantity="Cant", unit_price="Precio"))
    with session_scope() as session:
        result = import_sales(session, table, batch=batch_id(raw))
    assert result.rows == 3 and result.skus == 2
    with session_scope() as session, pytest.raises(AlreadyImported):
        import_sales(session, table, batch=batch_id(raw))
    with session_scope() as session:
        assert session.scalar(select(func.count(Sale.id))) == 3
        moves = {(m.sku, m.quantity) for m in session.scalars(select(StockMovement))}
        frame = sales_frame(session)
    assert moves == {("YER-001", Decimal("-3")), ("LEC-002", Decimal("-3"))}
    assert frame["quantity"].sum() == 6 and frame["unit_price"].iloc[-1] == 1250.5


def test_cli_import_reports_bad_rows_and_imports_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "ventas.csv"
    bad.write_text("fecha,sku,qty\n2026-10-01,A,1\n2026-13-45,B,2\n2026-10-02,,x\n", encoding="utf-8")
    result = runner.invoke(app, ["sales", "import", str(bad), "--date-col", "fecha", "--qty-col", "qty"])
    assert result.exit_code == 1
    assert "fila 3, columna 'fecha'" in result.output
    assert "fila 4, columna 'sku'" in result.output and "fila 4, columna 'qty'" in result.output
    assert "Traceback" not in result.output
    with session_scope() as session:
        assert session.scalar(select(func.count(Sale.id))) == 0


def test_cli_import_missing_column_names_what_exists(tmp_path: Path) -> None:
    path = tmp_path / "ventas.csv"
    path.write_text("dia,producto\n2026-10-01,A\n", encoding="utf-8")
    result = runner.invoke(app, ["sales", "import", str(path)])
    assert result.exit_code == 1
    assert "Faltan columnas" in result.output and "dia" in result.output


def test_cli_transaction_log_counts_rows_as_units(tmp_path: Path) -> None:
    path = tmp_path / "tickets.csv"
    path.write_text("date,sku\n2026-10-01,A\n2026-10-01,A\n2026-10-01,B\n", encoding="utf-8")
    result = runner.invoke(app, ["sales", "import", str(path)])
    assert result.exit_code == 0, result.output
    with session_scope() as session:
        frame = sales_frame(session)
    assert frame.groupby("sku")["quantity"].sum().to_dict() == {"A": 2.0, "B": 1.0}
