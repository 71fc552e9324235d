"""Train, evaluate, log and register the ``invoice-extractor`` (the notebook and ``minimarket train extractor``).

One run:

1. **data** — synthetic documents with ground truth for ``train``/``val``/``test`` and each kind (clean
   PDF, scan, phone photo), plus invoices corrected by a person (store) as extra labelled documents;
2. **OCR settings** — a grid (:mod:`minimarket.learning.ocr_tuning`) scored on the validation split;
3. **classifiers** — the row and cell models (:mod:`minimarket.learning.line_classifier`) fitted on the
   training split, and their accuracy against the rules' decisions on the validation labels;
4. **matcher** — the catalog (bundled + the shop's) with per-supplier aliases from confirmed invoices,
   confidence calibrated on descriptions read from the training documents, threshold chosen on val;
5. **model choice** — rules vs + cell model vs + row model vs both, each with and without table columns
   inferred from the item lines, on the validation split: only parts that help are switched on (score
   first, then description CER, then the simpler variant);
6. **test** — rules only (default OCR) vs learned, per kind, on the same test documents;
7. **MLflow** — params, metrics, tables and plots, the pyfunc with signature and input example,
   registration with the promotion gate (``test_score``: mean of header accuracy and item F1 on the test
   split, higher is better, the champion scored on the same documents), and the drift reference.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import logging
import math
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from minimarket.config import get_settings
from minimarket.documents.ocr.engine import OcrSettings
from minimarket.learning.dataset import KINDS, DocRef, Sample, generate_corpus, load_refs, read_samples
from minimarket.learning.extractor_model import ExtractorConfig, LearnedExtractor
from minimarket.learning.line_classifier import (
    CellModel,
    RowModel,
    build_tables,
    cell_features,
    label_document,
    row_features,
)
from minimarket.learning.matching import Alias, MatchExample, ProductMatcher, catalog_entries
from minimarket.learning.metrics import DocScore, aggregate, rounded, score_document
from minimarket.workspace import RunContext, command_context

log = logging.getLogger(__name__)

__all__ = ["MODEL_NAME", "Evaluation", "TrainOutcome", "TrainParams", "evaluate", "objective", "train_extractor"]

MODEL_NAME = "invoice-extractor"
EXPERIMENT = "invoice-extractor"
GATE_METRIC = "test_score"
MODEL_CHOICES = ("row", "cell", "header", "matcher")
REPORTED = (
    "documents",
    "fully_correct_share",
    "header_accuracy",
    "item_precision",
    "item_recall",
    "item_f1",
    "sku_accuracy",
    "description_cer",
)


@dataclass
class TrainParams:
    """Knobs of a training run (the notebook's parameters; small defaults for a quick run)."""

    n_train: int = 3
    """Documents per kind in the training split."""
    n_val: int = 2
    n_test: int = 2
    kinds: tuple[str, ...] = ("pdf",)
    seed: int = 7
    ocr_grid: str = "default"
    """``default`` (no search), ``small``, ``full`` or comma-separated keys such as ``psm6-bin0-x1``."""
    models: tuple[str, ...] = MODEL_CHOICES
    """Learned parts to consider: ``row``, ``cell``, ``header`` (columns inferred from item lines when the
    header row is unreadable), ``matcher``."""
    use_corrections: bool = True
    workers: int = 2
    data_dir: Path | None = None
    cache_dir: Path | None = None
    register: bool = True
    metrics_path: Path | None = None
    min_coverage: float = 0.8

    def __post_init__(self) -> None:
        self.kinds = tuple(k.strip() for k in (self.kinds.split(",") if isinstance(self.kinds, str) else self.kinds))
        self.models = tuple(
            m.strip() for m in (self.models.split(",") if isinstance(self.models, str) else self.models) if m.strip()
        )
        bad_kinds = [k for k in self.kinds if k not in KINDS]
        if bad_kinds or not self.kinds:
            raise ValueError(f"unknown document kind(s) {bad_kinds or self.kinds}; use some of {', '.join(KINDS)}")
        bad_models = [m for m in self.models if m not in MODEL_CHOICES]
        if bad_models:
            raise ValueError(f"unknown learned part(s) {bad_models}; use some of {', '.join(MODEL_CHOICES)}")
        if self.n_train < 1 or self.n_val < 1 or self.n_test < 1:
            raise ValueError("n_train, n_val and n_test must each be at least 1 document per kind")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")

    def resolved_data_dir(self) -> Path:
        """The corpus folder (a relative path is taken from the repo root, whatever the working directory)."""
        return _from_root(self.data_dir) if self.data_dir else get_settings().generated_dir / "extractor"

    def resolved_cache_dir(self) -> Path:
        return _from_root(self.cache_dir) if self.cache_dir else get_settings().state_dir / "cache" / "readings"

    def as_params(self) -> dict[str, Any]:
        out = asdict(self)
        out["kinds"] = ",".join(self.kinds)
        out["models"] = ",".join(self.models)
        for key in ("data_dir", "cache_dir", "metrics_path"):
            out[key] = str(out[key]) if out[key] else ""
        return out


def _from_root(path: Path | str) -> Path:
    resolved = Path(path)
    return resolved if resolved.is_absolute() else get_settings().root / resolved


def objective(metrics: dict[str, Any]) -> float:
    """Mean of header-field accuracy and item F1 (missing parts count as 0)."""
    values = [metrics.get("header_accuracy"), metrics.get("item_f1")]
    clean = [float(v) if isinstance(v, int | float) and not math.isnan(float(v)) else 0.0 for v in values]
    return sum(clean) / len(clean)


# --- evaluation ------------------------------------------------------------------------------------------------


@dataclass
class Evaluation:
    """Figures of one extractor on some samples: per kind, overall, per document."""

    name: str
    by_kind: dict[str, dict[str, Any]]
    overall: dict[str, Any]
    scores: list[DocScore]
    payloads: list[dict[str, Any]] = field(default_factory=list)

    @property
    def score(self) -> float:
        return objective(self.overall)

    def summary(self) -> dict[str, Any]:
        keep = {k: self.overall.get(k) for k in REPORTED}
        return rounded(
            {
                "overall": {**keep, "score": self.score},
                "by_kind": {
                    kind: {**{k: m.get(k) for k in REPORTED}, "field_accuracy": m.get("field_accuracy")}
                    for kind, m in self.by_kind.items()
                },
            }
        )


def extract_sample(sample: Sample, parts: LearnedExtractor | None) -> dict[str, Any]:
    """The extraction of an already-read sample with ``parts`` (``None``: rules only), as contract JSON."""
    from minimarket.documents.ingest import DocumentError, load_document
    from minimarket.documents.invoice_reader import InvoiceReader

    if sample.text is None:
        return {"status": "rejected", "items": [], "error": {"code": "unread", "message": sample.error or ""}}
    try:
        doc = load_document(sample.ref.path)
        reader = InvoiceReader(get_settings(), parts=parts)
        return reader.extract_text(sample.text, doc, source_file=sample.name).to_json_dict()
    except DocumentError as exc:
        return {"status": "rejected", "items": [], "error": {"code": exc.code, "message": exc.message}}
    except Exception as exc:  # a failure on one document is a wrong document, not a failed run
        log.exception("extraction of %s failed", sample.name)
        return {"status": "rejected", "items": [], "error": {"code": "internal_error", "message": str(exc)}}


def evaluate(samples: Sequence[Sample], parts: LearnedExtractor | None, name: str = "") -> Evaluation:
    """Score ``parts`` (or the rules) on ``samples`` against their ground truth."""
    scores: list[DocScore] = []
    payloads: list[dict[str, Any]] = []
    for sample in samples:
        got = extract_sample(sample, parts)
        truth = sample.ref.truth.to_json_dict()
        scores.append(score_document(got, truth, name=sample.name, kind=sample.kind, layout=sample.ref.layout))
        payloads.append(got)
    kinds = sorted({s.kind for s in scores}, key=lambda k: KINDS.index(k) if k in KINDS else 9)
    by_kind = {kind: aggregate(s for s in scores if s.kind == kind) for kind in kinds}
    return Evaluation(name, by_kind, aggregate(scores), scores, payloads)


# --- training pieces --------------------------------------------------------------------------------------------


def _views(sample: Sample) -> tuple[list[Any], Any]:
    """The views of the invoice's pages and their number format: what the item readers read."""
    from minimarket.documents.interpret import invoice_views

    assert sample.text is not None
    seen = invoice_views(sample.text)
    return seen.views, seen.fmt


@dataclass
class LabelledData:
    """Feature matrices and labels of the row and cell classifiers, and the rules' own decisions."""

    x_row: list[np.ndarray] = field(default_factory=list)
    y_row: list[str] = field(default_factory=list)
    rule_row: list[str] = field(default_factory=list)
    x_cell: list[np.ndarray] = field(default_factory=list)
    y_cell: list[str] = field(default_factory=list)
    rule_cell: list[str] = field(default_factory=list)
    documents: int = 0
    coverage: list[float] = field(default_factory=list)

    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        return (np.vstack(self.x_row) if self.x_row else np.zeros((0, 1))), np.asarray(self.y_row)

    def cells(self) -> tuple[np.ndarray, np.ndarray]:
        return (np.vstack(self.x_cell) if self.x_cell else np.zeros((0, 1))), np.asarray(self.y_cell)


_RULE_CELL_LABEL = {
    "quantity": "quantity",
    "unit_price": "unit_price",
    "amount": "amount",
    "discount_amount": "discount_amount",
    "discount_pct": "discount_pct",
    "vat_rate": "vat_rate",
    "code": "code",
}


def label_samples(samples: Sequence[Sample], min_coverage: float = 0.8) -> LabelledData:
    """Row and cell examples of every readable sample (labels aligned from its truth)."""
    data = LabelledData()
    for sample in samples:
        if sample.text is None or not sample.ref.truth.items:
            continue
        views, fmt = _views(sample)
        tables = build_tables(views, fmt, infer_headers=True)
        labels = label_document(tables, sample.ref.truth.items, min_coverage)
        data.documents += 1
        data.coverage.append(labels.coverage)
        for table, row_labels, cell_labels in zip(tables, labels.row_labels, labels.cell_labels, strict=True):
            x = row_features(table)
            for i, label in enumerate(row_labels):
                if label is not None:
                    data.x_row.append(x[i : i + 1])
                    data.y_row.append(label)
                    data.rule_row.append(table.rule_kinds[i].value)
            if not cell_labels:
                continue
            index, xc = cell_features(table)
            wanted = {(i, id(cell)): label for i, pairs in cell_labels.items() for cell, label in pairs}
            rule_roles = {id(c): role.value for row in table.rows for role, cs in row.cells.items() for c in cs}
            for k, (i, cell) in enumerate(index):
                label = wanted.get((i, id(cell)))
                if label is None:
                    continue
                data.x_cell.append(xc[k : k + 1])
                data.y_cell.append(label)
                data.rule_cell.append(_RULE_CELL_LABEL.get(rule_roles.get(id(cell), ""), "other"))
    return data


def _accuracy(pred: Sequence[str] | np.ndarray, truth: Sequence[str] | np.ndarray) -> float:
    pred, truth = list(pred), list(truth)
    return sum(p == t for p, t in zip(pred, truth, strict=True)) / len(truth) if truth else math.nan


def _fit_models(
    train: LabelledData, models: Sequence[str], seed: int
) -> tuple[RowModel | None, CellModel | None, dict[str, Any]]:
    info: dict[str, Any] = {}
    row_model = cell_model = None
    x, y = train.rows()
    info["row_examples"] = len(y)
    if "row" in models and len(y) >= 10 and len(set(y)) >= 2:
        row_model = RowModel.fit(x, list(y), seed)
    xc, yc = train.cells()
    info["cell_examples"] = len(yc)
    if "cell" in models and len(yc) >= 10 and len(set(yc)) >= 2:
        cell_model = CellModel.fit(xc, list(yc), seed)
    return row_model, cell_model, info


def classifier_report(val: LabelledData, row_model: RowModel | None, cell_model: CellModel | None) -> dict[str, float]:
    """Accuracy of the learned decisions vs the rules' decisions on the validation labels."""
    out: dict[str, float] = {}
    x, y = val.rows()
    if len(y):
        out["row_rules_accuracy"] = _accuracy(val.rule_row, y)
        if row_model is not None:
            out["row_model_accuracy"] = _accuracy(row_model.model.predict(x), y)
    xc, yc = val.cells()
    if len(yc):
        out["cell_rules_accuracy"] = _accuracy(val.rule_cell, yc)
        if cell_model is not None:
            out["cell_model_accuracy"] = _accuracy(cell_model.model.predict(xc), yc)
    return out


def _catalog_products() -> list[Any]:
    from minimarket.catalog import bundled_products

    products: dict[str, Any] = {p.sku: p for p in bundled_products()}
    with contextlib.suppress(Exception), _store_session() as session:
        if session is not None:
            from sqlalchemy import select

            from minimarket.store.models import Product

            for row in session.scalars(select(Product)):
                base = products.get(row.sku)
                cuit = row.supplier.cuit if row.supplier is not None else getattr(base, "supplier_cuit", None)
                products[row.sku] = _StoreProduct(
                    sku=row.sku,
                    name=row.name,
                    supplier_description=row.supplier_description or getattr(base, "supplier_description", None),
                    supplier_cuit=cuit,
                    supplier_code=getattr(base, "supplier_code", None),
                    ean=row.ean or getattr(base, "ean", None),
                )
    return list(products.values())


@dataclass(frozen=True)
class _StoreProduct:
    sku: str
    name: str
    supplier_description: str | None
    supplier_cuit: str | None
    supplier_code: str | None
    ean: str | None


@contextlib.contextmanager
def _store_session() -> Iterator[Any]:
    """A session on the shop's database if it exists already (training never creates one)."""
    from sqlalchemy.engine import make_url

    url = get_settings().sqlalchemy_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).is_file():
        yield None
        return
    from minimarket.store.db import session_scope

    with session_scope() as session:
        yield session


