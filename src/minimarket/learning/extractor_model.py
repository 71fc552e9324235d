"""The ``invoice-extractor`` model: the learned parts and their configuration.

:class:`LearnedExtractor` is what an :class:`~minimarket.documents.invoice_reader.InvoiceReader` receives as
its learned parts (:meth:`LearnedExtractor.reader`): tuned OCR settings while reading, the learned row/cell
classifiers for the items table (only those that beat the rules on the validation split are switched on),
and the product matcher that fills each item's ``sku`` and ``sku_confidence``.

This module imports neither MLflow nor pandas: a door loads the parts from a local copy in well under a
second (:mod:`minimarket.learning.runtime`). The MLflow pyfunc around them is
:mod:`minimarket.learning.extractor_pyfunc`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from minimarket.config import Settings, get_settings
from minimarket.documents.invoice_reader import InvoiceReader
from minimarket.documents.items import ItemsResult, extract_items
from minimarket.documents.linetext import PageView
from minimarket.documents.ocr.engine import OcrSettings
from minimarket.domain.invoice import ExtractedInvoice
from minimarket.domain.numbers import NumberFormat
from minimarket.learning.line_classifier import CellModel, LearnedItems, RowModel
from minimarket.learning.matching import ProductMatcher

__all__ = ["ARTIFACT_KEY", "ExtractorConfig", "LearnedExtractor", "in_use", "load_parts", "save_extractor"]

ARTIFACT_KEY = "extractor"
"""Name of the joblib file of the parts among the pyfunc's artifacts."""


@dataclass(frozen=True)
class ExtractorConfig:
    """Which learned parts are on, and the settings chosen for them."""

    ocr: OcrSettings = field(default_factory=OcrSettings)
    use_row_model: bool = False
    use_cell_model: bool = False
    infer_headers: bool = False
    """Infer the items-table columns from the item lines when the header row cannot be read."""
    use_matcher: bool = True
    matcher_threshold: float = 0.5
    trained: dict[str, Any] = field(default_factory=dict)
    """How it was trained (sizes, seed, kinds, date): for people reading the registry."""

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ocr"] = {"psm": self.ocr.psm, "binarize": self.ocr.binarize, "scale": self.ocr.scale, "key": self.ocr.key}
        return out


@dataclass
class LearnedExtractor:
    """The learned parts in the shape :class:`minimarket.documents.parts.LearnedParts` expects."""

    config: ExtractorConfig
    row_model: RowModel | None = None
    cell_model: CellModel | None = None
    matcher: ProductMatcher | None = None

    # --- LearnedParts ------------------------------------------------------------------------------------

    def ocr_settings(self) -> OcrSettings:
        return self.config.ocr

    def extract_items(self, views: list[PageView], fmt: NumberFormat | None) -> ItemsResult:
        row = self.row_model if self.config.use_row_model else None
        cell = self.cell_model if self.config.use_cell_model else None
        infer = getattr(self.config, "infer_headers", False)
        if row is None and cell is None and not infer:
            return extract_items(views, fmt)
        return LearnedItems(row, cell, infer).extract_items(views, fmt)

    def finish(self, result: ExtractedInvoice) -> None:
        """Match every item to a catalog SKU (``sku`` stays empty below the matcher's threshold)."""
        if self.matcher is None or not self.config.use_matcher or not result.items:
            return
        matches = self.matcher.match_many(
            [item.description for item in result.items],
            supplier_cuit=result.issuer_cuit,
            codes=[item.code for item in result.items],
        )
        for item, match in zip(result.items, matches, strict=True):
            item.sku = match.sku
            item.sku_confidence = match.confidence if match.candidate is not None else None

    # --- convenience ----------------------------------------------------------------------------------------

    def variant(self, **changes: Any) -> LearnedExtractor:
        """The same parts with other switches (``use_row_model=False``…), for comparisons."""
        return LearnedExtractor(replace(self.config, **changes), self.row_model, self.cell_model, self.matcher)

    def reader(self, settings: Settings, version: str | None = None) -> InvoiceReader:
        """An invoice reader with these parts and their OCR settings."""
        return InvoiceReader(settings, parts=self, ocr=self.config.ocr, version=version)

    def extract(self, document: Any, settings: Settings | None = None, *, name: str | None = None) -> ExtractedInvoice:
        """One document read with these parts (a convenience for notebooks and tests; a door that reads many
        builds :meth:`reader` once)."""
        return self.reader(settings or get_settings()).extract(document, name=name)

    def describe(self) -> dict[str, Any]:
        return {
            **self.config.as_dict(),
            "row_model": self.row_model is not None,
            "cell_model": self.cell_model is not None,
            "matcher_products": len(self.matcher.entries) if self.matcher else 0,
            "matcher_aliases": len(self.matcher.aliases) if self.matcher else 0,
            "matcher_calibrated": bool(self.matcher and self.matcher.calibrator is not None),
        }


def in_use(extractor: LearnedExtractor) -> LearnedExtractor:
    """The parts a reader actually uses: classifiers switched off are left out (they are kept in the
    registry for comparisons, but loading them would only cost time)."""
    return LearnedExtractor(
        extractor.config,
        extractor.row_model if extractor.config.use_row_model else None,
        extractor.cell_model if extractor.config.use_cell_model else None,
        extractor.matcher if extractor.config.use_matcher else None,
    )


def save_extractor(extractor: LearnedExtractor, folder: Path) -> Path:
    """Write the extractor (joblib) and its readable configuration into ``folder``; returns the joblib path."""
    import joblib

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "extractor.joblib"
    joblib.dump(extractor, path, compress=3)
    (folder / "config.json").write_text(json.dumps(extractor.describe(), indent=2, default=str), encoding="utf-8")
    return path


def load_parts(path: Path) -> LearnedExtractor:
    """The extractor saved by :func:`save_extractor` at ``path`` (``TypeError`` if it holds something else)."""
    import joblib

    extractor = joblib.load(path)
    if not isinstance(extractor, LearnedExtractor):
        raise TypeError(f"{path} holds a {type(extractor).__name__}, not the invoice extractor's parts")
    return extractor
