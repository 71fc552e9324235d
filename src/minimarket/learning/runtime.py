"""The doors' way to the ``invoice-extractor`` champion: :func:`load_reader` and :func:`champion_version`.

A door (the CLI, the service at start-up, a notebook, the evaluation) calls :func:`load_reader` once and
passes the reader down. Reading one invoice must not wait for MLflow (importing it alone takes seconds),
so the champion is resolved through a small local cache under ``<state>/cache/models/``:

* a **record** of the champion (version and run) together with the fingerprint of the tracking store's
  SQLite file when the registry was last asked (size, modification time and SQLite's own change counter).
  While the file has not changed, no promotion can have happened and the record answers; any write to the
  store (a promotion through MLflow's UI or API included) makes it stale, and the registry is asked again
  through MLflow's public client, with the cost in a log line. A store that is not a local SQLite file is
  always asked;
* a **copy of the champion's parts** per version (only the parts in use, their estimators in the compact
  form of :mod:`minimarket.learning.compact`, so reading them needs neither MLflow nor scikit-learn),
  written when a version is promoted by training or first loaded, and read directly; a missing copy is
  fetched from the registry's artifacts, with the cost in a log line.

No champion (or no tracking store at all) means rules only. A champion that fails to load is logged and
the reader falls back to the rules: reading invoices never breaks because of the registry.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import pickle
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minimarket.config import Settings
from minimarket.documents.invoice_reader import InvoiceReader

if TYPE_CHECKING:
    from minimarket.learning.extractor_model import LearnedExtractor

log = logging.getLogger(__name__)

__all__ = ["MODEL_NAME", "champion_version", "load_reader", "remember_parts"]

MODEL_NAME = "invoice-extractor"
CHAMPION = "champion"
SLOW_SECONDS = 1.0
"""A fall-back to the registry slower than this is logged as a warning (else at INFO)."""
PARTS_FILE = "parts.pkl"
COPY_FORMAT = "c1"
"""Bumped when the local copy's form changes: older copies are then fetched again."""


@dataclass(frozen=True)
class ChampionRecord:
    """What the registry said about the champion, and the state of the store when it said it."""

    uri: str
    version: str | None
    run_id: str | None
    store: list[Any] | None
    """Fingerprint of the store's SQLite file when the registry was asked (``None``: not a local file)."""


def load_reader(settings: Settings) -> InvoiceReader:
    """An :class:`InvoiceReader` with the ``invoice-extractor`` champion's parts (rules only when there is
    no champion or it cannot be loaded)."""
    try:
        record = _champion(settings)
        if record.version is None:
            return InvoiceReader(settings)
        parts = _cached_parts(settings, record) or _fetch_parts(settings, record)
        return parts.reader(settings, version=record.version)
    except Exception as exc:  # a broken registry must not stop invoice reading
        log.warning("invoice-extractor champion not loaded (%s: %s); using rules only", type(exc).__name__, exc)
        return InvoiceReader(settings)


def champion_version(settings: Settings) -> str | None:
    """The registry version holding the ``champion`` alias of the ``invoice-extractor`` (``None``: none).

    Cheap while the tracking store is unchanged (a local record); otherwise MLflow's public client answers.
    A service polls it and rebuilds its reader with :func:`load_reader` when it differs from the reader's
    ``version``."""
    return _champion(settings).version