def store_labels() -> tuple[list[DocRef], list[Alias]]:
    """Corrected invoices still on disk (labelled documents) and aliases from confirmed items."""
    from minimarket.learning.dataset import corrected_refs
    from minimarket.store.corrections import confirmed_items

    try:
        with _store_session() as session:
            if session is None:
                return [], []
            refs = corrected_refs(session)
            aliases = [
                Alias(sku=i.sku, description=i.description, supplier_cuit=i.supplier_cuit, code=i.code)
                for i in confirmed_items(session)
            ]
            return refs, aliases
    except Exception as exc:  # the store is optional for training
        log.warning("store labels not read (%s: %s)", type(exc).__name__, exc)
        return [], []


def match_examples(samples: Sequence[Sample], parts: LearnedExtractor | None) -> list[MatchExample]:
    """Descriptions as read from the documents (OCR noise included), each with its true SKU: the extracted
    items that equal a true item (quantity, unit price, amount)."""
    from minimarket.learning.metrics import _item_key

    out: list[MatchExample] = []
    for sample in samples:
        got = extract_sample(sample, parts)
        truth = sample.ref.truth
        pool: dict[Any, list[dict[str, Any]]] = {}
        for item in got.get("items") or []:
            pool.setdefault(_item_key(item), []).append(item)
        for t in truth.to_json_dict()["items"]:
            bucket = pool.get(_item_key(t))
            if bucket:
                g = bucket.pop(0)
                out.append(
                    MatchExample(str(g.get("description") or ""), t.get("sku"), truth.issuer_cuit, g.get("code"))
                )
    return out


