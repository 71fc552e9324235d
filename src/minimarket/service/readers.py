"""The service's invoice reader: built once per reader worker, rebuilt when a new champion is promoted.

:func:`build_reader` and :func:`champion_version` are the one place that knows how a reader is made (the
registry's champion through :func:`minimarket.learning.runtime.load_reader`, else the one packed in
the Bento store, else the rules).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from minimarket.config import Settings
from minimarket.domain.invoice import ExtractedInvoice

log = logging.getLogger(__name__)

EXTRACTOR = "invoice-extractor"


class Reader(Protocol):
    """What the service needs of a reader."""

    def extract(
        self, document: str | Path | bytes, *, name: str | None = None, today: dt.date | None = None
    ) -> ExtractedInvoice: ...


def build_reader(settings: Settings) -> Reader:
    """A reader for ``settings``: the registry's champion (:func:`minimarket.learning.runtime.load_reader`),
    else the champion packed in the Bento store, else rules only."""
    from minimarket.documents.invoice_reader import InvoiceReader

    if _registry_version(settings) is not None:
        from minimarket.learning.runtime import load_reader

        return load_reader(settings)
    from minimarket.service.bento_models import load_stored, stored_champion

    try:
        stored = load_stored(EXTRACTOR)
    except Exception as exc:
        log.warning("the packed invoice-extractor could not be loaded (%s); rules only", exc)
        stored = None
    if stored is not None:
        extractor = stored.unwrap_python_model().extractor
        return InvoiceReader(settings, parts=extractor, ocr=extractor.config.ocr, version=stored_champion(EXTRACTOR))
    return InvoiceReader(settings)


def champion_version(settings: Settings) -> str | None:
    """The version of the ``invoice-extractor`` champion in use (None: rules only)."""
    version = _registry_version(settings)
    if version is not None:
        return version
    from minimarket.service.bento_models import stored_champion

    return stored_champion(EXTRACTOR)


def _registry_version(settings: Settings) -> str | None:
    from minimarket.learning.runtime import champion_version as registry_champion

    try:
        return registry_champion(settings)
    except Exception as exc:  # an unreachable registry keeps the reader in use
        log.warning("cannot read the invoice-extractor champion (%s)", exc)
        return None


def _import_before_serving() -> None:
    """Import pandas before the reader serves. The watch thread's first look at a tracking store that appeared
    after start-up (a model trained while the server runs) imports MLflow, hence pandas, while BentoML's
    adaptive batching looks pandas' DataFrame up in ``sys.modules`` for every batch: found half-imported
    ("partially initialized module 'pandas.core.frame'"), the batch failed and its reads answered 500."""
    import pandas  # noqa: F401


class ReaderHolder:
    """One reader, rebuilt when the registry's champion changes (:meth:`refresh` looks for one).

    With ``watch``, a thread of its own looks every ``poll`` seconds, so a read never waits for the registry
    (the first look after the tracking store changed loads MLflow's client: seconds of work that held up a
    read, and every read queued behind it, while the read itself looked)."""

    def __init__(self, settings: Settings, poll_seconds: float | None = None, *, watch: bool = False) -> None:
        self.settings = settings
        self.poll_seconds = settings.champion_poll_seconds if poll_seconds is None else poll_seconds
        self._lock = threading.Lock()
        version = champion_version(settings)
        self._current: tuple[Reader, str | None] = (build_reader(settings), version)
        self._stop = threading.Event()
        if watch:
            _import_before_serving()
            threading.Thread(target=self._watch, name="champion-watch", daemon=True).start()

    @property
    def reader(self) -> Reader:
        return self._current[0]

    @property
    def version(self) -> str | None:
        return self._current[1]

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.refresh()
            except Exception:  # the reader in use stays; the next look tries again
                log.exception("cannot look for a new invoice-extractor champion")

    def stop(self) -> None:
        """Stop looking for new champions."""
        self._stop.set()

    def refresh(self, force: bool = False) -> bool:
        """Rebuild the reader if the champion changed (or ``force``); True if it did."""
        with self._lock:
            version = champion_version(self.settings)
            if version == self.version and not force:
                return False
            log.info("invoice-extractor champion %s -> %s: rebuilding the reader", self.version, version)
            self._current = (build_reader(self.settings), version)
            return True

    def read(self, path: str, name: str) -> dict[str, Any]:
        """Extract one stored document; its JSON record and how long it took."""
        reader, version = self._current
        started = time.perf_counter()
        result = reader.extract(path, name=name)
        return {"invoice": result.to_json_dict(), "seconds": time.perf_counter() - started, "model": version}