def remember_parts(settings: Settings, version: str, run_id: str | None, extractor: LearnedExtractor) -> Path:
    """Keep a local copy of a version's parts (training calls it when a version becomes champion)."""
    from minimarket.learning.compact import compact_parts
    from minimarket.learning.extractor_model import in_use

    folder = _ensure(_parts_dir(settings, version, run_id))
    path = folder / PARTS_FILE
    tmp = folder / f".{PARTS_FILE}.{os.getpid()}"
    with tmp.open("wb") as fh:
        pickle.dump(compact_parts(in_use(extractor)), fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return path


# --- the champion record ----------------------------------------------------------------------------------


def _cache_root(settings: Settings) -> Path:
    key = hashlib.sha256(settings.tracking_uri.encode()).hexdigest()[:12]
    return settings.state_dir / "cache" / "models" / key


def _ensure(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sqlite_path(uri: str) -> Path | None:
    return Path(uri.removeprefix("sqlite:///")) if uri.startswith("sqlite:///") else None


def _store_fingerprint(db: Path) -> list[Any] | None:
    """Size, modification time and SQLite change counter of the store's files (``None``: no file)."""
    if not db.is_file():
        return None
    out: list[Any] = []
    for suffix in ("", "-wal"):
        path = db.with_name(db.name + suffix)
        with contextlib.suppress(FileNotFoundError):
            stat = path.stat()
            out.append([suffix, stat.st_size, stat.st_mtime_ns])
    with contextlib.suppress(OSError), db.open("rb") as fh:
        header = fh.read(28)
        out.append(["counter", int.from_bytes(header[24:28], "big")])  # SQLite's file change counter
    return out


def _record_path(settings: Settings) -> Path:
    return _cache_root(settings) / f"{MODEL_NAME}.champion.json"


def _read_record(settings: Settings) -> ChampionRecord | None:
    try:
        data = json.loads(_record_path(settings).read_text(encoding="utf-8"))
        return ChampionRecord(**data)
    except (OSError, ValueError, TypeError):
        return None


def _write_record(settings: Settings, record: ChampionRecord) -> None:
    path = _record_path(settings)
    _ensure(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(asdict(record)), encoding="utf-8")
    os.replace(tmp, path)


def _champion(settings: Settings) -> ChampionRecord:
    """The champion record: the local one while the store is unchanged, else asked of the registry."""
    uri = settings.tracking_uri
    db = _sqlite_path(uri)
    fingerprint = _store_fingerprint(db) if db is not None else None
    if db is not None and fingerprint is None:
        return ChampionRecord(uri, None, None, None)  # no tracking store yet: nothing registered
    record = _read_record(settings)
    if record is not None and fingerprint is not None and record.uri == uri and record.store == fingerprint:
        return record
    started = time.perf_counter()
    version, run_id = _ask_registry()
    fresh = ChampionRecord(uri, version, run_id, _store_fingerprint(db) if db is not None else None)
    seconds = time.perf_counter() - started
    log.log(
        logging.WARNING if seconds > SLOW_SECONDS else logging.INFO,
        "asked the MLflow registry for the %s champion in %.1f s (%s): %s",
        MODEL_NAME,
        seconds,
        "no local record" if record is None else "the tracking store changed since the last look",
        f"v{version}" if version else "none",
    )
    if fresh.store is not None:
        _write_record(settings, fresh)
    return fresh


def _ask_registry() -> tuple[str | None, str | None]:
    """(version, run id) of the champion through MLflow's public client, or (None, None)."""
    from mlflow.exceptions import MlflowException

    from minimarket import tracking

    try:
        found = tracking.client().get_model_version_by_alias(MODEL_NAME, CHAMPION)
    except MlflowException:
        return None, None
    return str(found.version), found.run_id


# --- the parts ------------------------------------------------------------------------------------------


def _parts_dir(settings: Settings, version: str, run_id: str | None) -> Path:
    return _cache_root(settings) / MODEL_NAME / f"v{version}-{(run_id or 'norun')[:12]}-{COPY_FORMAT}"


def _cached_parts(settings: Settings, record: ChampionRecord) -> LearnedExtractor | None:
    from minimarket.learning.extractor_model import LearnedExtractor

    assert record.version is not None
    path = _parts_dir(settings, record.version, record.run_id) / PARTS_FILE
    if not path.is_file():
        return None
    try:
        with path.open("rb") as fh:
            parts = pickle.load(fh)  # our own file, written by remember_parts
        if not isinstance(parts, LearnedExtractor):
            raise TypeError(f"{path} holds a {type(parts).__name__}")
        return parts
    except Exception as exc:  # a damaged copy is fetched again
        log.warning("local copy of %s v%s unreadable (%s); fetching it again", MODEL_NAME, record.version, exc)
        return None


def _fetch_parts(settings: Settings, record: ChampionRecord) -> LearnedExtractor:
    """The version's parts from the registry's artifacts, kept locally for the next calls."""
    from minimarket.learning.extractor_pyfunc import load_extractor

    assert record.version is not None
    started = time.perf_counter()
    extractor = load_extractor(f"models:/{MODEL_NAME}/{record.version}")
    remember_parts(settings, record.version, record.run_id, extractor)
    seconds = time.perf_counter() - started
    log.log(
        logging.WARNING if seconds > SLOW_SECONDS else logging.INFO,
        "loaded %s v%s from the registry in %.1f s and kept a local copy for the next calls",
        MODEL_NAME,
        record.version,
        seconds,
    )
    return extractor
