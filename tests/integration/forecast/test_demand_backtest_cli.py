"""`minimarket demand backtest` on a small CSV shaped like a real POS export."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from minimarket.cli import app

runner = CliRunner()


@pytest.fixture
def pos_log(tmp_path: Path) -> Path:
    """Transaction log: ';'-separated, dd/mm/aaaa, two branches, one row per unit, a lone-sale SKU."""
    rng = np.random.default_rng(5)
    lines = ["fecha;codigo;sucursal;cantidad"]
    for day in pd.date_range("2025-03-01", periods=84, freq="D"):
        for store in ("Centro", "Norte"):
            for sku, rate in (("YER-0001", 3), ("GAS-0002", 5), ("LAC-0003", 2)):
                for _ in range(rng.poisson(rate * (1.5 if day.dayofweek == 5 else 1.0))):
                    lines.append(f"{day:%d/%m/%Y};{sku};{store};1")
    lines.append("05/04/2025;YER-0001;Centro;-1")  # a return
    lines.append(lines[1])  # a duplicated row
    lines.append("10/04/2025;RARO-9;Centro;1")  # a SKU sold once
    path = tmp_path / "ventas.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_backtest_json_shape(pos_log: Path) -> None:
    result = runner.invoke(
        app,
        [
            "demand", "backtest", "--sales", str(pos_log), "--date-col", "fecha", "--sku-col", "codigo",
            "--store-col", "sucursal", "--qty-col", "cantidad", "--horizon", "7", "--folds", "2",
            "--models", "global_gbm,seasonal_naive,moving_average", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["horizon"] == 7 and payload["n_series"] == 6
    assert set(payload["models"]) == {"global_gbm", "seasonal_naive", "moving_average"}
    for figures in payload["models"].values():
        assert {"wape", "mase", "bias", "fit_seconds"} <= set(figures)
        assert 0 <= figures["wape"] < 2
    assert payload["skipped_series"] == 1 and "Centro|RARO-9" in payload["skipped_examples"]
    assert payload["returns_rows"] == 1
    assert payload["quantity_column"] == "cantidad" and payload["quantity_column_detected"] is False
    assert 0 < payload["models"]["global_gbm"]["coverage_p10_p90"] <= 1


def test_without_qty_col_each_row_is_a_unit(pos_log: Path) -> None:
    frame = pd.read_csv(pos_log, sep=";")
    frame = frame[frame["cantidad"] > 0].drop(columns="cantidad")
    log = pos_log.with_name("log.csv")
    frame.to_csv(log, sep=";", index=False)
    result = runner.invoke(
        app,
        ["demand", "backtest", "--sales", str(log), "--date-col", "fecha", "--sku-col", "codigo",
         "--horizon", "7", "--folds", "1", "--models", "seasonal_naive,moving_average", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n_series"] == 3


def test_duplicates_can_be_dropped(pos_log: Path) -> None:
    result = runner.invoke(
        app,
        ["demand", "backtest", "--sales", str(pos_log), "--date-col", "fecha", "--sku-col", "codigo",
         "--qty-col", "cantidad", "--horizon", "7", "--folds", "1", "--models", "seasonal_naive",
         "--drop-duplicates"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["duplicates_dropped"] >= 1


@pytest.mark.parametrize(
    ("content", "args", "expected"),
    [
        ("fecha;codigo\n01/03/2025;A\n", ["--date-col", "date"], "Faltan columnas"),
        ("fecha;codigo\n31/02/2025;A\n02/03/2025;A\n", [], "fecha no reconocida"),
        ("fecha;codigo;cantidad\n01/03/2025;A;x\n", ["--qty-col", "cantidad"], "no es un número"),
        ("fecha;codigo\n01/03/2025;A\n", [], "at least 2"),
        ("fecha;codigo\n01/03/2025;A\n02/03/2025;A\n", [], "not enough history"),
    ],
)
def test_bad_csv_is_one_clear_error(tmp_path: Path, content: str, args: list[str], expected: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    base = ["demand", "backtest", "--sales", str(path), "--date-col", "fecha", "--sku-col", "codigo"]
    result = runner.invoke(app, [*base, *args, "--horizon", "7", "--folds", "1"])
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output


def test_a_quantity_column_is_used_and_named_when_qty_col_is_absent(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    rows = ["date,sku,quantity"]
    for day in pd.date_range("2025-01-01", periods=60, freq="D"):
        rows += [f"{day:%Y-%m-%d},A,{rng.integers(5, 9)}", f"{day:%Y-%m-%d},B,{rng.integers(1, 3)}"]
    path = tmp_path / "sales.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    base = ["demand", "backtest", "--sales", str(path), "--horizon", "7", "--folds", "1", "--models", "seasonal_naive"]
    used = runner.invoke(app, base)
    assert used.exit_code == 0, used.output
    payload = json.loads(used.stdout)
    assert payload["quantity_column"] == "quantity" and payload["quantity_column_detected"] is True
    assert "Usando la columna 'quantity'" in used.stderr
    counted = json.loads(runner.invoke(app, [*base, "--count-rows"]).stdout)
    assert counted["quantity_column"] is None and counted["units"] == "one unit per row"
    assert counted["models"]["seasonal_naive"]["wape"] != payload["models"]["seasonal_naive"]["wape"]


@pytest.mark.slow
def test_auto_reports_its_selection_per_fold_and_coverage(pos_log: Path) -> None:
    result = runner.invoke(
        app,
        ["demand", "backtest", "--sales", str(pos_log), "--date-col", "fecha", "--sku-col", "codigo",
         "--qty-col", "cantidad", "--horizon", "7", "--folds", "1", "--models", "auto,seasonal_naive", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    auto = payload["models"]["auto"]
    assert 0 < auto["coverage_p10_p90"] <= 1 and auto["wape"] <= payload["models"]["seasonal_naive"]["wape"] * 1.2
    (fold,) = payload["selection_per_fold"]["auto"]
    assert fold["selection"] and {"segment", "model", "wape"} <= set(fold["selection"][0])
    assert "cmdstanpy - INFO" not in result.output
