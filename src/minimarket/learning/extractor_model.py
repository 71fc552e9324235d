"""The ``invoice-extractor`` model: the rule engine plus the learned parts and their configuration.

:class:`LearnedExtractor` is what :func:`minimarket.documents.extract.extract` uses when it is active
(:func:`~minimarket.documents.extract.using_learned_parts`, or the registry's champion): tuned OCR settings
while reading, the learned row/cell classifiers for the items table (only those that beat the rules on
the validation split are switched on), and the product matcher that fills each item's ``sku`` and
``sku_confidence``.

:class:`InvoiceExtractorPyfunc` wraps it as an MLflow pyfunc. Input: a DataFrame with a ``document``
column (a file path, or the file's bytes as base64) and an optional ``name``; output: one row per
document with ``source_file``, ``status`` and ``invoice`` (the extracted-invoice JSON contract).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.pyfunc.model import PythonModel

from minimarket.config import Settings
from minimarket.documents.items import ItemsResult, extract_items
from minimarket.documents.linetext import PageView
from minimarket.documents.ocr.engine import OcrSettings
from minimarket.domain.invoice import ExtractedInvoice
from minimarket.domain.numbers import NumberFormat
from minimarket.learning.line_classifier import CellModel, LearnedItems, RowModel
from minimarket.learning.matching import ProductMatcher

__all__ = ["ARTIFACT_KEY", "ExtractorConfig", "InvoiceExtractorPyfunc", "LearnedExtractor", "decode_document"]

ARTIFACT_KEY = "extractor"


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
    """The learned parts in the shape :class:`minimarket.documents.extract.LearnedParts` expects."""

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
        from dataclasses import replace

        return LearnedExtractor(replace(self.config, **changes), self.row_model, self.cell_model, self.matcher)

    def extract(self, document: Any, settings: Settings | None = None, *, name: str | None = None) -> ExtractedInvoice:
        """:func:`minimarket.documents.extract.extract` with these parts."""
        from minimarket.documents.extract import extract, using_learned_parts

        with using_learned_parts(self):
            return extract(document, settings, name=name)

    def describe(self) -> dict[str, Any]:
        return {
            **self.config.as_dict(),
            "row_model": self.row_model is not None,
            "cell_model": self.cell_model is not None,
            "matcher_products": len(self.matcher.entries) if self.matcher else 0,
            "matcher_aliases": len(self.matcher.aliases) if self.matcher else 0,
            "matcher_calibrated": bool(self.matcher and self.matcher.calibrator is not None),
        }


def decode_document(value: Any) -> tuple[bytes | str, str | None]:
    """A pyfunc input cell: an existing file path, raw bytes, or base64 text (``base64:`` prefix optional)."""
    if isinstance(value, bytes | bytearray):
        return bytes(value), None
    text = str(value)
    if text.startswith("base64:"):
        text = text.removeprefix("base64:")
    elif len(text) < 4096 and Path(text).is_file():
        return text, Path(text).name
    try:
        return base64.b64decode(text, validate=True), None
    except (binascii.Error, ValueError):
        raise ValueError("each 'document' must be a path to an existing file or the file's bytes in base64") from None


class InvoiceExtractorPyfunc(PythonModel):
    """MLflow pyfunc around :class:`LearnedExtractor` (artifact ``extractor``: a joblib file)."""

    def __init__(self) -> None:
        self.extractor: LearnedExtractor | None = None

    def load_context(self, context: Any) -> None:
        import joblib

        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        self.extractor = joblib.load(context.artifacts[ARTIFACT_KEY])

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        if self.extractor is None:
            raise RuntimeError("the invoice extractor was not loaded (load_context was not called)")
        frame = pd.DataFrame(model_input)
        if "document" not in frame.columns:
            raise ValueError("the input needs a 'document' column (file path or base64 bytes)")
        names = frame["name"] if "name" in frame.columns else [None] * len(frame)
        rows = []
        for value, name in zip(frame["document"], names, strict=True):
            data, guessed = decode_document(value)
            label = name if isinstance(name, str) and name else guessed
            result = self.extractor.extract(data, name=label)
            payload = result.to_json_dict()
            rows.append(
                {
                    "source_file": payload.get("source_file") or "",
                    "status": payload["status"],
                    "invoice": json.dumps(payload, ensure_ascii=False),
                }
            )
        return pd.DataFrame(rows, columns=["source_file", "status", "invoice"])


def save_extractor(extractor: LearnedExtractor, folder: Path) -> Path:
    """Write the extractor (joblib) and its readable configuration into ``folder``; returns the joblib path."""
    import joblib

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "extractor.joblib"
    joblib.dump(extractor, path, compress=3)
    (folder / "config.json").write_text(json.dumps(extractor.describe(), indent=2, default=str), encoding="utf-8")
    return path


def load_extractor(model_uri: str) -> LearnedExtractor:
    """The :class:`LearnedExtractor` inside a logged/registered pyfunc (``models:/invoice-extractor@champion``)."""
    from minimarket import tracking

    tracking.configure()
    model = mlflow.pyfunc.load_model(model_uri)
    extractor: LearnedExtractor = model.unwrap_python_model().extractor
    return extractor
