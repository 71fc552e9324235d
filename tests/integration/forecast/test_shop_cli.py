"""`minimarket stock alerts/policies` and `prices suggest` with the per-category policies file and overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minimarket.cli import app

runner = CliRunner()


@pytest.fixture
def shop_with_sales(tmp_path: Path) -> Path:
    """The bundled catalog and 60 days of synthetic sales of its first 40 products (Yerba, Almacén)."""
    assert runner.invoke(app, ["catalog", "import"]).exit_code == 0
    sales = tmp_path / "ventas.csv"
    assert runner.invoke(app, ["demand", "synth", "--out", str(sales), "--days", "60", "--skus", "40"]).exit_code == 0
    imported = runner.invoke(app, ["sales", "import", str(sales)])
    assert imported.exit_code == 0, imported.output
    return tmp_path


def _levels(*args: str) -> dict[str, set[float]]:
    result = runner.invoke(app, ["stock", "alerts", "--all", "--json", *args])
    assert result.exit_code == 0, result.output
    items = [item for order in json.loads(result.stdout)["suppliers"] for item in order["items"]]
    out: dict[str, set[float]] = {}
    for item in items:
        out.setdefault(item["category"], set()).add(item["service_level"])
    return out


def test_service_levels_come_from_the_policies_file_and_flags_override(shop_with_sales: Path) -> None:
    assert _levels() == {"Yerba e infusiones": {0.97}, "Almacén": {0.95}}
    assert _levels("--service-level", "Yerba e infusiones=0.8")["Yerba e infusiones"] == {0.8}
    own = shop_with_sales / "politicas.csv"
    own.write_text("category,service_level,markup_pct\nAlmacén,0.6,20\n", encoding="utf-8")
    assert _levels("--policies", str(own), "--default-service-level", "0.9") == {
        "Yerba e infusiones": {0.9},
        "Almacén": {0.6},
    }


def test_policies_command_and_bad_overrides() -> None:
    shown = runner.invoke(app, ["stock", "policies"])
    assert shown.exit_code == 0
    assert json.loads(shown.stdout)["markups_pct"]["Cigarrillos"] == "12.00"
    bad = runner.invoke(app, ["stock", "alerts", "--service-level", "Lácteos=2"])
    assert bad.exit_code == 2 and "[0.5, 1)" in bad.output and "Traceback" not in bad.output
    bad_markup = runner.invoke(app, ["prices", "suggest", "--markup", "Lácteos"])
    assert bad_markup.exit_code == 2 and "CATEGORY=VALUE" in bad_markup.output
    missing = runner.invoke(app, ["stock", "policies", "--policies", "/nonexistent.csv"])
    assert missing.exit_code == 2 and "not found" in missing.output


def test_prices_before_any_invoice_use_the_catalog_cost_and_say_so() -> None:
    assert runner.invoke(app, ["catalog", "import"]).exit_code == 0
    result = runner.invoke(app, ["prices", "suggest", "--json", "--markup", "Almacén=30"])
    assert result.exit_code == 0, result.output
    by_sku = {row["sku"]: row for row in json.loads(result.stdout)["suggestions"]}
    fideos = by_sku["ALM-0001"]
    assert fideos["cost_source"] == "catalog" and fideos["invoice"] is None
    expected_floor = float(fideos["latest_cost"]) * 1.30 * 1.21  # markup and VAT, before expected inflation
    assert expected_floor <= float(fideos["suggested_price"]) < expected_floor * 1.05
