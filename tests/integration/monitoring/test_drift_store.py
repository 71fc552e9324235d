"""Drift checks on a real SQLite store: shifted windows drift, unshifted ones do not; reports, runs, gauges."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from minimarket.monitoring import metrics, sources
from minimarket.monitoring.drift import InsufficientData, check_datasets, check_drift, drift_history
from minimarket.store.db import session_scope
from minimarket.store.models import DriftRun

from .conftest import INVOICES_END, synthetic_invoices


def _gauge(name: str, dataset: str, shop: str = "default") -> float | None:
    return metrics.REGISTRY.get_sample_value(name, {"dataset": dataset, "shop": shop})


def _assert_reports(html: Path | None, js: Path | None, dataset: str) -> dict[str, object]:
    assert html is not None and js is not None
    assert html.name.startswith(f"{dataset}-") and html.suffix == ".html"
    assert html.stat().st_size > 10_000 and "<html" in html.read_text(encoding="utf-8")[:2000].lower()
    document = json.loads(js.read_text(encoding="utf-8"))
    assert document["dataset"] == dataset and document["evidently"]["metrics"]
    return document


def test_sales_unshifted_window_does_not_drift(sales_store: Callable[..., int], tmp_path: Path) -> None:
    sales_store(shift=False)
    result = check_drift("sales", out_dir=tmp_path)
    assert not result.drifted and result.drift_share < 0.5
    assert result.n_current == 28 and result.n_reference == 84
    assert result.reference_source == "store" and "no MLflow tracking store" in (result.fallback_reason or "")
    assert not any(c.drifted for c in result.columns if c.column.startswith("price__"))
    document = _assert_reports(result.report_html, result.report_json, "sales")
    assert document["drift_share"] == result.drift_share
    with session_scope() as session:
        run = session.scalars(select(DriftRun)).one()
    assert run.id == result.run_id and run.drift_share == result.drift_share and not run.drifted
    assert run.report_html == str(result.report_html) and run.detail["reference_source"] == "store"
    assert _gauge("minimarket_drift_share", "sales") == pytest.approx(result.drift_share)
    assert _gauge("minimarket_drift_detected", "sales") == 0.0


def test_sales_shifted_window_drifts(sales_store: Callable[..., int], tmp_path: Path) -> None:
    sales_store(shift=True)
    metrics_file = tmp_path / "metrics" / "drift.json"
    result = check_drift("sales", out_dir=tmp_path, metrics_path=metrics_file)
    assert result.drifted and result.drift_share >= 0.5
    prices = [c for c in result.columns if c.column.startswith("price__")]
    assert prices and all(c.drifted and c.method == "level_shift" and c.score > 0.4 for c in prices)
    assert "units_total" in result.drifted_columns
    assert json.loads(metrics_file.read_text())["sales"]["drifted"] == 1
    assert _gauge("minimarket_drift_share", "sales") == pytest.approx(result.drift_share)
    assert _gauge("minimarket_drift_detected", "sales") == 1.0
    assert _gauge("minimarket_drift_last_run_timestamp_seconds", "sales") == pytest.approx(
        result.created_at.timestamp()
    )
    history = drift_history("sales")
    assert [h["id"] for h in history] == [result.run_id] and history[0]["drifted"]


def test_invoices_shifted_prices_and_supplier_mix_drift(invoices_store: Callable[..., int], tmp_path: Path) -> None:
    invoices_store(shift=True)
    result = check_drift("invoices", out_dir=tmp_path)
    assert result.drifted, result.summary()
    assert {"supplier", "price_index_median", "total_real"} <= set(result.drifted_columns)
    assert result.n_current == 40 and result.n_reference == 120
    # synthetic ground truth has no per-field confidence, and every invoice is accepted
    assert result.skipped_columns["confidence_mean"] == "empty in the reference"
    assert "status" in result.skipped_columns
    _assert_reports(result.report_html, result.report_json, "invoices")


def test_invoices_unshifted_do_not_drift(invoices_store: Callable[..., int], tmp_path: Path) -> None:
    invoices_store(shift=False)
    result = check_drift("invoices", out_dir=tmp_path)
    assert not result.drifted and result.drift_share < 0.5, result.summary()
    assert any("CPI known through" in note for note in result.notes)  # invoices run past the bundled CPI

    # a training run building its reference from the same invoices gets the frame the check builds
    training = sources.training_features("invoices", synthetic_invoices(False))
    with session_scope() as session:
        stored = sources.invoices(session, dt.date(2026, 1, 1), INVOICES_END)
    pd.testing.assert_frame_equal(training, stored)


def test_cpi_without_a_champion_compares_pct_only(tmp_path: Path) -> None:
    result = check_drift("cpi", out_dir=tmp_path, persist=False)
    assert {c.column for c in result.columns} == {"pct", "pct_change"}
    assert result.skipped_columns == {"residual_pp": "empty in the reference"}
    assert result.n_current == 12 and result.n_reference == 36 and result.run_id is None
    assert any("no residuals" in note for note in result.notes)

    # a data scientist's own frames: 2024 (disinflation) against 2021, the reference as given
    from minimarket.forecast.inflation import InflationData
    from minimarket.monitoring.features import cpi_features, window

    frame = cpi_features(InflationData.bundled().headline)
    given = check_drift(
        "cpi",
        current=window(frame, "2024-01-01", "2024-12-01"),
        reference=window(frame, "2021-01-01", "2021-12-01"),
        out_dir=tmp_path,
        persist=False,
    )
    assert given.reference_source == "given" and given.n_current == given.n_reference == 12
    assert given.current_window == (dt.date(2024, 1, 1), dt.date(2024, 12, 1))


def test_too_little_data_is_a_clear_error(sales_store: Callable[..., int], tmp_path: Path) -> None:
    with pytest.raises(InsufficientData, match="the store has no invoices for shop 'default'"):
        check_drift("invoices", out_dir=tmp_path)
    sales_store(shift=False)
    with pytest.raises(InsufficientData, match=r"only 5 days in the current window .* at least 14"):
        check_drift("sales", window_days=5, out_dir=tmp_path)
    with pytest.raises(InsufficientData, match=r"only 12 days in the reference \(store window"):
        check_drift("sales", window_days=100, out_dir=tmp_path)
    summary = check_datasets(["invoices", "sales"], out_dir=tmp_path)
    assert [r.dataset for r in summary.results] == ["sales"] and "invoices" in summary.skipped
    assert list(tmp_path.glob("*.html")) == list(tmp_path.glob("sales-*.html"))


def test_shops_are_separate_and_gauges_reload_from_the_store(sales_store: Callable[..., int], tmp_path: Path) -> None:
    sales_store(shift=True, shop="sucursal-2")
    with pytest.raises(InsufficientData, match="shop 'default'"):
        check_drift("sales", out_dir=tmp_path)
    result = check_drift("sales", shop="sucursal-2", out_dir=tmp_path)
    assert result.report_html is not None and result.report_html.parent == tmp_path / "sucursal-2"
    assert drift_history() == [] and len(drift_history(shop="sucursal-2")) == 1
    metrics.record_drift("sales", shop="sucursal-2", share=0.0, threshold=0.5, drifted=False)
    assert metrics.refresh_drift_from_store() == 1
    assert _gauge("minimarket_drift_share", "sales", "sucursal-2") == pytest.approx(result.drift_share)
    assert _gauge("minimarket_drift_detected", "sales", "sucursal-2") == 1.0
