"""A small typed client of the minimarket HTTP API (httpx), for scripts, tests and dashboards.

    from minimarket.client import MinimarketClient

    with MinimarketClient("http://127.0.0.1:3000", token) as api:
        invoice = api.extract("factura.pdf", save=True)
        batch = api.submit_batch(["a.pdf", "b.jpg"])
        result = api.wait_batch(batch["batch_id"])

Every error answer raises :class:`ApiError` with the API's ``status``, ``code`` and ``message``.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

Document = str | Path | tuple[str, bytes]
"""A path, or ``(name, bytes)``."""


class ApiError(Exception):
    """An error answer of the API."""

    def __init__(self, status: int, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class ServerEvent:
    """One Server-Sent Event."""

    id: str | None
    event: str
    data: Any


def _document(doc: Document) -> tuple[str, bytes]:
    if isinstance(doc, tuple):
        return doc
    path = Path(doc)
    return path.name, path.read_bytes()


def _raise_for(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "http_error", response.text[:500]
    retry = response.headers.get("retry-after")
    raise ApiError(response.status_code, code, message, float(retry) if retry else None)


def parse_sse(lines: Iterator[str]) -> Iterator[ServerEvent]:
    """Events of a ``text/event-stream`` (comments and pings skipped)."""
    event_id: str | None = None
    kind = "message"
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                text = "\n".join(data)
                try:
                    value: Any = json.loads(text)
                except json.JSONDecodeError:
                    value = text
                yield ServerEvent(event_id, kind, value)
            event_id, kind, data = None, "message", []
            continue
        if line.startswith(":"):
            continue
        name, _, value_text = line.partition(":")
        value_text = value_text.removeprefix(" ")
        if name == "id":
            event_id = value_text
        elif name == "event":
            kind = value_text
        elif name == "data":
            data.append(value_text)


class MinimarketClient:
    """The API at ``base_url`` (e.g. ``http://127.0.0.1:3000``) with a bearer ``token``."""

    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 180.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)

    def __enter__(self) -> MinimarketClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def _json(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.http.request(method, "/api/v1" + url, **kwargs)
        _raise_for(response)
        return response.json()

    # --- health -------------------------------------------------------------------------------------

    def ready(self) -> bool:
        try:
            return self.http.get("/readyz").status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the API was not ready within {timeout:g} s")
            time.sleep(0.5)

    # --- invoices -----------------------------------------------------------------------------------

    def extract(self, document: Document, *, save: bool = False) -> dict[str, Any]:
        """The extracted-invoice JSON of one document (``saved`` added with ``save=True``)."""
        name, data = _document(document)
        return dict(self._json("POST", "/invoices/extract", params={"save": save}, files={"file": (name, data)}))

    def submit_batch(
        self,
        documents: Sequence[Document],
        *,
        callback_url: str | None = None,
        metadata: Sequence[dict[str, Any]] | None = None,
        save: bool = True,
    ) -> dict[str, Any]:
        """Send 1-50 documents; ``{"batch_id", "status", "progress_url"}`` at once (202)."""
        invoices = []
        for n, doc in enumerate(documents):
            name, data = _document(doc)
            item: dict[str, Any] = {"image": base64.b64encode(data).decode("ascii"), "filename": name}
            if metadata is not None:
                item["metadata"] = metadata[n]
            invoices.append(item)
        body: dict[str, Any] = {"invoices": invoices, "save": save}
        if callback_url:
            body["callback_url"] = callback_url
        return dict(self._json("POST", "/invoices/batch", json=body))

    def batch(self, batch_id: str) -> dict[str, Any]:
        return dict(self._json("GET", f"/invoices/batch/{batch_id}"))

    def wait_batch(self, batch_id: str, *, timeout: float = 600.0, poll: float = 0.5) -> dict[str, Any]:
        """Poll until the batch is finished."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                view = self.batch(batch_id)
            except ApiError as exc:
                if exc.status not in (429, 503) or time.monotonic() > deadline:
                    raise
                time.sleep(exc.retry_after or poll)
                continue
            if view["status"] == "finished":
                return view
            if time.monotonic() > deadline:
                raise TimeoutError(f"batch {batch_id} not finished within {timeout:g} s: {view['pending']} pending")
            time.sleep(poll)

    def _stream(
        self, url: str, last_event_id: str | int | None, params: dict[str, Any] | None = None
    ) -> Iterator[ServerEvent]:
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        with self.http.stream("GET", "/api/v1" + url, headers=headers, params=params) as response:
            if response.status_code >= 400:
                response.read()
                _raise_for(response)
            yield from parse_sse(response.iter_lines())

    def batch_events(self, batch_id: str, *, last_event_id: int | None = None) -> Iterator[ServerEvent]:
        """``progress`` events and a last ``finished`` event."""
        return self._stream(f"/invoices/batch/{batch_id}/events", last_event_id)

    def events(self, *, last_event_id: int | None = None, kinds: Sequence[str] | None = None) -> Iterator[ServerEvent]:
        """The shop's notifications (endless stream; stop iterating to close it)."""
        params = {"kinds": ",".join(kinds)} if kinds else None
        return self._stream("/events", last_event_id, params)

    def invoices(self, **filters: Any) -> dict[str, Any]:
        """One page: ``text``, ``issuer_cuit``, ``status``, ``date_from``, ``date_to``, ``min_total``,
        ``max_total``, ``limit``, ``cursor``."""
        params = {k: str(v) for k, v in filters.items() if v is not None}
        return dict(self._json("GET", "/invoices", params=params))

    def iter_invoices(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every matching invoice, page after page."""
        cursor = None
        while True:
            page = self.invoices(**filters, cursor=cursor)
            yield from page["invoices"]
            cursor = page["next_cursor"]
            if cursor is None:
                return

    def invoice(self, invoice_id: int) -> dict[str, Any]:
        return dict(self._json("GET", f"/invoices/{invoice_id}"))

    def page_png(self, invoice_id: int, page: int = 1) -> bytes:
        response = self.http.get(f"/api/v1/invoices/{invoice_id}/page/{page}")
        _raise_for(response)
        return response.content

    def review(
        self,
        invoice_id: int,
        corrections: dict[str, str] | None = None,
        *,
        action: str = "correct",
        author: str | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        """``correct`` (the checks run again), ``confirm`` or ``reject``, with field corrections."""
        body = {"corrections": corrections or {}, "action": action, "author": author, "reason": reason}
        return dict(self._json("POST", f"/invoices/{invoice_id}/review", json=body))

    # --- predictions and reports ------------------------------------------------------------------------

    def predict_demand(self, skus: Sequence[str], horizon: int = 14) -> dict[str, Any]:
        return dict(self._json("POST", "/predict/demand", json={"skus": list(skus), "horizon": horizon}))

    def stock_alerts(self) -> dict[str, Any]:
        return dict(self._json("GET", "/stock/alerts"))

    def inflation(self) -> dict[str, Any]:
        return dict(self._json("GET", "/inflation"))

    def update_inflation(self, month: str, pct: float, **options: Any) -> dict[str, Any]:
        return dict(self._json("POST", "/inflation/update", json={"month": month, "pct": pct, **options}))

    def suggest_prices(self, **options: Any) -> dict[str, Any]:
        return dict(self._json("POST", "/prices/suggest", json=options))

    def models(self) -> dict[str, Any]:
        return dict(self._json("GET", "/models"))

    def promote(self, name: str, version: str, reason: str) -> dict[str, Any]:
        return dict(self._json("POST", f"/models/{name}/promote", json={"version": version, "reason": reason}))

    # --- the accountant and the buyer -------------------------------------------------------------------

    def reconcile_arca(self, export: Document, *, period: str | None = None, save: bool = True) -> dict[str, Any]:
        """Reconcile an ARCA "Mis Comprobantes Recibidos" export (CSV or XLSX) with the shop's invoices."""
        name, data = _document(export)
        params = {"save": str(save).lower(), **({"period": period} if period else {})}
        return dict(self._json("POST", "/accounting/arca/reconcile", params=params, files={"file": (name, data)}))

    def arca_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        return list(self._json("GET", "/accounting/arca/runs", params={"limit": limit})["runs"])

    def arca_run(self, run_id: int) -> dict[str, Any]:
        return dict(self._json("GET", f"/accounting/arca/runs/{run_id}"))

    def arca_run_csv(self, run_id: int) -> str:
        response = self.http.get(f"/api/v1/accounting/arca/runs/{run_id}", params={"format": "csv"})
        _raise_for(response)
        return response.content.decode("utf-8-sig")

    def libro_iva(self, period: str) -> dict[str, Any]:
        """The Libro IVA Digital purchases of ``period``: summary and the two files' text."""
        return dict(self._json("GET", "/accounting/iva/libro", params={"period": period}))

    def libro_iva_zip(self, period: str) -> bytes:
        response = self.http.get("/api/v1/accounting/iva/libro", params={"period": period, "format": "zip"})
        _raise_for(response)
        return response.content

    def purchase_drafts(self, **options: Any) -> dict[str, Any]:
        """``budget`` (pesos, text or number), ``today`` (AAAA-MM-DD), ``horizon_days``."""
        if options.get("budget") is not None:
            options["budget"] = str(options["budget"])
        return dict(self._json("POST", "/purchases/drafts", json=options))

    def shelf_prices(self, **options: Any) -> dict[str, Any]:
        """``rule`` ("10", "50", "100", "9", "90", "99"), ``direction``, ``markups``, ``min_margins``…"""
        return dict(self._json("POST", "/prices/shelf", json=options))

    def pack_conversions(self, *, flagged: bool = False) -> dict[str, Any]:
        return dict(self._json("GET", "/packs/conversions", params={"flagged": str(flagged).lower()}))

    def confirm_pack(self, supplier_cuit: str, sku: str, units: int, description: str | None = None) -> dict[str, Any]:
        body = {"supplier_cuit": supplier_cuit, "sku": sku, "units": units, "description": description}
        return dict(self._json("POST", "/packs/conversions", json=body))
