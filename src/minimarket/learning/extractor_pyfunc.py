"""The ``invoice-extractor`` as an MLflow pyfunc, and loading its parts from a model URI.

:class:`InvoiceExtractorPyfunc` wraps :class:`~minimarket.learning.extractor_model.LearnedExtractor`. Input: a
DataFrame with a ``document`` column (a file path, or the file's bytes as base64) and an optional ``name``;
output: one row per document with ``source_file``, ``status`` and ``invoice`` (the extracted-invoice JSON
contract). The pyfunc builds its reader once, when MLflow loads it.

:func:`load_extractor` reads the parts of a logged or registered model from its artifacts (the joblib file),
without unpickling the pyfunc itself.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.pyfunc.model import PythonModel

from minimarket.config import get_settings
from minimarket.documents.invoice_reader import InvoiceReader
from minimarket.learning.extractor_model import ARTIFACT_KEY, LearnedExtractor, load_parts

__all__ = ["InvoiceExtractorPyfunc", "decode_document", "load_extractor"]


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

    def __init__(self, extractor: LearnedExtractor | None = None) -> None:
        self.extractor = extractor
        self._reader: InvoiceReader | None = None

    def load_context(self, context: Any) -> None:
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        self.extractor = load_parts(Path(context.artifacts[ARTIFACT_KEY]))
        self._reader = self.extractor.reader(get_settings())

    def _invoice_reader(self) -> InvoiceReader:
        if self.extractor is None:
            raise RuntimeError("the invoice extractor was not loaded (load_context was not called)")
        if getattr(self, "_reader", None) is None:
            self._reader = self.extractor.reader(get_settings())
        assert self._reader is not None
        return self._reader

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        reader = self._invoice_reader()
        frame = pd.DataFrame(model_input)
        if "document" not in frame.columns:
            raise ValueError("the input needs a 'document' column (file path or base64 bytes)")
        names = frame["name"] if "name" in frame.columns else [None] * len(frame)
        rows = []
        for value, name in zip(frame["document"], names, strict=True):
            data, guessed = decode_document(value)
            label = name if isinstance(name, str) and name else guessed
            payload = reader.extract(data, name=label).to_json_dict()
            rows.append(
                {
                    "source_file": payload.get("source_file") or "",
                    "status": payload["status"],
                    "invoice": json.dumps(payload, ensure_ascii=False),
                }
            )
        return pd.DataFrame(rows, columns=["source_file", "status", "invoice"])


def load_extractor(model_uri: str) -> LearnedExtractor:
    """The :class:`LearnedExtractor` of a logged/registered pyfunc (``models:/invoice-extractor@champion``,
    ``models:/invoice-extractor/3``, ``runs:/<id>/model``), read from its ``extractor`` artifact."""
    from mlflow.models import Model

    from minimarket import tracking

    tracking.configure()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(mlflow.artifacts.download_artifacts(artifact_uri=model_uri, dst_path=tmp))
        flavor = Model.load(str(folder / "MLmodel")).flavors.get("python_function", {})
        relative = (flavor.get("artifacts") or {}).get(ARTIFACT_KEY, {}).get("path")
        if not relative:
            raise FileNotFoundError(f"{model_uri} has no '{ARTIFACT_KEY}' artifact: it is not an invoice extractor")
        return load_parts(folder / relative)
