"""A cache of stock-alert reports that is never stale: each report is kept with the fingerprint of the rows it was
built from, and served only while a new read of that fingerprint is equal.

A report is filed under its database, shop, policy and options (:func:`report_key`); its fingerprint
(:func:`fingerprint`) is the active products with their suppliers (read in full: a few hundred small rows) and
the counts and last ids of the sales and stock movements (:func:`minimarket.store.stock.movement_marks`; those
tables only grow). Any write that changes a report's input changes its fingerprint, whichever process made it.
The demand profiles (the sales side, no stock) are kept too, under :func:`demand_fingerprint`: after a stock
movement alone only the stock side is recomputed.

Read the fingerprint *before* the rows a report is built from: a write landing in between then files the newer
report under the older fingerprint, which is never read again (the marks only grow), instead of an older report
under the newer one.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from minimarket.forecast.reorder import ReorderPolicy
from minimarket.store.stock import AlertProduct, movement_marks


def policy_key(policy: ReorderPolicy) -> tuple[Hashable, ...]:
    """Every field of ``policy`` as a hashable tuple (mappings as sorted pairs)."""

    def frozen(value: Any) -> Hashable:
        if isinstance(value, Mapping):
            return tuple(sorted(value.items()))
        return value

    return tuple((f.name, frozen(getattr(policy, f.name))) for f in dataclasses.fields(policy))


def report_key(session: Session, policy: ReorderPolicy, *options: Hashable) -> tuple[Hashable, ...]:
    """Which report: the database, the session's shop, the policy and the caller's options."""
    url = session.get_bind().engine.url.render_as_string(hide_password=True)
    return (url, session.info.get("shop_id"), policy_key(policy), *options)


Fingerprint = tuple[tuple[int, int, int, int], tuple[AlertProduct, ...]]


def fingerprint(session: Session, products: Sequence[AlertProduct]) -> Fingerprint:
    """What the report is computed from, as one comparable value (``products`` as just read in this session)."""
    return movement_marks(session), tuple(products)


def demand_fingerprint(mark: Fingerprint) -> tuple[Hashable, ...]:
    """The part of ``mark`` the demand profiles depend on: the sales' marks and the catalog."""
    marks, catalog = mark
    return marks[:2], catalog


@dataclasses.dataclass
class AlertsCache:
    """The latest report per :func:`report_key`, with its :func:`fingerprint` (thread-safe, least recently used
    dropped beyond ``max_entries``)."""

    max_entries: int = 256
    _entries: OrderedDict[Hashable, tuple[Hashable, dict[str, Any]]] = dataclasses.field(default_factory=OrderedDict)
    _shared: OrderedDict[Hashable, tuple[Hashable, object]] = dataclasses.field(default_factory=OrderedDict)
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def get(self, key: Hashable, mark: Hashable) -> dict[str, Any] | None:
        """A copy of the report filed under ``key`` if it was built from ``mark``; None otherwise."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != mark:
                return None
            self._entries.move_to_end(key)
            report = entry[1]
        return copy.deepcopy(report)

    def put(self, key: Hashable, mark: Hashable, report: dict[str, Any]) -> None:
        """File a copy of ``report`` (built from ``mark``) under ``key``, replacing what was there."""
        kept = copy.deepcopy(report)
        with self._lock:
            self._entries[key] = (mark, kept)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def get_shared(self, key: Hashable, mark: Hashable) -> object | None:
        """Like :meth:`get`, for an immutable value: the stored object itself."""
        with self._lock:
            entry = self._shared.get(key)
            return entry[1] if entry is not None and entry[0] == mark else None

    def put_shared(self, key: Hashable, mark: Hashable, value: object) -> None:
        """Like :meth:`put`, for an immutable value (kept as is, not copied)."""
        with self._lock:
            self._shared[key] = (mark, value)
            self._shared.move_to_end(key)
            while len(self._shared) > self.max_entries:
                self._shared.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._shared.clear()
