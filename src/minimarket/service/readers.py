"""The service's invoice reader: built once per reader worker, rebuilt when a new champion is promoted.

:func:`build_reader` and :func:`champion_version` are the one place that knows how a reader is made (today
the rules + learned parts of :func:`minimarket.documents.extract.extract`); switching to the reader object of
``minimarket.learning.runtime.load_reader`` is a change here only.
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


class _ExtractFunctionReader:
    """Adapter over :func:`minimarket.documents.extract.extract` (rules + the champion's learned parts; the
    parts of the champion packed in the Bento when given)."""

    def __init__(self, settings: Settings, parts: Any = None) -> None:
        self.settings = settings
        self.parts = parts

    def extract(
        self, document: str | Path | bytes, *, name: str | None = None, today: dt.date | None = None
    ) -> ExtractedInvoice:
        from minimarket.documents.extract import extract, using_learned_parts

        if self.parts is None:
            return extract(document, self.settings, name=name, today=today)
        with using_learned_parts(self.parts):
            return extract(document, self.settings, name=name, today=today)


def build_reader(settings: Settings) -> Reader:
    """A reader for ``settings``: the registry's champion, else the champion packed in the Bento store, else
    rules only."""
    from minimarket.learning.runtime import clear_cache

    clear_cache()  # the learned parts are loaded again: a promotion since the last build is picked up
    if _registry_version(settings) is None:
        from minimarket.service.bento_models import load_stored

        try:
            stored = load_stored(EXTRACTOR)
        except Exception as exc:
            log.warning("the packed invoice-extractor could not be loaded (%s); rules only", exc)
            stored = None
        if stored is not None:
            return _ExtractFunctionReader(settings, stored.unwrap_python_model().extractor)
    return _ExtractFunctionReader(settings)


def champion_version(settings: Settings) -> str | None:
    """The version of the ``invoice-extractor`` champion in use (None: rules only)."""
    version = _registry_version(settings)
    if version is not None:
        return version
    from minimarket.service.bento_models import stored_champion

    return stored_champion(EXTRACTOR)


def _registry_version(settings: Settings) -> str | None:
    from minimarket.learning.runtime import _may_have_champion

    if not _may_have_champion(settings.tracking_uri):
        return None
    from minimarket import tracking

    try:
        return tracking.alias_version(EXTRACTOR, tracking.CHAMPION)
    except Exception as exc:  # an unreachable registry keeps the reader in use
        log.warning("cannot read the invoice-extractor champion (%s)", exc)
        return None


class ReaderHolder:
    """One reader, rebuilt when the registry's champion changes (checked at most every ``poll`` seconds)."""

    def __init__(self, settings: Settings, poll_seconds: float | None = None) -> None:
        self.settings = settings
        self.poll_seconds = settings.champion_poll_seconds if poll_seconds is None else poll_seconds
        self._lock = threading.Lock()
        self.version = champion_version(settings)
        self.reader = build_reader(settings)
        self._checked = time.monotonic()

    def refresh(self, force: bool = False) -> bool:
        """Rebuild the reader if the champion changed; True if it did."""
        with self._lock:
            if not force and time.monotonic() - self._checked < self.poll_seconds:
                return False
            self._checked = time.monotonic()
            version = champion_version(self.settings)
            if version == self.version and not force:
                return False
            log.info("invoice-extractor champion %s -> %s: rebuilding the reader", self.version, version)
            self.reader = build_reader(self.settings)
            self.version = version
            return True

    def read(self, path: str, name: str) -> dict[str, Any]:
        """Extract one stored document; its JSON record and how long it took."""
        self.refresh()
        started = time.perf_counter()
        result = self.reader.extract(path, name=name)
        return {"invoice": result.to_json_dict(), "seconds": time.perf_counter() - started, "model": self.version}
