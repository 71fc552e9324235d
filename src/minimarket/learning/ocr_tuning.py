"""Tesseract settings chosen on a validation split: a small grid over page segmentation mode, binarisation
after preprocessing and an extra scale factor, scored by field accuracy of the whole extraction.

Only scans and photos are read with OCR, so only they take part. Each candidate reads the validation
documents once (readings are cached per settings, see :func:`minimarket.learning.dataset.read_samples`);
the score is the mean of header-field accuracy and item F1 (:func:`minimarket.learning.train.objective`).
The default settings are always a candidate and win ties, so tuning never makes things worse on the
validation split.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minimarket.documents.ocr.engine import OcrSettings
from minimarket.learning.dataset import DocRef, Sample, read_samples

__all__ = ["GRIDS", "GridResult", "parse_grid", "parse_ocr_key", "search"]

GRIDS: dict[str, tuple[str, ...]] = {
    "default": ("psm4-bin0-x1",),
    "small": ("psm4-bin0-x1", "psm6-bin0-x1", "psm11-bin0-x1"),
    "full": (
        "psm4-bin0-x1",
        "psm6-bin0-x1",
        "psm11-bin0-x1",
        "psm3-bin0-x1",
        "psm11-bin1-x1",
        "psm6-bin1-x1",
        "psm11-bin0-x1.25",
        "psm6-bin0-x1.25",
    ),
}
"""Named grids: ``default`` (no search), ``small`` and ``full``."""

_KEY = re.compile(r"^psm(\d{1,2})-bin([01])-x(\d+(?:\.\d+)?)$")
_VALID_PSM = frozenset({3, 4, 6, 11, 12})


def parse_ocr_key(key: str) -> OcrSettings:
    """``psm6-bin1-x1.25`` → ``OcrSettings(psm=6, binarize=True, scale=1.25)``."""
    m = _KEY.match(key.strip())
    if not m:
        raise ValueError(f"OCR setting {key!r} is not of the form psm<N>-bin<0|1>-x<scale>, e.g. psm6-bin0-x1")
    psm, binarize, scale = int(m.group(1)), m.group(2) == "1", float(m.group(3))
    if psm not in _VALID_PSM:
        raise ValueError(f"page segmentation mode psm{psm} is not supported; use one of {sorted(_VALID_PSM)}")
    if not 0.5 <= scale <= 2.0:
        raise ValueError(f"OCR scale {scale:g} is out of range (0.5-2)")
    return OcrSettings(psm=psm, binarize=binarize, scale=scale)


def parse_grid(spec: str) -> list[OcrSettings]:
    """A grid name (:data:`GRIDS`) or comma-separated keys; the default settings are always included first."""
    keys = GRIDS.get(spec.strip(), tuple(k for k in spec.split(",") if k.strip()))
    settings = [OcrSettings()]
    for key in keys:
        parsed = parse_ocr_key(key)
        if parsed not in settings:
            settings.append(parsed)
    return settings


@dataclass(frozen=True)
class GridResult:
    """One candidate's figures on the validation split."""

    settings: OcrSettings
    score: float
    metrics: dict[str, Any]
    seconds: float
    documents: int

    def as_row(self) -> dict[str, Any]:
        return {
            "ocr": self.settings.key,
            "psm": self.settings.psm,
            "binarize": self.settings.binarize,
            "scale": self.settings.scale,
            "score": self.score,
            "header_accuracy": self.metrics.get("header_accuracy"),
            "item_f1": self.metrics.get("item_f1"),
            "read_seconds": round(self.seconds, 2),
            "documents": self.documents,
        }


def search(
    refs: Sequence[DocRef],
    candidates: Sequence[OcrSettings],
    evaluate: Callable[[list[Sample]], tuple[float, dict[str, Any]]],
    *,
    cache_dir: Path | None = None,
    workers: int = 1,
) -> list[GridResult]:
    """Score every candidate on the OCR'd documents of ``refs``; best first (ties: the earlier candidate)."""
    ocr_refs = [ref for ref in refs if ref.kind in ("scan", "photo", "real")]
    results: list[GridResult] = []
    for order, settings in enumerate(candidates):
        start = time.perf_counter()
        samples = read_samples(ocr_refs, settings, cache_dir=cache_dir, workers=workers)
        seconds = sum(s.seconds for s in samples) or (time.perf_counter() - start)
        score, metrics = evaluate(samples) if samples else (float("nan"), {})
        results.append(GridResult(settings, score, {**metrics, "order": order}, seconds, len(samples)))
    return sorted(results, key=lambda r: (-(r.score if r.score == r.score else -1.0), r.metrics["order"]))
