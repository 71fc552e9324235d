"""Invoices: extract one document, history and search, one invoice with its audit trail, its page images,
and the review of a person."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from minimarket.service.auth import Principal, Role
from minimarket.service.batch_runner import ReaderBusy, save_result
from minimarket.service.dependencies import needs, runtime, shop_scope
from minimarket.service.errors import ApiError, not_found
from minimarket.service.metrics import record_extraction
from minimarket.service.schemas import (
    AUTH,
    MAX_ID,
    PNG,
    ExtractedRecord,
    InvoiceId,
    InvoicePage,
    PageNumber,
    ReviewAnswer,
    StoredInvoice,
    errors,
)
from minimarket.service.uploads import Upload, check_document, single_document

router = APIRouter(tags=["facturas"], responses=errors(*AUTH))

_EXTRACT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["content_base64"],
                    "properties": {
                        "filename": {"type": "string", "maxLength": 500},
                        "content_base64": {"type": "string", "minLength": 1},
                    },
                }
            },
        },
    }
}

_ERROR_STATUS = {
    "timeout": 504,
    "too_large": 413,
    "too_many_pixels": 413,
    "too_many_pages": 413,
    "unsupported_type": 415,
    "empty_file": 422,
    "corrupt_file": 422,
    "encrypted_pdf": 422,
}
"""HTTP status of a document the reader could not read; a readable non-invoice is a 200 ``rejected`` record."""


@router.post(
    "/invoices/extract",
    openapi_extra=_EXTRACT_BODY,
    summary="Leer una factura (PDF o imagen): el mismo JSON que imprime `minimarket extract`",
    response_model=None,
    responses={200: {"model": ExtractedRecord, "description": "La factura leída."}, **errors(413, 415, 422, 504)},
)
async def extract_invoice(
    request: Request,
    save: bool = Query(False, description="Guardar la factura (idempotente: el mismo archivo o clave fiscal es uno)."),
    principal: Principal = Depends(needs(Role.CLIENT)),
) -> JSONResponse:
    rt = runtime(request)
    upload = await single_document(request)
    check_document(upload, rt.settings)
    path, known = await anyio.to_thread.run_sync(_store, rt, principal, upload, save)
    if known is not None:  # the same file was stored before: answered from the store, not read again
        return JSONResponse(known)
    timeout = min(rt.settings.request_timeout_seconds, rt.settings.extract_timeout_seconds + 10)
    try:
        answer = await asyncio.wait_for(rt.read(str(path), upload.name), timeout=timeout)
    except TimeoutError:
        raise ApiError(504, "timeout", f"«{upload.name}» no se terminó de leer en {timeout:g} s.") from None
    except ReaderBusy:
        raise ApiError(
            503, "busy", "Los lectores están ocupados; reintente en unos segundos.", {"Retry-After": "5"}
        ) from None
    record: dict[str, Any] = answer["invoice"]
    record_extraction(record, float(answer.get("seconds") or 0.0))
    error = record.get("error") or {}
    status = _ERROR_STATUS.get(str(error.get("code")), 200)
    if save and status == 200 and record.get("status") != "rejected":
        record.update(await anyio.to_thread.run_sync(_save, rt, principal, record))
    return JSONResponse(record, status_code=status)


def _store(rt: Any, principal: Principal, upload: Upload, save: bool) -> tuple[Path, dict[str, Any] | None]:
    """The document kept by its hash, and its stored record if this shop has it already (one worker thread)."""
    sha, path = rt.documents.put(upload.data)
    return path, _known(rt, principal, sha, upload.name, save)


def _known(rt: Any, principal: Principal, sha: str, name: str, save: bool) -> dict[str, Any] | None:
    """The stored record of a document this shop already has (with ``save``, the duplicate is recorded and
    answered as ``save_extracted`` answers it)."""
    from minimarket.store.invoices import record_duplicate_upload, stored_by_hash

    with shop_scope(rt, principal.shop, read_only=not save) as session:
        found = stored_by_hash(session, sha)
        if found is None:
            return None
        invoice_id, record = found
        record["source_file"] = name
        if save:
            outcome = record_duplicate_upload(
                session, invoice_id, name, sha, author=principal.subject, status=record["status"]
            )
            record["saved"] = outcome.as_dict()
    return record


def _save(rt: Any, principal: Principal, record: dict[str, Any]) -> dict[str, Any]:
    with shop_scope(rt, principal.shop) as session:
        saved, _ = save_result(session, record, save=True, author=principal.subject)
    return saved


def _decimal(value: str | None, name: str) -> Decimal | None:
    if value is None or value == "":
        return None
    from minimarket.domain.numbers import parse_amount

    try:
        return Decimal(parse_amount(value.strip()))
    except (ValueError, ArithmeticError, InvalidOperation):
        raise ApiError(422, "invalid_request", f"{name}={value!r} no es un importe; use 1234.56 o 1.234,56.") from None


@router.get(
    "/invoices",
    summary="Historial y búsqueda de facturas (texto, filtros, paginado por cursor)",
    response_model=None,
    responses={200: {"model": InvoicePage, "description": "Una página de facturas."}, **errors(422)},
)
def list_invoices(
    request: Request,
    text: str | None = Query(None, description="Texto: emisor, CUIT, número, CAE o descripción de ítems."),
    issuer_cuit: str | None = Query(None, description="CUIT del emisor (11 dígitos)."),
    status: str | None = Query(None, description="accepted, needs_review o rejected."),
    date_from: dt.date | None = Query(None, description="Fecha de emisión desde (AAAA-MM-DD)."),
    date_to: dt.date | None = Query(None, description="Fecha de emisión hasta (AAAA-MM-DD)."),
    min_total: str | None = Query(None, description="Total mínimo."),
    max_total: str | None = Query(None, description="Total máximo."),
    limit: int = Query(50, ge=1, le=200),
    cursor: int | None = Query(None, ge=1, le=MAX_ID, description="El next_cursor de la página anterior."),
    principal: Principal = Depends(needs(Role.MANAGER)),
) -> JSONResponse:
    from minimarket.store.search import SearchError, SearchQuery, search_summaries

    rt = runtime(request)
    query = SearchQuery(
        text=text,
        issuer_cuit=issuer_cuit,
        status=status,
        date_from=date_from,
        date_to=date_to,
        min_total=_decimal(min_total, "min_total"),
        max_total=_decimal(max_total, "max_total"),
        limit=limit,
        cursor=cursor,
        max_text=rt.settings.max_search_text,
    )
    with shop_scope(rt, principal.shop, read_only=True) as session:
        try:
            rows, next_cursor = search_summaries(session, query)
        except SearchError as exc:
            raise ApiError(422, "invalid_request", str(exc)) from None
    # built once from plain values: no response model validates and re-encodes it
    return JSONResponse({"invoices": rows, "next_cursor": next_cursor, "count": len(rows)})


def _invoice_row(session: Any, invoice_id: int) -> Any:
    from minimarket.store.invoices import get_invoice_row

    try:
        return get_invoice_row(session, invoice_id)
    except LookupError:
        raise not_found(f"la factura {invoice_id}") from None


@router.get(
    "/invoices/{invoice_id}",
    summary="Una factura: campos, ítems, controles y auditoría",
    response_model=None,
    responses={200: {"model": StoredInvoice, "description": "La factura guardada."}, **errors(404, 422)},
)
def get_invoice(
    invoice_id: InvoiceId, request: Request, principal: Principal = Depends(needs(Role.MANAGER))
) -> JSONResponse:
    rt = runtime(request)
    with shop_scope(rt, principal.shop, read_only=True) as session:
        row = _invoice_row(session, invoice_id)
        payload = dict(row.payload)
        payload["id"] = row.id
        payload["status"] = row.status
        payload["events"] = [
            {
                "kind": e.kind,
                "author": e.author,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "detail": e.detail,
                "at": e.created_at.isoformat() if e.created_at else None,
            }
            for e in row.events
        ]
        has_document = rt.documents.path(row.sha256).is_file()
        payload["document"] = {
            "available": has_document,
            "pages": payload.get("pages"),
            "page_url": f"/api/v1/invoices/{row.id}/page/{{n}}" if has_document else None,
        }
    return JSONResponse(payload)  # the stored JSON as it is: not validated and re-encoded again


@router.get(
    "/invoices/{invoice_id}/page/{page}",
    summary="Imagen PNG de una página del documento original",
    response_class=Response,
    responses={**PNG, **errors(404, 422)},
)
def invoice_page(
    invoice_id: InvoiceId, page: PageNumber, request: Request, principal: Principal = Depends(needs(Role.MANAGER))
) -> Response:
    from minimarket.documents.ingest import DocumentError
    from minimarket.documents.page_image import page_png

    rt = runtime(request)
    with shop_scope(rt, principal.shop, read_only=True) as session:
        sha = _invoice_row(session, invoice_id).sha256
    data = rt.documents.get(sha)
    if data is None:
        raise not_found(f"el documento original de la factura {invoice_id} (se guarda al recibirlo por la API)")
    try:
        png = page_png(data, page, rt.settings)
    except IndexError as exc:
        raise not_found(f"la página {page} ({exc})") from None
    except DocumentError as exc:
        raise ApiError(422, exc.code, exc.message) from None
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


class ReviewRequest(BaseModel):
    """A person's review: field corrections (``{"total": "1234,56", "items.3.sku": "YER-0001"}``), then
    ``correct`` (the default: the checks run again), ``confirm`` (accepted) or ``reject``."""

    author: str | None = Field(None, max_length=100, description="Quién revisa (por defecto, el sujeto del token).")
    corrections: dict[str, str] = Field(default_factory=dict, max_length=200)
    action: Literal["correct", "confirm", "reject"] = Field("correct", description="correct, confirm o reject.")
    reason: str | None = Field(None, max_length=500)


@router.post(
    "/invoices/{invoice_id}/review",
    summary="Correcciones con autor; los controles se repiten; confirmar o rechazar",
    response_model=None,
    responses={200: {"model": ReviewAnswer, "description": "Lo que hizo la revisión."}, **errors(404, 409, 413, 422)},
)
def review(
    invoice_id: InvoiceId, body: ReviewRequest, request: Request, principal: Principal = Depends(needs(Role.MANAGER))
) -> dict[str, Any]:
    from minimarket.store.corrections import CorrectionError, ReviewRefused, review_invoice

    rt = runtime(request)
    author = (body.author or "").strip() or principal.subject
    try:
        with shop_scope(rt, principal.shop) as session:
            _invoice_row(session, invoice_id)
            outcome = review_invoice(
                session,
                invoice_id,
                corrections=list(body.corrections.items()),
                action=body.action,
                author=author,
                reason=body.reason,
                settings=rt.settings,
            )
            return outcome.as_dict()
    except ReviewRefused as exc:  # a valid review that cannot be done as the invoice is now
        raise ApiError(409, "review_refused", _sentence(str(exc))) from None
    except (CorrectionError, ValueError) as exc:
        raise ApiError(422, "invalid_review", _sentence(str(exc))) from None
    except LookupError:  # gone between the check and the lock
        raise not_found(f"la factura {invoice_id}") from None


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
