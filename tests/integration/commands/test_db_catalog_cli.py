"""`minimarket db` and `minimarket catalog` against a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from minimarket.cli import app
from minimarket.store.db import session_scope
from minimarket.store.models import Product, Supplier

runner = CliRunner()


def test_db_upgrade_then_status_at_head(isolated_state: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "revision" in result.output
    status = json.loads(runner.invoke(app, ["db", "status"]).output)
    assert status["revision"] == status["head"]
    assert (isolated_state / "minimarket.db").is_file()


def test_db_upgrade_unreachable_postgres_is_a_clear_error() -> None:
    result = runner.invoke(app, ["db", "upgrade", "--url", "postgresql+psycopg://nobody@127.0.0.1:1/x"])
    assert result.exit_code == 1
    assert "cannot reach the database" in result.output
    assert "Traceback" not in result.output


def test_bundled_catalog_import_is_idempotent() -> None:
    first = runner.invoke(app, ["catalog", "import"])
    assert first.exit_code == 0, first.output
    counts = json.loads(first.output)
    assert counts["products_added"] >= 250 and counts["suppliers_added"] >= 10
    second = json.loads(runner.invoke(app, ["catalog", "import"]).output)
    assert second["products_added"] == 0 and second["products_updated"] == counts["products_added"]
    with session_scope() as session:
        assert session.scalar(select(func.count(Product.id))) == counts["products_added"]
        assert session.scalar(select(func.count(Supplier.id))) == counts["suppliers_added"]
        orphan = session.scalar(select(func.count(Product.id)).where(Product.supplier_id.is_(None)))
    assert orphan == 0


def test_bad_catalog_rows_are_listed_and_nothing_is_imported(tmp_path: Path) -> None:
    bundled = Path(__file__).resolve().parents[3] / "data" / "raw" / "catalog" / "products.csv"
    lines = bundled.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    bad = lines[1].split(",")
    bad[header.index("ean")] = "7791234567890"  # wrong check digit
    path = tmp_path / "products.csv"
    path.write_text("\n".join([lines[0], ",".join(bad), lines[2]]) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["catalog", "import", str(path)])
    assert result.exit_code == 1
    assert "ean" in result.output and "2" in result.output
    assert "Traceback" not in result.output
    with session_scope() as session:
        assert session.scalar(select(func.count(Product.id))) == 0
