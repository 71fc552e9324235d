"""Figures from scripts' JSON: the contract's list first, known keys of older scripts, ratio-like keys else."""

from __future__ import annotations

from minimarket.bench.adapters import figures_of
from minimarket.bench.figures import figure, with_figures


def test_the_figures_list_of_the_contract_wins() -> None:
    data = with_figures({"ours_vs_raw": 0.5}, [figure("p95", 30.0, 600.0, goal=("<", 50), unit="ms")])
    (only,) = figures_of("ocr_throughput", data)
    assert only.name == "p95" and only.ratio == 0.05 and only.met is True and only.goal == "ours < 50"


def test_a_known_script_without_figures_is_mapped_by_its_keys() -> None:
    data = {
        "ours": {"pages_per_second": 0.65},
        "raw_tesseract": {"pages_per_second": 1.0},
        "goal_ours_vs_raw": 0.8,
        "text_layer_pdfs": {"synthetic": {"documents_per_second": 35.0}},
    }
    found = {f.name: f for f in figures_of("ocr_throughput", data)}
    ocr = found["OCR pages/s vs raw Tesseract"]
    assert ocr.ratio == 0.65 and ocr.met is False and ocr.better == "higher"
    assert found["text-layer PDFs/s (pool, synthetic)"].met is True


def test_an_unknown_script_gives_its_ratio_like_numbers() -> None:
    data = {"cold": {"cli_seconds": 1.9, "api_vs_cli_ratio": 0.93, "goal_ratio": 0.9}, "label": "x", "ok": True}
    (only,) = figures_of("startup", data)
    assert only.name == "cold.api_vs_cli_ratio" and only.ratio == 0.93 and only.goal == "ratio vs 0.9"


def test_a_renamed_key_gives_no_figure_rather_than_an_error() -> None:
    assert figures_of("inflation_backtest", {"models": {"renamed": {}}}) == []