def _choose_threshold(matcher: ProductMatcher, examples: Sequence[MatchExample]) -> float:
    if not examples:
        return matcher.threshold
    best = (matcher.threshold, -1.0)
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7):
        matcher.threshold = threshold
        accuracy = matcher.accuracy(examples)["sku_accuracy"]
        if accuracy > best[1] + 1e-9:
            best = (threshold, accuracy)
    matcher.threshold = best[0]
    return best[0]


# --- the run --------------------------------------------------------------------------------------------------------


@dataclass
class TrainOutcome:
    """What a training run produced."""

    run_id: str | None
    version: str | None
    decision: Any
    extractor: LearnedExtractor
    figures: dict[str, Any]
    metrics: dict[str, float]


def _progress(message: str, callback: Callable[[str], None] | None) -> None:
    log.info(message)
    if callback is not None:
        callback(message)


def _flat_metrics(prefix: str, evaluation: Evaluation) -> dict[str, float]:
    out: dict[str, float] = {}
    groups = {"all": evaluation.overall, **evaluation.by_kind}
    for kind, metrics in groups.items():
        for key in REPORTED:
            value = metrics.get(key)
            if isinstance(value, int | float) and not math.isnan(float(value)):
                out[f"{prefix}_{kind}_{key}"] = float(value)
        for name, value in (metrics.get("field_accuracy") or {}).items():
            if isinstance(value, float) and not math.isnan(value):
                out[f"{prefix}_{kind}_field_{name}"] = value
    out[f"{prefix}_score"] = evaluation.score
    return out


