"""Training and evaluation data for the invoice extractor: synthetic documents with ground truth, read once.

* :func:`generate_corpus` writes ``<root>/<split>/<kind>/`` folders with :func:`minimarket.synth.invoices.
  write_dataset` (one seed per split and kind, so splits never share a document); a folder already written
  with the same parameters is reused.
* :func:`load_refs` lists a folder's documents with their ground truth (``<name>.truth.json``) and
  manifest entry; :func:`corrected_refs` turns invoices corrected by a person (still on disk) into
  references whose truth is the corrected payload.
* :func:`read_samples` reads documents (PDF text layer, QR, OCR with the given :class:`OcrSettings`) in
  worker processes and caches each reading (pickle) under ``cache_dir``, keyed by the file hash, the OCR
  settings and a fingerprint of the reading code — OCR is by far the most expensive step, and the
  classifiers, the matcher and every evaluation reuse the same readings.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from minimarket.documents.layout import DocumentText
from minimarket.documents.ocr.engine import OcrSettings
from minimarket.documents.worker_process import WORKER_START, one_core_per_process
from minimarket.domain.invoice import ExtractedInvoice

log = logging.getLogger(__name__)

__all__ = [
    "KINDS",
    "SPLITS",
    "DocRef",
    "Sample",
    "corrected_refs",
    "generate_corpus",
    "load_refs",
    "read_samples",
    "reading_fingerprint",
]

KINDS: tuple[str, ...] = ("pdf", "scan", "photo")
SPLITS: tuple[str, ...] = ("train", "val", "test")
_SPLIT_SALT = {"train": 11, "val": 23, "test": 37, "bench": 53}
_KIND_SALT = {"pdf": 1, "scan": 2, "photo": 3, "mixed": 4}
_CACHE_VERSION = 1


@dataclass(frozen=True)
class DocRef:
    """A document with its ground truth (not read yet)."""

    path: Path
    kind: str
    """``pdf`` (text layer), ``scan``, ``photo``, or ``real`` for corrected invoices from the store."""
    truth: ExtractedInvoice
    layout: str = ""
    split: str = ""
    corrected_fields: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class Sample:
    """A document read by the reading layer (``text``) or the reason it could not be (``error``)."""

    ref: DocRef
    text: DocumentText | None
    ocr_key: str
    error: str | None = None
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def kind(self) -> str:
        return self.ref.kind


def corpus_seed(seed: int, split: str, kind: str) -> int:
    """The generator seed of one (split, kind) folder: disjoint documents across splits and kinds."""
    return seed * 1000 + _SPLIT_SALT.get(split, 97) * 10 + _KIND_SALT.get(kind, 9)


def _folder_ready(folder: Path, n: int, params: dict[str, Any]) -> bool:
    stamp = folder / "corpus.json"
    if not stamp.is_file() or not (folder / "manifest.jsonl").is_file():
        return False
    try:
        return bool(json.loads(stamp.read_text()) == params)
    except ValueError:
        return False


def generate_corpus(
    root: Path,
    sizes: dict[str, int],
    kinds: Sequence[str] = KINDS,
    seed: int = 0,
    *,
    workers: int = 1,
) -> dict[str, dict[str, Path]]:
    """Write (or reuse) ``root/<split>/<kind>/`` with ``sizes[split]`` documents of each kind.

    Returns ``{split: {kind: folder}}`` for the splits with a positive size.
    """
    from minimarket.synth.invoices import write_dataset

    folders: dict[str, dict[str, Path]] = {}
    for split, n in sizes.items():
        if n <= 0:
            continue
        for kind in kinds:
            folder = root / split / kind
            kind_seed = corpus_seed(seed, split, kind)
            params = {"n": n, "kind": kind, "seed": kind_seed, "version": 1}
            if not _folder_ready(folder, n, params):
                log.info("generating %d %s documents for %s in %s", n, kind, split, folder)
                write_dataset(n, folder, kind, kind_seed, workers=workers)
                (folder / "corpus.json").write_text(json.dumps(params))
            folders.setdefault(split, {})[kind] = folder
    return folders


def load_refs(folder: Path, split: str = "") -> list[DocRef]:
    """The documents of a generated folder (``manifest.jsonl`` + ``<name>.truth.json``), in manifest order."""
    manifest = folder / "manifest.jsonl"
    if not manifest.is_file():
        raise FileNotFoundError(f"{folder} has no manifest.jsonl (write it with 'minimarket synth invoices')")
    refs: list[DocRef] = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        path = folder / entry["file"]
        truth_path = folder / f"{path.stem}.truth.json"
        if not path.is_file() or not truth_path.is_file():
            continue
        truth = ExtractedInvoice.model_validate_json(truth_path.read_text(encoding="utf-8"))
        refs.append(DocRef(path, str(entry.get("kind", "")), truth, str(entry.get("layout", "")), split))
    return refs


def corrected_refs(session: Any) -> list[DocRef]:
    """Invoices corrected by a person whose source file is still on disk with the same hash: their
    corrected payload is the ground truth (kind ``real``)."""
    from minimarket.store.corrections import labelled_invoices

    refs = []
    for labelled in labelled_invoices(session):
        path = Path(labelled.source_file or "")
        if not path.is_file():
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest() != labelled.payload.get("sha256"):
            continue
        truth = ExtractedInvoice.model_validate(labelled.payload)
        refs.append(DocRef(path, "real", truth, "", "corrections", tuple(labelled.corrected_fields)))
    return refs


# --- reading, cached ---------------------------------------------------------------------------------------

_READING_MODULES = (
    "documents/reader.py",
    "documents/pdf.py",
    "documents/codes.py",
    "documents/ingest.py",
    "documents/layout.py",
    "documents/ocr/engine.py",
    "documents/ocr/preprocess.py",
    "documents/ocr/tesseract.py",
    "documents/ocr/deblur.py",
    "documents/ocr/figures.py",
    "documents/ocr/figure_cells.py",
    "documents/ocr/figure_glyphs.npz",
    "documents/linetext.py",  # the figure reader checks lines and keys with its parsers
    "domain/money.py",
    "domain/numbers.py",
)


@lru_cache(maxsize=1)
def reading_fingerprint() -> str:
    """A hash of the reading code, the figure reader's model and the installed Tesseract and language data:
    cached readings are invalidated when any of them changes."""
    import minimarket
    from minimarket.documents.ocr.tesseract import tesseract_identity

    base = Path(minimarket.__file__).parent
    digest = hashlib.sha256(str(_CACHE_VERSION).encode())
    digest.update(tesseract_identity().encode())
    for relative in _READING_MODULES:
        path = base / relative
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _cache_path(cache_dir: Path, sha256: str, ocr: OcrSettings) -> Path:
    return cache_dir / sha256[:2] / f"{sha256}-{ocr.key}-{reading_fingerprint()}.pkl"


def _read_one(path: str, ocr: OcrSettings) -> tuple[DocumentText | None, str | None, float]:
    """Worker: read one document with ``ocr`` settings; (text, error, seconds)."""
    import time

    from minimarket.documents.ingest import DocumentError, load_document
    from minimarket.documents.reader import read_document

    start = time.perf_counter()
    try:
        doc = load_document(path)
        text = read_document(doc, ocr=ocr)
        return text, None, time.perf_counter() - start
    except DocumentError as exc:
        return None, f"{exc.code}: {exc.message}", time.perf_counter() - start
    except Exception as exc:  # keep going: one bad document must not stop a training run
        log.exception("reading %s failed", path)
        return None, f"{type(exc).__name__}: {exc}", time.perf_counter() - start


def read_samples(
    refs: Iterable[DocRef],
    ocr: OcrSettings | None = None,
    *,
    cache_dir: Path | None = None,
    workers: int = 1,
) -> list[Sample]:
    """Read every document (cached readings reused); order follows ``refs``."""
    ocr = ocr or OcrSettings()
    refs = list(refs)
    samples: list[Sample | None] = [None] * len(refs)
    todo: list[int] = []
    for i, ref in enumerate(refs):
        cached = _load_cached(cache_dir, ref, ocr)
        if cached is not None:
            samples[i] = Sample(ref, cached, ocr.key, extra={"cached": True})
        else:
            todo.append(i)
    if todo:
        paths = [str(refs[i].path) for i in todo]
        if workers > 1 and len(todo) > 1:
            with ProcessPoolExecutor(workers, mp_context=WORKER_START, initializer=one_core_per_process) as pool:
                results = list(pool.map(_read_one, paths, [ocr] * len(paths)))
        else:
            results = [_read_one(path, ocr) for path in paths]
        for i, (text, error, seconds) in zip(todo, results, strict=True):
            samples[i] = Sample(refs[i], text, ocr.key, error, seconds)
            if text is not None:
                _store_cached(cache_dir, refs[i], ocr, text)
    return [s for s in samples if s is not None]


def _sha(ref: DocRef) -> str:
    return ref.truth.sha256 or hashlib.sha256(ref.path.read_bytes()).hexdigest()


def _load_cached(cache_dir: Path | None, ref: DocRef, ocr: OcrSettings) -> DocumentText | None:
    if cache_dir is None:
        return None
    path = _cache_path(cache_dir, _sha(ref), ocr)
    if not path.is_file():
        return None
    try:
        with path.open("rb") as fh:
            value = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return value if isinstance(value, DocumentText) else None


def _store_cached(cache_dir: Path | None, ref: DocRef, ocr: OcrSettings, text: DocumentText) -> None:
    if cache_dir is None:
        return
    path = _cache_path(cache_dir, _sha(ref), ocr)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(text, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
