"""``minimarket drift check|history``: exit codes 0 / 3 / 1, JSON output, metrics and textfile outputs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from minimarket.cli import app

runner = CliRunner()


def test_no_drift_exits_0_with_text_or_json_and_history(sales_store: Callable[..., int], tmp_path: Path) -> None:
    sales_store(shift=False)
    ok = runner.invoke(app, ["drift", "check", "--dataset", "sales", "--out", str(tmp_path)])
    assert ok.exit_code == 0, ok.output
    assert "sales: drift share" in ok.output and " ok;" in ok.output and "report: " in ok.output

    as_json = runner.invoke(
        app, ["drift", "check", "-d", "sales", "--json", "--threshold", "0.9", "--out", str(tmp_path)]
    )
    assert as_json.exit_code == 0, as_json.output
    payload = json.loads(as_json.stdout)
    assert not payload["drifted"] and payload["skipped"] == {}
    assert payload["results"][0]["threshold"] == 0.9 and payload["results"][0]["n_current"] == 28

    history = runner.invoke(app, ["drift", "history", "--dataset", "sales"])
    assert history.exit_code == 0 and history.output.count("sales") == 2 and "(threshold 0.90) ok" in history.output
    rows = json.loads(runner.invoke(app, ["drift", "history", "--json", "--limit", "1"]).stdout)
    assert len(rows) == 1 and rows[0]["threshold"] == 0.9


def test_shifted_sales_exit_3_with_metrics_and_textfile(sales_store: Callable[..., int], tmp_path: Path) -> None:
    sales_store(shift=True)
    metrics_file = tmp_path / "drift.json"
    prom = tmp_path / "drift.prom"
    result = runner.invoke(
        app,
        [
            "drift",
            "check",
            "--dataset",
            "all",
            "--out",
            str(tmp_path / "reports"),
            "--metrics",
            str(metrics_file),
            "--prom-textfile",
            str(prom),
        ],
    )
    assert result.exit_code == 3, result.output
    assert "skipped invoices: invoices: the store has no invoices" in result.stderr
    figures = json.loads(metrics_file.read_text())
    assert figures["sales"]["drifted"] == 1 and figures["invoices"]["checked"] == 0 and "cpi" in figures
    text = prom.read_text()
    assert 'minimarket_drift_share{dataset="sales",shop="default"}' in text
    assert "minimarket_drift_last_run_timestamp_seconds" in text
    assert len(list((tmp_path / "reports").glob("*.html"))) == 2


def test_errors_exit_1_with_one_clear_line(tmp_path: Path) -> None:
    cases = {
        ("--dataset", "stock"): "unknown dataset 'stock'; use one of: invoices, sales, cpi, all",
        ("--dataset", "sales"): "sales: the store has no sales for shop 'default'",
        ("--dataset", "cpi", "--threshold", "1.5"): "--threshold must be a share in (0, 1]",
        ("--dataset", "cpi", "--window-days", "0"): "--window-days must be at least 1",
        ("--dataset", "cpi", "--as-of", "31/08/2026"): "--as-of must be a date YYYY-MM-DD",
        ("--dataset", "cpi", "--window-days", "90"): "cpi: only 3 months in the current window",
    }
    for args, message in cases.items():
        result = runner.invoke(app, ["drift", "check", *args, "--out", str(tmp_path)])
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.startswith("error: ") and message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output
    bad_history = runner.invoke(app, ["drift", "history", "--dataset", "stock"])
    assert bad_history.exit_code == 1 and "unknown dataset" in bad_history.stderr
    empty = runner.invoke(app, ["drift", "history"])
    assert empty.exit_code == 0 and "no drift checks recorded yet" in empty.output
