"""What the API answers, as documented in its OpenAPI (``/api/v1/openapi.json``).

The endpoints build their answers from the library (often as plain dicts sent as they are); these models say
what a client can rely on: the required keys and their types, more keys may come. Every error is
:class:`ErrorBody`; :func:`errors` documents the statuses an endpoint can answer besides its success.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from minimarket.domain.invoice import Check, ExtractedInvoice


class _Open(BaseModel):
    """A JSON object with these keys at least (more may come in a later version)."""

    model_config = ConfigDict(extra="allow")


# --- path parameters --------------------------------------------------------------------------------------------

MAX_ID = 2**63 - 1
"""The largest id the database can hold (a signed 64-bit integer): a bigger number is a 422, not a crash."""

InvoiceId = Annotated[int, Path(ge=1, le=MAX_ID, description="Id de la factura (el `id` de GET /invoices).")]
RunId = Annotated[int, Path(ge=1, le=MAX_ID, description="Id de la conciliación con ARCA.")]
PageNumber = Annotated[int, Path(ge=1, le=10_000, description="Número de página, desde 1.")]
BatchId = Annotated[str, Path(min_length=1, max_length=64, description="El `batch_id` que devolvió el envío.")]
ModelName = Annotated[str, Path(min_length=1, max_length=100, description="Nombre del modelo registrado.")]


# --- errors -----------------------------------------------------------------------------------------------------


class ErrorInfo(_Open):
    code: str = Field(..., description="Stable code (too_large, not_found, invalid_request, …).")
    message: str = Field(..., description="What was wrong and what is accepted, in Spanish.")


class ErrorBody(_Open):
    """Every error: ``{"error": {"code", "message"}}``. A document the reader could not read (413/415/422/504
    of ``invoices/extract``) is its rejected extracted-invoice record, which has the same ``error``."""

    error: ErrorInfo


_WHY = {
    400: "Pedido mal formado.",
    401: "Falta el token o no es válido (vencido, firma o audiencia incorrecta, clave retirada).",
    403: "El rol del token no alcanza, o su comercio no existe.",
    404: "No existe en el comercio del token.",
    405: "Método no permitido en esta ruta.",
    409: "La operación no se puede hacer con la factura como está.",
    413: "El documento o el pedido es demasiado grande.",
    415: "Tipo de archivo o de contenido no admitido.",
    422: "Datos inválidos (el mensaje dice cuál y qué se acepta).",
    429: "Demasiados pedidos: reintente después de Retry-After segundos.",
    503: "Servicio arrancando u ocupado: reintente después de Retry-After segundos.",
    504: "El documento no se terminó de leer a tiempo.",
}

AUTH = (401, 403, 429, 503)
"""What any authenticated endpoint can answer: token refused, role or shop refused, rate limited, starting."""


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error ``statuses`` (each an :class:`ErrorBody`)."""
    return {status: {"model": ErrorBody, "description": _WHY[status]} for status in sorted(set(statuses))}


# --- invoices -------------------------------------------------------------------------------------------------


class SaveOutcome(_Open):
    invoice_id: int | None = None
    created: bool | None = None
    duplicate_of: str | None = Field(None, description="sha256 (the same file) or fiscal_key.")
    error: str | None = Field(None, description="Why the invoice could not be stored.")


class ExtractedRecord(ExtractedInvoice):
    """The extracted-invoice JSON exactly as ``minimarket extract`` prints it (with ``saved`` when asked)."""

    model_config = ConfigDict(extra="allow")

    saved: SaveOutcome | None = None


class InvoiceEvent(_Open):
    kind: str
    author: str | None = None
    from_status: str | None = None
    to_status: str | None = None
    detail: dict[str, Any] | None = None
    at: str | None = None


class DocumentLink(_Open):
    available: bool
    pages: int | None = None
    page_url: str | None = Field(None, description="Template with {n}: the PNG of page n.")


class StoredInvoice(ExtractedInvoice):
    """A stored invoice: the extracted-invoice JSON (as corrected), its id, its audit trail, its document."""

    model_config = ConfigDict(extra="allow")

    id: int
    events: list[InvoiceEvent]
    document: DocumentLink


class InvoiceSummary(_Open):
    id: int
    issue_date: str | None = None
    issuer_cuit: str | None = None
    issuer_name: str | None = None
    invoice_type: str | None = None
    point_of_sale: int | None = None
    number: int | None = None
    total: str | None = None
    status: str


class InvoicePage(_Open):
    invoices: list[InvoiceSummary]
    next_cursor: int | None = Field(None, description="Pass it as cursor for the next page (null: last page).")
    count: int


class Correction(_Open):
    field: str
    old: Any = None
    new: Any = None


class ReviewAnswer(_Open):
    invoice_id: int
    action: str
    author: str
    previous_status: str
    status: str
    corrected: list[Correction]
    checks: list[Check]
    overridden: list[str]
    stock_movements: int


# --- batches --------------------------------------------------------------------------------------------------


class BatchAccepted(_Open):
    batch_id: str
    status: str
    total: int
    progress_url: str
    events_url: str


class BatchCallback(_Open):
    url: str
    status: str | None = None
    attempts: int | None = None
    error: str | None = None


class BatchResult(_Open):
    position: int
    status: str
    invoice: dict[str, Any] | None = Field(None, description="The extracted-invoice record of the document.")


class BatchView(_Open):
    batch_id: str
    status: str
    total: int
    done: int
    failed: int
    pending: int
    created_at: str
    finished_at: str | None = None
    progress_url: str | None = None
    callback: BatchCallback | None = None
    results: list[BatchResult] = Field(default_factory=list)


# --- predictions and reports ------------------------------------------------------------------------------------


class DailyDemand(_Open):
    date: str
    p10: float
    p50: float
    p90: float


class SkuForecast(_Open):
    sku: str
    method: str
    daily: list[DailyDemand]
    reorder_point: float | None = None
    days_of_cover: float | None = None
    needs_order: bool | None = None


class DemandAnswer(_Open):
    forecasts: list[SkuForecast]
    model_version: str | None = None


class StockAlerts(_Open):
    suppliers: list[dict[str, Any]]


class MonthPct(_Open):
    month: str
    pct: float


class AppliedInflation(MonthPct):
    source: str


class InflationView(_Open):
    observed: list[MonthPct]
    forecast: list[dict[str, Any]]
    method: str
    applied: AppliedInflation
    level: float


class InflationApplied(_Open):
    month: str
    pct: float
    source: str


class PriceReport(_Open):
    suggestions: list[dict[str, Any]]
    inflation_last_month: str


class ModelsView(_Open):
    in_use: dict[str, str]
    registered: list[dict[str, Any]]


class Promoted(_Open):
    model: str
    champion: str
    in_use: dict[str, str]


EVENT_STREAM: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Un flujo text/event-stream (Server-Sent Events); reanudable con Last-Event-ID.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}
PNG: dict[int | str, dict[str, Any]] = {
    200: {"description": "La página como PNG.", "content": {"image/png": {"schema": {"type": "string"}}}}
}
