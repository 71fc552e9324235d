"""``POST invoices/batch`` and its progress: ``GET invoices/batch/{id}`` and ``.../events`` (SSE)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sse_starlette import EventSourceResponse

from minimarket.service import metrics as m
from minimarket.service.auth import Principal, Role
from minimarket.service.callbacks import CallbackRefused, check_callback_url
from minimarket.service.dependencies import needs, runtime, shop_scope
from minimarket.service.errors import ApiError, not_found
from minimarket.service.schemas import AUTH, EVENT_STREAM, BatchAccepted, BatchId, BatchView, errors
from minimarket.service.uploads import (
    Upload,
    check_document,
    decode_base64,
    media_type,
    read_json,
    unsupported_media,
)
from minimarket.store import batches as repo

router = APIRouter(tags=["lotes"], responses=errors(*AUTH))
log = logging.getLogger(__name__)

_BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["invoices"],
                    "properties": {
                        "invoices": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": 50,
                            "items": {
                                "type": "object",
                                "required": ["image"],
                                "properties": {
                                    "image": {
                                        "type": "string",
                                        "minLength": 1,
                                        "description": "El documento (PDF o imagen) en base64.",
                                    },
                                    "filename": {"type": "string"},
                                    "metadata": {"type": "object"},
                                },
                            },
                        },
                        "callback_url": {"type": "string", "format": "uri"},
                        "save": {"type": "boolean", "default": True},
                    },
                }
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                        "callback_url": {"type": "string"},
                        "save": {"type": "boolean"},
                    },
                }
            },
        },
    }
}


def _truthy(value: Any, default: bool = True) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "si", "sí", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ApiError(422, "invalid_request", f"save={value!r}: use true o false.")


def _json_documents(data: Any, limit: int) -> tuple[list[Upload], Any, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("invoices"), list):
        raise ApiError(
            422,
            "invalid_request",
            'Se espera {"invoices": [{"image": "<base64>", "metadata": {...}}], "callback_url": "..."}.',
        )
    items = data["invoices"]
    _check_count(len(items), limit)
    uploads = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ApiError(422, "invalid_request", f"invoices[{n}] debe ser un objeto con «image».")
        metadata = item.get("metadata") or {}
        if not isinstance(metadata, dict) or len(json.dumps(metadata, default=str)) > 10_000:
            raise ApiError(422, "invalid_request", f"invoices[{n}].metadata debe ser un objeto de hasta 10 kB.")
        raw = item.get("image", item.get("content_base64"))
        name = item.get("filename") or metadata.get("filename") or f"documento-{n}"
        if not isinstance(name, str) or len(name) > 500:
            raise ApiError(422, "invalid_request", f"invoices[{n}].filename debe ser un texto de hasta 500 caracteres.")
        uploads.append(Upload(name=name, data=decode_base64(raw, f"invoices[{n}].image"), metadata=metadata))
    return uploads, data.get("callback_url"), data.get("save")


def _check_count(count: int, limit: int) -> None:
    if count < 1:
        raise ApiError(422, "empty_batch", f"El lote no tiene documentos; envíe entre 1 y {limit}.")
    if count > limit:
        raise ApiError(
            422, "batch_too_large", f"El lote tiene {count} documentos; se aceptan hasta {limit} por pedido."
        )


async def _multipart_documents(request: Request, limit: int) -> tuple[list[Upload], Any, Any]:
    form = await request.form(max_files=limit + 1, max_fields=limit + 20)
    uploads: list[Upload] = []
    fields: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            fields[key] = value
        else:
            uploads.append(Upload(name=value.filename or key, data=await value.read()))
    await form.close()
    _check_count(len(uploads), limit)
    return uploads, fields.get("callback_url") or None, fields.get("save")


def _create(
    rt: Any, principal: Principal, uploads: list[Upload], save: bool, callback_url: str | None
) -> dict[str, Any]:
    docs = []
    for upload in uploads:
        sha, _path = rt.documents.put(upload.data)
        docs.append(repo.NewDocument(name=upload.name, sha256=sha, metadata=upload.metadata))
    with shop_scope(rt, principal.shop) as session:
        batch = repo.create_batch(
            session,
            docs,
            budget_seconds=rt.settings.batch_budget_seconds,
            save=save,
            author=principal.subject,
            callback_url=callback_url,
        )
        return {"batch_id": batch.id, "status": batch.status}


@router.post(
    "/invoices/batch",
    status_code=202,
    openapi_extra=_BATCH_BODY,
    summary="Enviar un lote de 1 a 50 documentos (se procesa en segundo plano)",
    response_model=None,
    responses={202: {"model": BatchAccepted, "description": "Lote aceptado."}, **errors(413, 415, 422)},
)
async def submit_batch(request: Request, principal: Principal = Depends(needs(Role.CLIENT))) -> JSONResponse:
    rt = runtime(request)
    limit = rt.settings.max_batch_size
    kind = media_type(request)
    if kind == "application/json":
        uploads, callback_url, save = _json_documents(await read_json(request), limit)
    elif kind == "multipart/form-data":
        uploads, callback_url, save = await _multipart_documents(request, limit)
    else:
        raise unsupported_media(kind, "application/json o multipart/form-data")
    for n, upload in enumerate(uploads, start=1):
        check_document(upload, rt.settings, where=f"El documento {n} ")
    if callback_url is not None:
        try:
            callback_url = await anyio.to_thread.run_sync(
                check_callback_url, callback_url, rt.settings.callback_allow_hosts
            )
        except CallbackRefused as exc:
            raise ApiError(422, "invalid_callback_url", str(exc)) from None
    created = await anyio.to_thread.run_sync(_create, rt, principal, uploads, _truthy(save), callback_url)
    m.BATCH_SIZE.observe(len(uploads))
    log.info(
        "batch %s of shop %s accepted from %s: %d document(s), callback %s",
        created["batch_id"],
        principal.shop,
        principal.subject,
        len(uploads),
        callback_url or "-",
    )
    rt.runner.wake()
    progress = f"/api/v1/invoices/batch/{created['batch_id']}"
    body = {**created, "total": len(uploads), "progress_url": progress, "events_url": progress + "/events"}
    return JSONResponse(body, status_code=202, headers={"Location": progress})


def _view(rt: Any, shop: str, batch_id: str, results: bool = True) -> dict[str, Any]:
    with shop_scope(rt, shop, read_only=True) as session:
        try:
            batch = repo.get_batch(session, batch_id)
        except LookupError:
            raise not_found(f"el lote {batch_id!r}") from None
        return repo.batch_view(batch, progress_url=f"/api/v1/invoices/batch/{batch_id}", results=results)


@router.get(
    "/invoices/batch/{batch_id}",
    summary="Estado y resultados de un lote",
    response_model=None,
    responses={200: {"model": BatchView, "description": "El lote."}, **errors(404)},
)
async def batch_status(
    batch_id: BatchId, request: Request, principal: Principal = Depends(needs(Role.CLIENT))
) -> dict[str, Any]:
    rt = runtime(request)
    return await anyio.to_thread.run_sync(_view, rt, principal.shop, batch_id)


@router.get(
    "/invoices/batch/{batch_id}/events",
    summary="Progreso de un lote como Server-Sent Events (progress, finished)",
    response_class=EventSourceResponse,
    responses={**EVENT_STREAM, **errors(404, 422)},
)
async def batch_events(
    batch_id: BatchId, request: Request, principal: Principal = Depends(needs(Role.CLIENT))
) -> EventSourceResponse:
    rt = runtime(request)
    await anyio.to_thread.run_sync(_view, rt, principal.shop, batch_id, False)  # 404 before streaming
    last = _last_event_id(request)

    async def stream() -> AsyncIterator[dict[str, Any]]:
        seen, sent = last, set[int]()
        while True:
            view = await anyio.to_thread.run_sync(_view, rt, principal.shop, batch_id)
            finished_count = view["done"] + view["failed"]
            if finished_count > seen or view["status"] == repo.FINISHED:
                seen = finished_count
                kind = "finished" if view["status"] == repo.FINISHED else "progress"
                payload = {k: v for k, v in view.items() if k != "results"}
                payload["new_results"] = [r for r in view["results"] if r["position"] not in sent]
                sent.update(r["position"] for r in view["results"])
                yield {"id": str(finished_count), "event": kind, "data": json.dumps(payload, ensure_ascii=False)}
                if kind == "finished":
                    return
            if rt.signals is not None:  # woken by the replica that stored a result; the poll stays the fallback
                await rt.signals.wait(batch_id, max(rt.settings.events_poll_seconds, 2.0))
            else:
                await asyncio.sleep(rt.settings.events_poll_seconds)

    return EventSourceResponse(stream(), ping=15)


def _last_event_id(request: Request) -> int:
    raw = request.headers.get("last-event-id") or request.query_params.get("last_event_id") or "0"
    try:
        return max(0, int(raw))
    except ValueError:
        raise ApiError(422, "invalid_request", f"Last-Event-ID {raw!r} debe ser un número.") from None
