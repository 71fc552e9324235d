"""The API's FastAPI application (mounted by the BentoML service at ``/api/v1``): routes, auth, limits,
errors and metrics. Endpoints are thin: they check the caller and the input, then call the library."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from minimarket import __version__
from minimarket.service import metrics as m
from minimarket.service.auth import AuthError
from minimarket.service.dependencies import CHAIN_PREFIX, SHOP_HEADER, caller, known_query
from minimarket.service.errors import (
    ApiError,
    error_body,
    http_error,
    install_error_handlers,
    validation_error,
)
from minimarket.service.runtime import ApiRuntime

log = logging.getLogger(__name__)

PREFIX = "/api/v1"

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "Cross-Origin-Resource-Policy": "same-origin",
}
"""Headers of every API answer: JSON and PNG are never sniffed as HTML, framed, or sent a referrer."""

DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
"""The interactive docs page (Swagger UI from its CDN, started by an inline script) needs a little more."""


class PrintablePath:
    """Outer middleware (on BentoML's application, around the mount of the API): control characters in a path are
    percent-encoded again. Starlette's mount pattern stops at a newline, so ``/api/v1/models/a%0Ab`` would get
    the server's plain-text 404 instead of the API's answer (a 401 without a token, a JSON 404 with one)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if any(ord(char) < 0x20 or ord(char) == 0x7F for char in path):
            printable = "".join(quote(char) if ord(char) < 0x20 or ord(char) == 0x7F else char for char in path)
            scope = {**scope, "path": printable}
        await self.app(scope, receive, send)


class ApiMiddleware:
    """Body size limits (413), request metrics, and a JSON 500 for anything unexpected (never a traceback)."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int | None]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state = {"status": 500, "sent": False}
        limit = self.limit_for(scope.get("path", ""))

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["sent"] = True
                message = {**message, "headers": _secured(message.get("headers", []), scope.get("path", ""))}
            await send(message)

        try:
            declared = _content_length(scope)
            if limit is not None and declared is not None and declared > limit:
                await _send_error(sending, 413, "too_large", _too_large_message(declared, limit))
                return
            await self.app(scope, _limited(receive, limit) if limit is not None else receive, sending)
        except _BodyTooLarge:
            if not state["sent"]:
                await _send_error(sending, 413, "too_large", _too_large_message(None, limit or 0))
        except Exception:
            log.exception("unhandled error on %s", scope.get("path"))
            if not state["sent"]:
                message = "Error interno del servidor; el pedido no se completó."
                await _send_error(sending, 500, "internal_error", message)
        finally:
            endpoint = _endpoint(scope, state["status"])
            labels = {"endpoint": endpoint, "method": scope.get("method", ""), "status": str(state["status"])}
            m.REQUESTS.labels(**labels).inc()
            m.LATENCY.labels(**labels).observe(time.perf_counter() - started)


def _secured(headers: list[tuple[bytes, bytes]], path: str) -> list[tuple[bytes, bytes]]:
    """``headers`` with :data:`SECURITY_HEADERS` added (the docs page gets :data:`DOCS_CSP`) and, unless the
    endpoint chose its own caching, ``Cache-Control: no-store`` (answers are per token)."""
    present = {name.lower() for name, _ in headers}
    wanted = dict(SECURITY_HEADERS)
    if path.rstrip("/").endswith("/docs"):
        wanted["Content-Security-Policy"] = DOCS_CSP
    wanted.setdefault("Cache-Control", "no-store")
    extra = [(k.lower().encode(), v.encode()) for k, v in wanted.items() if k.lower().encode() not in present]
    return [*headers, *extra]


def _endpoint(scope: Scope, status: Any) -> str:
    """The route template (``/api/v1/invoices/{invoice_id}``): bounded label values."""
    from fastapi.routing import APIRoute

    route = scope.get("route")
    if isinstance(route, APIRoute):
        return PREFIX + route.path
    return "unmatched" if status == 404 else str(scope.get("path", ""))


class _BodyTooLarge(Exception):
    pass


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _too_large_message(size: int | None, limit: int) -> str:
    mb = limit / (1024 * 1024)
    prefix = f"El pedido pesa {size / (1024 * 1024):.1f} MB; " if size else "El pedido es demasiado grande; "
    return (prefix + f"el máximo es {mb:.1f} MB.").replace(".", ",", 2 if size else 1)


def _limited(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _BodyTooLarge
        return message

    return wrapped


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps(error_body(code, message), ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _caller_refused(request: Request) -> JSONResponse | None:
    """The error answer if the caller of ``request`` is refused (no token, bad token, rate limited...), else None.

    The caller may not have been checked yet when FastAPI refuses the input before the dependencies run."""
    if getattr(request.state, "principal", None) is not None:
        return None
    try:
        await caller(request)
    except (AuthError, ApiError) as refused:
        handler = request.app.exception_handlers[type(refused)]
        response: JSONResponse = await handler(request, refused)
        return response
    return None


def api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """Every endpoint of ``app`` with the prefix it is included under (FastAPI >= 0.165 includes routers lazily:
    their routes are reached through ``original_router``), the fallback route aside."""

    def walk(routes: list[Any], prefix: str) -> Iterator[tuple[str, APIRoute]]:
        for route in routes:
            included = getattr(route, "original_router", None)
            if included is not None:
                yield from walk(included.routes, prefix + getattr(route.include_context, "prefix", ""))
            elif isinstance(route, APIRoute) and route.path != "/{path:path}":
                yield prefix, route

    yield from walk(app.router.routes, "")


def _add_fallback_route(app: FastAPI) -> None:
    """Unknown paths under the prefix answer in the API's format (BentoML's own 404 is plain text); a known path
    with another method is a 405 naming the methods it takes."""
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

    @app.api_route("/{path:path}", methods=methods, include_in_schema=False)
    async def fallback(request: Request, path: str) -> None:
        allowed: set[str] = set()
        for prefix, route in api_routes(app):
            here = "/" + path
            if here.startswith(prefix) and route.path_regex.match(here[len(prefix) :]):
                allowed.update(route.methods or ())
        if allowed:
            listed = ", ".join(sorted(allowed))
            raise ApiError(
                405,
                "method_not_allowed",
                f"Método {request.method} no permitido en esta ruta; se acepta {listed}.",
                {"Allow": listed},
            )
        raise ApiError(404, "not_found", f"No existe la ruta /{path} en la API (vea /api/v1/docs).")


def create_app() -> FastAPI:
    """The API application; ``app.state.runtime`` is set by the service when it starts."""
    from minimarket.service.routes import accounting, batches, chain, events, invoices, predictions, purchasing

    app = FastAPI(
        title="minimarket API",
        version=__version__,
        description=(
            "Facturas de proveedores, pronósticos de demanda e inflación y precios para almacenes. "
            "Autenticación: `Authorization: Bearer <token>` (`minimarket token create --role R`). "
            'Errores: `{"error": {"code", "message"}}`.'
        ),
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
        dependencies=[Depends(known_query)],
    )
    install_error_handlers(app)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        """The caller is checked before its input: without a valid token, bad input is a 401 like any other."""
        refused = await _caller_refused(request)
        if refused is not None:
            return refused
        return validation_error(list(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """A body that is not JSON (FastAPI's 400) is input too: the caller is checked first."""
        if exc.status_code == 400:
            refused = await _caller_refused(request)
            if refused is not None:
                return refused
        return http_error(exc)

    for router in (
        batches.router,
        invoices.router,
        predictions.router,
        events.router,
        accounting.router,
        purchasing.router,
        chain.router,
    ):
        app.include_router(router)
    _add_fallback_route(app)

    def limit_for(path: str) -> int | None:
        rt: ApiRuntime | None = getattr(app.state, "runtime", None)
        if rt is None:
            return None
        settings = rt.settings
        if path.endswith("/invoices/batch"):
            return settings.max_batch_request_bytes
        if path.endswith(("/invoices/extract", "/accounting/arca/reconcile")):
            return settings.max_upload_bytes * 4 // 3 + 64 * 1024
        return 1024 * 1024

    app.add_middleware(ApiMiddleware, limit_for=limit_for)
    _document_shop_header(app)
    return app


def _document_shop_header(app: FastAPI) -> None:
    """The OpenAPI schema lists the ``X-Minimarket-Shop`` header on the routes that accept it: every GET of a
    shop (a chain token chooses its member shop with it), not the chain routes nor the writes."""
    build = app.openapi
    documented = False

    def openapi() -> dict[str, Any]:
        nonlocal documented
        schema = build()
        if documented:
            return schema
        documented = True
        for path, operations in schema.get("paths", {}).items():
            get = operations.get("get")
            if get is None or path.startswith(CHAIN_PREFIX):
                continue
            get.setdefault("parameters", []).append(
                {
                    "name": SHOP_HEADER,
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "maxLength": 64},
                    "description": (
                        "Solo con un token de cadena (obligatorio entonces): el comercio de la cadena a consultar, "
                        "por su código o su id. Con un token de comercio no se envía."
                    ),
                }
            )
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