def _example_document(samples: Sequence[Sample], seed: int) -> tuple[str, str]:
    """(base64, name) of a small text PDF for the model's input example."""
    pdfs = [s for s in samples if s.kind == "pdf" and s.ref.path.stat().st_size < 200_000]
    if pdfs:
        path = min(pdfs, key=lambda s: s.ref.path.stat().st_size).ref.path
        return base64.b64encode(path.read_bytes()).decode(), path.name
    from minimarket.catalog import bundled_catalog
    from minimarket.synth.invoices import SampleOptions, make_document

    document = make_document(bundled_catalog(), seed, 0, "pdf", options=SampleOptions(max_items=3, single_copy=True))
    return base64.b64encode(document.data).decode(), document.name


def train_extractor(
    params: TrainParams, progress: Callable[[str], None] | None = None, context: RunContext | None = None
) -> TrainOutcome:
    """Run the whole training/evaluation/registration (see the module docstring); MLflow's console chatter
    goes to stderr so that stdout stays clean for JSON. ``context`` (default: the ``train extractor``
    command) says where the run logs and whether its gate may move ``champion``."""
    with contextlib.redirect_stdout(sys.stderr):
        return _train(params, progress, context or command_context("train extractor"))


@dataclass
class _Corpus:
    """The labelled documents of a run: synthetic splits and invoices corrected in the store."""

    refs: dict[str, list[DocRef]]
    corrected: list[DocRef]
    aliases: list[Alias]


