"""``GET /api/v1/events``: the shop's notifications as Server-Sent Events, resumable with ``Last-Event-ID``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
from fastapi import APIRouter, Depends, Query, Request
from sse_starlette import EventSourceResponse

from minimarket.service.auth import Principal, Role
from minimarket.service.dependencies import needs, runtime, shop_scope
from minimarket.service.errors import ApiError
from minimarket.service.schemas import AUTH, EVENT_STREAM, MAX_ID, errors
from minimarket.store.notifications import KINDS, as_event, since

router = APIRouter(tags=["avisos"], responses=errors(*AUTH))


@router.get(
    "/events",
    summary="Avisos del comercio (SSE): factura a revisar, lote terminado, stock bajo, suba de precios, IPC aplicado",
    response_class=EventSourceResponse,
    responses={**EVENT_STREAM, **errors(422)},
)
async def events(
    request: Request,
    kinds: str | None = Query(None, description=f"Solo estos tipos, separados por coma: {', '.join(KINDS)}."),
    last_event_id: int | None = Query(None, ge=0, le=MAX_ID, description="Como el encabezado Last-Event-ID."),
    principal: Principal = Depends(needs(Role.MANAGER)),
) -> EventSourceResponse:
    rt = runtime(request)
    wanted = tuple(k.strip() for k in kinds.split(",") if k.strip()) if kinds else None
    unknown = [k for k in wanted or () if k not in KINDS]
    if unknown:
        raise ApiError(
            422, "invalid_request", f"Tipos de aviso desconocidos {unknown}; se aceptan: {', '.join(KINDS)}."
        )
    header = request.headers.get("last-event-id")
    try:
        start = int(header) if header else (last_event_id or 0)
        if not 0 <= start <= MAX_ID:
            raise ValueError(header)
    except ValueError:
        raise ApiError(422, "invalid_request", f"Last-Event-ID {header!r} debe ser un número entero desde 0.") from None

    def fetch(after: int) -> list[dict[str, Any]]:
        with shop_scope(rt, principal.shop, read_only=True) as session:
            return [as_event(row) for row in since(session, after, kinds=wanted)]

    async def stream() -> AsyncIterator[dict[str, Any]]:
        after = start
        while True:
            for event in await anyio.to_thread.run_sync(fetch, after):
                after = event["id"]
                yield {"id": str(event["id"]), "event": event["kind"], "data": json.dumps(event, ensure_ascii=False)}
            await asyncio.sleep(rt.settings.events_poll_seconds)

    return EventSourceResponse(stream(), ping=15)
