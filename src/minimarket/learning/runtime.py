"""The ``invoice-extractor`` champion for :func:`minimarket.documents.extract.extract`, loaded once per process.

``extract`` asks :func:`champion_parts` for the learned parts; the answer is cached per tracking URI, so a
process loads the model at most once. No champion (or no tracking store at all) means rules only, and so
does ``MINIMARKET_EXTRACTOR=rules`` in the environment. A champion that fails to load is logged and
ignored: reading invoices never breaks because of the registry.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from minimarket.config import get_settings

if TYPE_CHECKING:
    from minimarket.learning.extractor_model import LearnedExtractor

log = logging.getLogger(__name__)

MODEL_NAME = "invoice-extractor"
ENV_SWITCH = "MINIMARKET_EXTRACTOR"
"""``rules`` turns the learned parts off; ``champion`` (default) uses the registered champion when present."""

_cache: dict[str, LearnedExtractor | None] = {}
_lock = threading.Lock()


def _may_have_champion(uri: str) -> bool:
    """Cheap pre-check without importing MLflow: a local SQLite store must exist and hold the alias."""
    if not uri.startswith("sqlite:///"):
        return True
    path = Path(uri.removeprefix("sqlite:///"))
    if not path.is_file():
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as db:
            row = db.execute(
                "SELECT 1 FROM registered_model_aliases WHERE name = ? AND alias = ? LIMIT 1", (MODEL_NAME, "champion")
            ).fetchone()
        return row is not None
    except sqlite3.Error:
        return True  # unknown schema: let MLflow answer


def _load(uri: str) -> LearnedExtractor | None:
    if not _may_have_champion(uri):
        return None
    from minimarket import tracking

    try:
        if tracking.alias_version(MODEL_NAME, tracking.CHAMPION) is None:
            return None
        model = tracking.load_model(MODEL_NAME, tracking.CHAMPION)
        parts: LearnedExtractor = model.unwrap_python_model().extractor
        return parts
    except Exception as exc:  # a broken registry must not stop invoice reading
        log.warning("invoice-extractor champion not loaded (%s: %s); using rules only", type(exc).__name__, exc)
        return None


def champion_parts() -> LearnedExtractor | None:
    """The champion's learned parts, or ``None`` (rules only); loaded once per process and tracking URI."""
    if os.environ.get(ENV_SWITCH, "champion").strip().lower() == "rules":
        return None
    uri = get_settings().tracking_uri
    with _lock:
        if uri not in _cache:
            _cache[uri] = _load(uri)
        return _cache[uri]


def clear_cache() -> None:
    """Forget the loaded champion (after a promotion, in tests)."""
    with _lock:
        _cache.clear()