@dataclass
class _Readings:
    """Every split read with the chosen OCR settings, and the test split with the defaults (for the rules)."""

    train: list[Sample]
    corrected: list[Sample]
    val: list[Sample]
    test: list[Sample]
    default_test: list[Sample]


@dataclass
class _Choice:
    """The learned item steps that help on the validation split, and the comparison that chose them."""

    name: str
    extractor: LearnedExtractor
    rows: list[dict[str, Any]]


def _train(params: TrainParams, progress: Callable[[str], None] | None, context: RunContext) -> TrainOutcome:
    corpus = _corpus(params, progress)
    chosen_ocr, grid_rows = _choose_ocr(params, corpus, progress)
    readings = _read_splits(params, corpus, chosen_ocr, progress)
    row_model, cell_model, fit_info = _classifiers(params, readings, progress)
    matcher, matcher_info = _matcher(params, corpus, readings, chosen_ocr, row_model, cell_model, progress)
    base = _base_extractor(params, corpus, chosen_ocr, row_model, cell_model, matcher)
    choice = _choose_variant(params, base, readings.val, progress)
    _progress("evaluación en test: reglas vs aprendido", progress)
    rules_eval = evaluate(readings.default_test, None, "rules")
    learned_eval = evaluate(readings.test, choice.extractor, "learned")
    corrections_eval = evaluate(readings.corrected, choice.extractor, "corrections") if readings.corrected else None
    figures = {
        "rules": rules_eval.summary(),
        "learned": learned_eval.summary(),
        "chosen": {"ocr": chosen_ocr.key, "items": choice.name, **choice.extractor.describe()},
        "classifiers": rounded(fit_info),
        "matcher": rounded(matcher_info),
        "ocr_grid": rounded(grid_rows),
        "model_choice": rounded(choice.rows),
    }
    if corrections_eval is not None:
        figures["corrections"] = corrections_eval.summary()
    metrics = _run_metrics(rules_eval, learned_eval, fit_info, matcher_info)
    _write_figures(params, figures)
    _progress("registro en MLflow", progress)
    run_id, version, decision, note = _log_to_mlflow(
        params,
        context,
        choice.extractor,
        figures,
        metrics,
        rules_eval,
        learned_eval,
        readings.test,
        corpus.refs["test"],
    )
    figures["mlflow"] = {
        "run_id": run_id,
        "version": version,
        "decision": decision.as_dict() if decision is not None else None,
        "note": note,
    }
    return TrainOutcome(run_id, version, decision, choice.extractor, figures, metrics)


def _corpus(params: TrainParams, progress: Callable[[str], None] | None) -> _Corpus:
    """Synthetic documents with ground truth for every split and kind, and the store's corrections."""
    sizes = {"train": params.n_train, "val": params.n_val, "test": params.n_test}
    _progress(f"datos sintéticos: {sizes} por tipo {params.kinds}", progress)
    folders = generate_corpus(params.resolved_data_dir(), sizes, params.kinds, params.seed, workers=params.workers)
    refs = {split: [r for kind in params.kinds for r in load_refs(folders[split][kind], split)] for split in sizes}
    corrected, aliases = store_labels() if params.use_corrections else ([], [])
    _progress(f"correcciones: {len(corrected)} facturas corregidas, {len(aliases)} alias", progress)
    return _Corpus(refs, corrected, aliases)


def _choose_ocr(
    params: TrainParams, corpus: _Corpus, progress: Callable[[str], None] | None
) -> tuple[OcrSettings, list[dict[str, Any]]]:
    """The OCR settings of the grid that score best with the rules on the validation scans and photos."""
    from minimarket.learning.ocr_tuning import parse_grid, search

    candidates = parse_grid(params.ocr_grid)
    ocr_refs = [r for r in corpus.refs["val"] if r.kind in ("scan", "photo")]
    if not ocr_refs or len(candidates) <= 1:
        return OcrSettings(), []
    _progress(f"ajuste de OCR: {len(candidates)} configuraciones × {len(ocr_refs)} documentos", progress)

    def rules_score(samples: list[Sample]) -> tuple[float, dict[str, Any]]:
        ev = evaluate(samples, None)
        return ev.score, ev.overall

    cache = params.resolved_cache_dir()
    results = search(ocr_refs, candidates, rules_score, cache_dir=cache, workers=params.workers)
    return results[0].settings, [r.as_row() for r in results]


