"""The drift decision, Evidently comparisons on in-memory frames, the metrics file and the gauges."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from minimarket.monitoring import metrics
from minimarket.monitoring.drift import (
    ColumnDrift,
    DriftError,
    DriftResult,
    DriftSummary,
    _level_shift,
    compare,
    decide,
    resolve_path,
    validate_threshold,
    write_metrics,
)


def test_decision_is_share_at_least_threshold() -> None:
    assert decide(0.5, 0.5) and decide(0.51, 0.5) and not decide(0.49, 0.5)
    assert decide(1.0, 1.0) and not decide(0.0, 0.01)
    for bad in (0.0, -0.1, 1.5):
        with pytest.raises(DriftError, match="between 0"):
            validate_threshold(bad)


def test_level_shift_is_relative_change_of_the_median() -> None:
    ref = pd.Series([100.0, 101.0, 99.0, np.nan])
    assert _level_shift(ref, ref * 1.05, None, 0.1) == (pytest.approx(0.05), False)
    assert _level_shift(ref, ref * 1.5, None, 0.1) == (pytest.approx(0.5), True)
    assert _level_shift(ref, ref * 0.85, None, 0.1)[1]
    assert _level_shift(pd.Series([0.0]), pd.Series([0.0]), None, 0.1) == (0.0, False)
    score, drifted = _level_shift(pd.Series([np.nan]), ref, None, 0.1)
    assert math.isnan(score) and not drifted


def _frames(shift: float, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame(
        {
            "a": rng.normal(10, 2, 300),
            "b": rng.normal(0, 1, 300),
            "c": rng.choice(["x", "y", "z"], 300, p=[0.5, 0.3, 0.2]),
            "price__k": rng.normal(100, 0.5, 300),
        }
    )
    cur = pd.DataFrame(
        {
            "a": rng.normal(10 * shift, 2, 100),
            "b": rng.normal(0, 1, 100),
            "c": rng.choice(["x", "y", "z"], 100, p=[0.1, 0.3, 0.6] if shift != 1 else [0.5, 0.3, 0.2]),
            "price__k": rng.normal(100 * shift, 0.5, 100),
        }
    )
    return ref, cur


def test_compare_detects_a_shift_and_not_its_absence() -> None:
    ref, cur = _frames(1.0)
    same = compare(ref, cur, numerical=["a", "b", "price__k"], categorical=["c"], level=["price__k"])
    assert same.drift_share == 0.0 and not any(c.drifted for c in same.columns)
    assert {c.column: c.method for c in same.columns}["price__k"] == "level_shift"

    ref, cur = _frames(1.5)
    shifted = compare(ref, cur, numerical=["a", "b", "price__k"], categorical=["c"], level=["price__k"])
    verdict = {c.column: c.drifted for c in shifted.columns}
    assert verdict == {"a": True, "b": False, "c": True, "price__k": True}
    assert shifted.drift_share == pytest.approx(0.75)
    assert {c.column: c.kind for c in shifted.columns}["c"] == "categorical"


def test_compare_skips_columns_that_cannot_be_compared() -> None:
    ref, cur = _frames(1.0)
    ref["empty"] = np.nan
    cur["empty"] = 1.0
    ref["constant"] = cur["constant"] = "accepted"
    ref["only_ref"] = 1.0
    result = compare(ref, cur, numerical=["a", "empty", "only_ref", "missing"], categorical=["constant"])
    assert [c.column for c in result.columns] == ["a"]
    assert result.skipped_columns == {
        "empty": "empty in the reference",
        "only_ref": "not in the current window",
        "missing": "not in the reference",
        "constant": "one and the same value in both (carries no information)",
    }
    with pytest.raises(DriftError, match="no feature column can be compared"):
        compare(ref, cur, numerical=["empty"], categorical=["constant"])


def _result(dataset: str, share: float, drifted: bool) -> DriftResult:
    return DriftResult(
        dataset=dataset,
        shop="default",
        drift_share=share,
        threshold=0.5,
        drifted=drifted,
        n_reference=90,
        n_current=30,
        columns=[ColumnDrift("a", "numerical", "K-S p_value", 0.01, 0.05, drifted)],
        current_window=None,
        reference_window=None,
        reference_source="store",
        reference="store window",
    )


def test_metrics_file_merges_datasets(tmp_path: Path) -> None:
    path = tmp_path / "metrics" / "drift.json"
    write_metrics(path, [_result("sales", 0.2, False)])
    write_metrics(path, [_result("cpi", 0.75, True)], {"invoices": "too few"})
    data = json.loads(path.read_text())
    assert data["sales"]["drift_share"] == 0.2 and data["sales"]["drifted"] == 0
    assert data["cpi"]["drifted"] == 1 and data["cpi"]["n_drifted_columns"] == 1
    assert data["invoices"] == {"checked": 0, "reason": "too few"}


def test_summary_table_lists_checked_and_skipped() -> None:
    summary = DriftSummary(results=[_result("sales", 0.6, True)], skipped={"invoices": "no invoices"})
    table = summary.table()
    assert summary.drifted and table["dataset"].tolist() == ["sales", "invoices"]
    assert summary.as_dict()["results"][0]["drifted_columns"] == ["a"]


def test_relative_paths_resolve_from_the_repo_root(settings: object) -> None:
    from minimarket.config import get_settings

    root = get_settings().root
    assert resolve_path("reports/x.json", Path("/d")) == root / "reports" / "x.json"
    assert resolve_path(None, Path("/d")) == Path("/d")
    assert resolve_path("/abs/y.json", Path("/d")) == Path("/abs/y.json")


def test_gauges_and_exposition() -> None:
    metrics.record_drift("sales", shop="unit-test", share=0.25, threshold=0.5, drifted=False)
    labels = {"dataset": "sales", "shop": "unit-test"}
    assert metrics.REGISTRY.get_sample_value("minimarket_drift_share", labels) == 0.25
    assert metrics.REGISTRY.get_sample_value("minimarket_drift_detected", labels) == 0.0
    assert metrics.REGISTRY.get_sample_value("minimarket_drift_last_run_timestamp_seconds", labels) > 1.7e9
    text = metrics.exposition().decode()
    assert 'minimarket_drift_share{dataset="sales",shop="unit-test"} 0.25' in text
