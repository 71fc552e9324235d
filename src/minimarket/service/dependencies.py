"""The request dependencies of the endpoints: the service's runtime, and the verified caller with its role
(rate limits per address, then per token). A module of its own so that the routes and the app that mounts
them both import it, and not each other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, Request

from minimarket.service import metrics as m
from minimarket.service.auth import AuthError, Principal, Role, require, verify_token
from minimarket.service.errors import ApiError
from minimarket.service.runtime import ApiRuntime

__all__ = ["caller", "needs", "runtime"]


def runtime(request: Request) -> ApiRuntime:
    rt: ApiRuntime | None = getattr(request.app.state, "runtime", None)
    if rt is None:
        raise ApiError(
            503, "starting", "El servicio está arrancando; reintente en unos segundos.", {"Retry-After": "2"}
        )
    return rt


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _too_many(scope: str, wait: int) -> ApiError:
    m.RATE_LIMITED.labels(limit=scope).inc()
    who = "este token" if scope == "token" else "esta dirección"
    return ApiError(
        429,
        "rate_limited",
        f"Demasiados pedidos desde {who}; reintente en {wait} s.",
        {"Retry-After": str(wait)},
    )


async def caller(request: Request) -> Principal:
    """The verified caller of the request (rate limits per address, then per token)."""
    rt = runtime(request)
    wait = rt.limits.hit("ip", _client_ip(request))
    if wait is not None:
        raise _too_many("ip", wait)
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        m.AUTH_FAILURES.labels(code="missing_token").inc()
        raise AuthError(
            401, "missing_token", "Falta el token: envíe «Authorization: Bearer <token>» (minimarket token create)."
        )
    try:
        principal = verify_token(rt.keys, token.strip(), audience=rt.settings.jwt_audience)
    except AuthError as exc:
        m.AUTH_FAILURES.labels(code=exc.code).inc()
        raise
    wait = rt.limits.hit("token", principal.token_id or principal.subject)
    if wait is not None:
        raise _too_many("token", wait)
    request.state.principal = principal
    return principal


def needs(role: Role) -> Callable[..., Any]:
    """A dependency giving the caller if its role is at least ``role`` (403 otherwise)."""

    async def dependency(principal: Principal = Depends(caller)) -> Principal:
        try:
            require(principal, role)
        except AuthError as exc:
            m.AUTH_FAILURES.labels(code=exc.code).inc()
            raise
        return principal

    return dependency