def _read_splits(
    params: TrainParams, corpus: _Corpus, ocr: OcrSettings, progress: Callable[[str], None] | None
) -> _Readings:
    _progress(f"lectura de documentos (OCR {ocr.key})", progress)
    cache, workers = params.resolved_cache_dir(), params.workers

    def read(refs: Sequence[DocRef], settings: OcrSettings) -> list[Sample]:
        return read_samples(refs, settings, cache_dir=cache, workers=workers)

    train, corrected, val = read(corpus.refs["train"], ocr), read(corpus.corrected, ocr), read(corpus.refs["val"], ocr)
    test = read(corpus.refs["test"], ocr)
    default_test = test if ocr == OcrSettings() else read(corpus.refs["test"], OcrSettings())
    return _Readings(train, corrected, val, test, default_test)


def _classifiers(
    params: TrainParams, readings: _Readings, progress: Callable[[str], None] | None
) -> tuple[RowModel | None, CellModel | None, dict[str, Any]]:
    """The row and cell classifiers fitted on the training documents, and their accuracy on validation."""
    _progress("clasificadores de renglones y columnas", progress)
    train_labels = label_samples([*readings.train, *readings.corrected], params.min_coverage)
    val_labels = label_samples(readings.val, params.min_coverage)
    row_model, cell_model, fit_info = _fit_models(train_labels, params.models, params.seed)
    fit_info.update(classifier_report(val_labels, row_model, cell_model))
    fit_info["label_coverage_mean"] = float(np.mean(train_labels.coverage)) if train_labels.coverage else math.nan
    return row_model, cell_model, fit_info


def _matcher(
    params: TrainParams,
    corpus: _Corpus,
    readings: _Readings,
    ocr: OcrSettings,
    row_model: RowModel | None,
    cell_model: CellModel | None,
    progress: Callable[[str], None] | None,
) -> tuple[ProductMatcher | None, dict[str, Any]]:
    """The catalog matcher, calibrated on descriptions as read from the training documents, its threshold
    chosen on validation."""
    _progress("catálogo y emparejamiento de productos", progress)
    if "matcher" not in params.models:
        return None, {}
    matcher = ProductMatcher.fit(catalog_entries(_catalog_products()), corpus.aliases)
    reader = LearnedExtractor(ExtractorConfig(ocr, row_model is not None, cell_model is not None, False))
    reader.row_model, reader.cell_model = row_model, cell_model
    info: dict[str, Any] = dict(matcher.calibrate(match_examples([*readings.train, *readings.corrected], reader)))
    val_examples = match_examples(readings.val, reader)
    info["threshold"] = _choose_threshold(matcher, val_examples)
    info.update({f"val_{k}": v for k, v in matcher.accuracy(val_examples).items()})
    info["aliases"] = len(corpus.aliases)
    return matcher, info


def _base_extractor(
    params: TrainParams,
    corpus: _Corpus,
    ocr: OcrSettings,
    row_model: RowModel | None,
    cell_model: CellModel | None,
    matcher: ProductMatcher | None,
) -> LearnedExtractor:
    """Every learned part, the item steps still switched off (:func:`_choose_variant` switches them)."""
    trained = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seed": params.seed,
        "kinds": list(params.kinds),
        "documents": {k: len(v) for k, v in corpus.refs.items()} | {"corrections": len(corpus.corrected)},
    }
    config = ExtractorConfig(
        ocr=ocr,
        use_matcher=matcher is not None,
        matcher_threshold=matcher.threshold if matcher else 0.5,
        trained=trained,
    )
    return LearnedExtractor(config, row_model, cell_model, matcher)


