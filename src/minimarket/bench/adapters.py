"""Figures read from the JSON of benchmark scripts that do not print a ``figures`` list (yet).

A script's own ``figures`` list always wins. Otherwise the adapter of its name maps the keys it is known to
print; every lookup is tolerant (a key another version of the script renamed gives no figure, never an
error), and a script nobody wrote an adapter for gets :func:`generic` figures: every number whose key says it
is a ratio (``*ratio*``, ``*_vs_*``), with a sibling ``goal*`` number as its goal when there is one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from minimarket.bench.figures import Figure, figure

Adapter = Callable[[Mapping[str, Any]], list[Figure]]


def get(data: Any, path: str) -> Any:
    """``data["a"]["b"]`` for ``"a.b"``; ``None`` when any step is missing."""
    for key in path.split("."):
        if not isinstance(data, Mapping) or key not in data:
            return None
        data = data[key]
    return data


def num(data: Any, path: str) -> float | None:
    value = get(data, path)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def figures_of(name: str, data: Mapping[str, Any]) -> list[Figure]:
    """The figures of script ``name`` from its printed JSON."""
    listed = data.get("figures")
    if isinstance(listed, list) and listed:
        return [Figure.from_dict(item) for item in listed if isinstance(item, Mapping)]
    adapter = ADAPTERS.get(name)
    found = adapter(data) if adapter is not None else []
    return [f for f in found if f.ours is not None or f.ratio is not None] or generic(data)


def generic(data: Mapping[str, Any], prefix: str = "") -> list[Figure]:
    """Every ratio-like number of ``data`` (nested keys joined by dots)."""
    return list(_walk(data, prefix))


def _walk(data: Mapping[str, Any], prefix: str) -> Iterator[Figure]:
    goals = {k: v for k, v in data.items() if k.startswith("goal") and isinstance(v, int | float)}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _walk(value, path + ".")
        elif _ratio_like(key, value):
            goal = next(iter(goals.values()), None) if len(goals) == 1 else None
            yield Figure(name=path, ours=None, ratio=float(value), goal=None if goal is None else f"ratio vs {goal:g}")


def _ratio_like(key: str, value: Any) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool) or key.startswith("goal"):
        return False
    return "ratio" in key or "_vs_" in key or key.endswith("_speedup")


# --- known scripts ---------------------------------------------------------------------------------------


def _ocr_throughput(d: Mapping[str, Any]) -> list[Figure]:
    ours, raw = num(d, "ours.pages_per_second"), num(d, "raw_tesseract.pages_per_second")
    goal = num(d, "goal_ours_vs_raw") or 0.8
    name = "OCR pages/s vs raw Tesseract"
    out = [figure(name, ours, raw, goal=(">=", goal), on="ratio", unit="pages/s", better="higher")]
    cpu_ours, cpu_raw = num(d, "cpu_seconds_per_page.ours"), num(d, "cpu_seconds_per_page.raw_tesseract")
    out.append(figure("OCR CPU s/page vs raw Tesseract", cpu_ours, cpu_raw, unit="s", better="lower"))
    pdf = num(d, "text_layer_pdfs.synthetic.documents_per_second")
    out.append(figure("text-layer PDFs/s (pool, synthetic)", pdf, goal=(">=", 30), unit="docs/s", better="higher"))
    return out


def _synth_throughput(d: Mapping[str, Any]) -> list[Figure]:
    return [
        figure(f"synthetic {kind} documents/s", num(d, f"{kind}.docs_per_s"), unit="docs/s", better="higher")
        for kind in ("pdf", "scan", "photo")
    ]


def _deblur(d: Mapping[str, Any]) -> list[Figure]:
    out = []
    for key in ("header_accuracy", "item_f1", "fully_correct"):
        on, off = num(d, f"groups.motion_blurred.on.{key}"), num(d, f"groups.motion_blurred.off.{key}")
        out.append(figure(f"blurred photos {key}, deblur vs not", on, off, better="higher"))
    on, off = num(d, "groups.all.on.seconds_per_photo"), num(d, "groups.all.off.seconds_per_photo")
    out.append(figure("seconds/photo, deblur vs not", on, off, unit="s", better="lower"))
    return out


def _figure_reader(d: Mapping[str, Any]) -> list[Figure]:
    ours, tess = num(d, "rendered.all.figure_reader"), num(d, "rendered.all.tesseract")
    out = [figure("rendered figures read right vs Tesseract", ours, tess, better="higher")]
    ours, tess = num(d, "photos.item_figures_right.figure_reader"), num(d, "photos.item_figures_right.tesseract")
    out.append(figure("photo item figures right vs Tesseract", ours, tess, better="higher"))
    return out


def _inflation_backtest(d: Mapping[str, Any]) -> list[Figure]:
    production = str(get(d, "goal.production_model") or "combination")
    ours, naive = num(d, f"models.{production}.1.mae_pp"), num(d, "models.naive_last_month.1.mae_pp")
    out = [figure(f"1-month MAE pp, {production} vs naive", ours, naive, goal=("<=", 0.85), on="ratio", better="lower")]
    recent, naive_recent = (
        num(d, f"window_2025_2026.models.{production}.1.mae_pp"),
        num(d, "window_2025_2026.models.naive_last_month.1.mae_pp"),
    )
    out.append(
        figure("1-month MAE pp 2025-2026 vs naive", recent, naive_recent, goal=("<=", 1.0), on="ratio", better="lower")
    )
    prophet = num(d, "models.prophet.1.mae_pp")
    if prophet is not None:
        out.append(figure(f"1-month MAE pp, {production} vs Prophet", ours, prophet, better="lower"))
    return out


def _dashboards_render(d: Mapping[str, Any]) -> list[Figure]:
    pages = get(d, "seconds_to_complete_render") or {}
    out = []
    for page, row in pages.items() if isinstance(pages, Mapping) else []:
        out.append(figure(f"{page} cold render", num(row, "cold_median"), goal=("<", 15), unit="s", better="lower"))
        if row.get("preheated_kernel"):
            preheated = num(row, "preheated_median")
            out.append(figure(f"{page} preheated render", preheated, goal=("<", 5), unit="s", better="lower"))
    return out


def _extract_accuracy(d: Mapping[str, Any]) -> list[Figure]:
    out = []
    for split in ("real", "synthetic"):
        for key in ("fully_correct", "documents_fully_correct", "header_accuracy", "item_f1"):
            value = num(d, f"{split}.{key}")
            if value is not None:
                out.append(figure(f"{split} {key}", value, better="higher"))
    return out


def _learned_vs_rules(d: Mapping[str, Any]) -> list[Figure]:
    out = []
    splits = get(d, "splits") or {}
    for kind, split in splits.items() if isinstance(splits, Mapping) else []:
        for key in ("header_accuracy", "item_f1", "fully_correct"):
            learned, rules = num(split, f"learned.{key}"), num(split, f"rules.{key}")
            goal = num(split, f"goals.{key}.goal")
            out.append(
                figure(
                    f"{kind} {key}, learned vs rules",
                    learned,
                    rules,
                    goal=None if goal is None else (">=", goal),
                    better="higher",
                )
            )
    return out


def _demand_backtest(d: Mapping[str, Any]) -> list[Figure]:
    out = []
    for dataset, row in d.items():
        if not isinstance(row, Mapping):
            continue
        wape = get(row, "wape") or get(row, "all_series.wape") or {}
        if not isinstance(wape, Mapping) or not wape:
            models = get(row, "all_series.models") or get(row, "all_series") or {}
            wape = {k: num(v, "wape") for k, v in models.items() if isinstance(v, Mapping)} if models else {}
        ours_name = "auto" if "auto" in wape else "global_gbm"
        ours = wape.get(ours_name)
        for reference in ("seasonal_naive", "prophet"):
            ref = wape.get(reference)
            if ref is None:
                ref = num(row, f"with_prophet_sample.models.{reference}.wape")
            if isinstance(ours, int | float) and isinstance(ref, int | float):
                goal = ("<=", 0.8) if reference == "seasonal_naive" else ("<=", 0.97)
                name = f"{dataset} WAPE, {ours_name} vs {reference}"
                out.append(figure(name, ours, ref, goal=goal, on="ratio", better="lower"))
    return out


ADAPTERS: dict[str, Adapter] = {
    "ocr_throughput": _ocr_throughput,
    "synth_throughput": _synth_throughput,
    "deblur": _deblur,
    "figure_reader": _figure_reader,
    "inflation_backtest": _inflation_backtest,
    "dashboards_render": _dashboards_render,
    "extract_accuracy": _extract_accuracy,
    "learned_vs_rules": _learned_vs_rules,
    "demand_backtest": _demand_backtest,
}
