"""Defect 3: implausible catalog and sales values are refused at import, and one bad stored row does not break
a shop's reports."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from typer.testing import CliRunner

from minimarket.cli import app
from minimarket.sales_csv import SalesColumns, SalesCsvError, read_sales_csv
from minimarket.store.db import session_scope
from minimarket.store.models import Product, Sale

runner = CliRunner()
COLS = SalesColumns(date="date", sku="sku", quantity="qty", unit_price="price")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("2025-03-04garbage,A,1,10", "fecha no reconocida"),
        ("0001-01-01,A,1,10", "no es plausible"),
        ("9999-12-31,A,1,10", "no es plausible"),
        ("2025-03-04,A,123456789012345678901234567890,10", "no es plausible"),
        ("2025-03-04,A,1,100000000000000000000000000000000", "no es plausible"),
        ("2025-03-04,A,1,0.00000001", "decimales"),
        ("2025-03-04," + "S" * 5000 + ",1,10", "de 1 a 64 caracteres"),
        ("2025-03-04,\x1b[31mROJO,1,10", "imprimibles"),
    ],
)
def test_implausible_sales_rows_are_refused(row: str, message: str) -> None:
    with pytest.raises(SalesCsvError, match=message):
        read_sales_csv(f"date,sku,qty,price\n{row}\n".encode(), COLS)


def test_a_date_with_a_time_is_still_a_date() -> None:
    table = read_sales_csv(b"date,sku,qty,price\n2025-03-04 10:22:05,A,1,10\n04/03/2025 10:22,A,1,10\n", COLS)
    assert [d.isoformat() for d in table.dates] == ["2025-03-04", "2025-03-04"]


def _catalog(tmp_path: Path, cost: str, ean: str = "", sku: str = "YER-9") -> Path:
    path = tmp_path / "productos.csv"
    path.write_text(f"sku,name,cost,ean,category\n{sku},Yerba,{cost},{ean},Almacén\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("cost", "message"), [("1e32", "no es un número"), ("1" + "0" * 32, "no es plausible")])
def test_an_absurd_catalog_cost_is_refused(tmp_path: Path, cost: str, message: str) -> None:
    result = runner.invoke(app, ["catalog", "import", str(_catalog(tmp_path, cost))])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_a_bad_stored_row_does_not_break_the_shops_prices_or_alerts() -> None:
    assert runner.invoke(app, ["catalog", "import"]).exit_code == 0
    with session_scope() as session:  # a row written before the bounds existed (or by hand)
        session.execute(
            Product.__table__.update().where(Product.sku == "YER-0001").values(cost=Decimal("1" + "0" * 32))
        )
        shop_id = session.info["shop_id"]
        session.execute(
            insert(Sale),
            [
                {
                    "shop_id": shop_id,
                    "date": __import__("datetime").date(2026, 11, 30),
                    "sku": "YER-0001",
                    "quantity": Decimal("2"),
                    "unit_price": None,
                }
            ],
        )
        assert session.scalars(select(Product.cost).where(Product.sku == "YER-0001")).one() > 10**30
    prices = runner.invoke(app, ["prices", "suggest", "--json"])
    assert prices.exit_code == 0, prices.output
    report = json.loads(prices.stdout)
    assert [s["sku"] for s in report["skipped"]] == ["YER-0001"]
    assert len(report["suggestions"]) > 100, "the other products are still priced"
    alerts = runner.invoke(app, ["stock", "alerts", "--json"])
    assert alerts.exit_code == 0, alerts.output