def _choose_variant(
    params: TrainParams, base: LearnedExtractor, val: Sequence[Sample], progress: Callable[[str], None] | None
) -> _Choice:
    """Rules vs + cell model vs + row model vs both, each with and without inferred table columns, on the
    validation split: better score first; on a tie, cleaner descriptions (lower CER); on a full tie, the
    simpler variant."""
    steps: list[tuple[str, dict[str, bool]]] = [("rules_items", {})]
    if base.cell_model is not None:
        steps.append(("cell", {"use_cell_model": True}))
    if base.row_model is not None:
        steps.append(("row", {"use_row_model": True}))
    if base.row_model is not None and base.cell_model is not None:
        steps.append(("row_cell", {"use_row_model": True, "use_cell_model": True}))
    if "header" in params.models:
        steps += [(f"{name}+header", {**switches, "infer_headers": True}) for name, switches in list(steps)]
    variants = [(name, base.variant(**switches)) for name, switches in steps]
    _progress(f"elección de modelos en validación: {[name for name, _ in variants]}", progress)
    rows = []
    best_name, best, best_key = variants[0][0], variants[0][1], (-1.0, -math.inf)
    for name, candidate in variants:
        ev = evaluate(val, candidate, name)
        rows.append({"variant": name, **ev.summary()["overall"]})
        cer = ev.overall.get("description_cer")
        key = (round(ev.score, 4), -(cer if isinstance(cer, float) and not math.isnan(cer) else 1.0))
        if key > best_key:
            best_name, best, best_key = name, candidate, key
    return _Choice(best_name, best, rows)


def _run_metrics(
    rules: Evaluation, learned: Evaluation, fit_info: dict[str, Any], matcher_info: dict[str, Any]
) -> dict[str, float]:
    """The run's MLflow metrics: test figures of both, the gate metric, classifier and matcher figures."""
    return {
        **_flat_metrics("test_rules", rules),
        **_flat_metrics("test_learned", learned),
        GATE_METRIC: learned.score,
        **{f"clf_{k}": float(v) for k, v in fit_info.items() if isinstance(v, int | float) and not math.isnan(v)},
        **{
            f"matcher_{k}": float(v)
            for k, v in matcher_info.items()
            if isinstance(v, int | float) and not math.isnan(float(v))
        },
    }


