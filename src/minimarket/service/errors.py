"""Errors of the HTTP API: always ``{"error": {"code", "message"}}`` with the right status, never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from minimarket.service.auth import AuthError
from minimarket.store.db import UnknownShop

log = logging.getLogger(__name__)

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    503: "unavailable",
    504: "timeout",
}


class ApiError(Exception):
    """An error answered to the client as it is (status, stable code, a message for people)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"No existe {what} en este comercio.")


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "cuerpo"


def describe_validation(errors: list[Any]) -> str:
    """The first few validation problems as one readable sentence."""
    parts = []
    for err in errors[:5]:
        message = str(err.get("msg", "valor inválido"))
        if err.get("type") == "json_invalid":
            parts.append("el cuerpo no es JSON válido")
            continue
        parts.append(f"{_field(err.get('loc', ()))}: {message}")
    more = f" (y {len(errors) - 5} más)" if len(errors) > 5 else ""
    return "Pedido inválido: " + "; ".join(parts) + more


def validation_error(errors: list[Any]) -> JSONResponse:
    """A 422 for FastAPI's validation errors (``invalid_json`` when the body is not JSON at all)."""
    code = "invalid_json" if any(err.get("type") == "json_invalid" for err in errors) else "invalid_request"
    return error_response(422, code, describe_validation(errors))


def http_error(exc: StarletteHTTPException) -> JSONResponse:
    """Starlette's and FastAPI's own errors in the API's format."""
    if exc.status_code == 400 and "parsing the body" in str(exc.detail):  # FastAPI: not JSON, or not UTF-8
        return error_response(422, "invalid_json", "El cuerpo no es JSON válido (UTF-8).")
    if exc.status_code == 400 and "multipart" in str(exc.detail).lower():  # Starlette: a broken multipart body
        return error_response(
            422, "invalid_multipart", "El cuerpo multipart no es válido; envíe el documento en el campo «file»."
        )
    code = _STATUS_CODES.get(exc.status_code, "error")
    message = "No existe esa ruta en la API (vea /api/v1/docs)." if exc.status_code == 404 else str(exc.detail)
    if exc.status_code == 405:
        message = "Método no permitido en esta ruta."
    return error_response(exc.status_code, code, message, dict(exc.headers or {}))


def install_error_handlers(app: FastAPI) -> None:
    """Every error of ``app`` answered in the API's error format."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(AuthError)
    async def _auth_error(_request: Request, exc: AuthError) -> JSONResponse:
        headers = {"WWW-Authenticate": 'Bearer realm="minimarket"'} if exc.status == 401 else None
        return error_response(exc.status, exc.code, exc.message, headers)

    @app.exception_handler(UnknownShop)
    async def _unknown_shop(_request: Request, exc: UnknownShop) -> JSONResponse:
        return error_response(403, "unknown_shop", f"{str(exc).capitalize()}.")

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_error(list(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return http_error(exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "Error interno del servidor; el pedido no se completó.")