def _write_figures(params: TrainParams, figures: dict[str, Any]) -> None:
    if params.metrics_path:
        path = _from_root(params.metrics_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")


def _doc_rows(evaluation: Evaluation) -> list[dict[str, Any]]:
    return [
        {
            "variant": evaluation.name,
            "document": s.name,
            "kind": s.kind,
            "layout": s.layout,
            "fully_correct": s.fully_correct,
            "header_ok": s.header_ok,
            "items_true": s.items_true,
            "items_pred": s.items_pred,
            "items_right": s.items_right,
            "sku_right": s.sku_right,
            "sku_total": s.sku_total,
            "status": s.status,
            "wrong": json.dumps(s.wrong, ensure_ascii=False, default=str),
        }
        for s in evaluation.scores
    ]


def comparison_figure(rules: dict[str, dict[str, Any]], learned: dict[str, dict[str, Any]]) -> Any:
    """Bar chart per kind (``by_kind`` figures of two evaluations): header accuracy, item F1 and SKU
    accuracy, rules vs learned."""
    from matplotlib.figure import Figure

    kinds = list(learned)
    keys = ("header_accuracy", "item_f1", "sku_accuracy")
    fig = Figure(figsize=(4 * len(keys), 3.2))
    axes = fig.subplots(1, len(keys), sharey=True)
    for ax, key in zip(np.atleast_1d(axes), keys, strict=True):
        x = np.arange(len(kinds))
        for offset, (label, figures) in zip((-0.2, 0.2), (("reglas", rules), ("aprendido", learned)), strict=True):
            values = [figures.get(k, {}).get(key) for k in kinds]
            heights = [0.0 if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in values]
            ax.bar(x + offset, heights, width=0.4, label=label)
        ax.set_xticks(x, kinds)
        ax.set_title(key)
        ax.set_ylim(0, 1.05)
    np.atleast_1d(axes)[0].legend(loc="lower left")
    fig.tight_layout()
    return fig


def evaluation_set(test_refs: Sequence[DocRef], params: TrainParams) -> Any:
    """The gate's evaluation set: the held-out test documents, each version reading them with its own OCR
    settings (readings cached) and scored by :func:`objective`."""
    from minimarket import tracking
    from minimarket.learning.extractor_pyfunc import load_extractor

    def score(uri: str) -> float:
        version = load_extractor(uri)
        cache = params.resolved_cache_dir()
        samples = read_samples(test_refs, version.config.ocr, cache_dir=cache, workers=params.workers)
        return evaluate(samples, version).score

    kinds = sorted({ref.kind for ref in test_refs})
    return tracking.EvaluationSet(
        description=f"{len(test_refs)} synthetic test documents ({', '.join(kinds)}), seed {params.seed}",
        size=len(test_refs),
        digest=tracking.fingerprint(*(Path(ref.path) for ref in sorted(test_refs, key=lambda r: str(r.path)))),
        score=score,
    )


def _log_to_mlflow(
    params: TrainParams,
    context: RunContext,
    extractor: LearnedExtractor,
    figures: dict[str, Any],
    metrics: dict[str, float],
    rules_eval: Evaluation,
    learned_eval: Evaluation,
    test_samples: Sequence[Sample],
    test_refs: Sequence[DocRef],
) -> tuple[str, str | None, Any, str]:
    import mlflow
    import pandas as pd

    from minimarket import tracking
    from minimarket.learning.extractor_model import save_extractor
    from minimarket.learning.extractor_pyfunc import InvoiceExtractorPyfunc
    from minimarket.learning.figure_glyphs import figure_model_digest

    logged = {
        **params.as_params(),
        "chosen_ocr": extractor.config.ocr.key,
        "use_row_model": extractor.config.use_row_model,
        "use_cell_model": extractor.config.use_cell_model,
        "infer_headers": extractor.config.infer_headers,
        "use_matcher": extractor.config.use_matcher,
        "matcher_threshold": extractor.config.matcher_threshold,
        "figure_reader": figure_model_digest(),
    }
    data_version = tracking.fingerprint(params.resolved_data_dir())
    with tracking.tracked_run(
        EXPERIMENT, f"extractor-seed{params.seed}", context=context, data_version=data_version, params=logged
    ) as run:
        mlflow.log_metrics(metrics)
        mlflow.log_dict(figures, "evaluation/figures.json")
        rows = _doc_rows(rules_eval) + _doc_rows(learned_eval)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            pd.DataFrame(rows).to_csv(folder / "documents.csv", index=False)
            if figures.get("ocr_grid"):
                pd.DataFrame(figures["ocr_grid"]).to_csv(folder / "ocr_grid.csv", index=False)
            pd.DataFrame(figures["model_choice"]).to_csv(folder / "model_choice.csv", index=False)
            mlflow.log_artifacts(str(folder), artifact_path="evaluation")
        figure = comparison_figure(rules_eval.by_kind, learned_eval.by_kind)
        mlflow.log_figure(figure, "plots/rules_vs_learned.png")
        _log_drift_reference(learned_eval)

        example_b64, example_name = _example_document(test_samples, params.seed)
        example = pd.DataFrame({"document": [example_b64], "name": [example_name]})
        pyfunc = InvoiceExtractorPyfunc()
        pyfunc.extractor = extractor
        output = pyfunc.predict(None, example)
        signature = _signature(output)
        with tempfile.TemporaryDirectory() as tmp:
            path = save_extractor(extractor, Path(tmp))
            mlflow.log_artifact(str(path.parent / "config.json"), artifact_path="evaluation")
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=InvoiceExtractorPyfunc(),
                artifacts={"extractor": str(path)},
                input_example=example,
                signature=signature,
                pip_requirements=_requirements(),
            )
        if not params.register:
            return run.run_id, None, None, "not registered (register=False)"
        published = run.publish(
            info.model_uri,
            MODEL_NAME,
            policy=tracking.GatePolicy(metric=GATE_METRIC, lower_is_better=False),
            evaluation=lambda: evaluation_set(test_refs, params),
            tags={"test_score": f"{metrics[GATE_METRIC]:.4f}"},
        )
        if published.decision is not None and published.decision.promoted and published.version is not None:
            from minimarket.learning.runtime import remember_parts

            remember_parts(get_settings(), published.version, run.run_id, extractor)
        return run.run_id, published.version, published.decision, published.note


def _signature(output: Any) -> Any:
    """``document`` (path or base64) required, ``name`` optional; the output columns as strings."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    inputs = Schema([ColSpec("string", "document"), ColSpec("string", "name", required=False)])
    outputs = Schema([ColSpec("string", column) for column in output.columns])
    return ModelSignature(inputs=inputs, outputs=outputs)


def _requirements() -> list[str]:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in ("mlflow", "scikit-learn", "rapidfuzz", "numpy", "pandas", "joblib", "opencv-python-headless"):
        try:
            out.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            continue
    return out


def _log_drift_reference(evaluation: Evaluation) -> None:
    """The test extractions' invoice features as the drift reference of this run (dataset ``invoices``)."""
    try:
        from minimarket.monitoring.features import Deflator, invoice_features
        from minimarket.monitoring.reference import log_reference

        payloads = [p for p in evaluation.payloads if p.get("issue_date")]
        costs = {p.sku: float(p.cost) for p in _catalog_products() if getattr(p, "cost", None)}
        frame = invoice_features(payloads, Deflator.bundled(), base_prices=costs)
        if not frame.empty:
            log_reference(frame, "invoices")
    except Exception as exc:  # drift reference is a bonus; never fail a training run for it
        log.warning("drift reference not logged (%s: %s)", type(exc).__name__, exc)
