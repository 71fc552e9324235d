"""The request dependencies of the endpoints: the service's runtime, the verified caller with its role (rate
limits per address, then per token; its shop must exist), the transaction in the caller's shop, and the check
that a request carries only the query parameters its route takes. A module of its own so that the routes and
the app that mounts them both import it, and not each other."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from fastapi import Depends, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from minimarket.service import metrics as m
from minimarket.service.auth import AuthError, Principal, Role, require, verify_token
from minimarket.service.errors import ApiError
from minimarket.service.runtime import ApiRuntime
from minimarket.store.db import session_scope

__all__ = ["BEARER", "caller", "known_query", "needs", "runtime", "shop_scope"]


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


def shop_scope(rt: ApiRuntime, shop: str, *, read_only: bool = False) -> AbstractContextManager[Session]:
    """A transaction in the token's shop, which must exist (never created by the API: ``UnknownShop``, a 403).

    ``read_only`` for endpoints that only read (on SQLite they then never queue behind writers)."""
    return session_scope(shop, url=rt.settings.sqlalchemy_url, create_shop=False, read_only=read_only)


def _unknown_shop(shop: str) -> AuthError:
    return AuthError(
        403,
        "unknown_shop",
        f"El comercio «{shop}» de su token no existe en este servidor; un administrador lo crea con "
        f"«minimarket shop create {shop}» y emite el token de nuevo.",
    )


BEARER = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="Un token de `minimarket token create --role R` (client, manager o admin; un comercio).",
)
"""Documents the bearer scheme in the OpenAPI; :func:`caller` reads and checks the header itself."""


async def caller(request: Request, _documented: HTTPAuthorizationCredentials | None = Security(BEARER)) -> Principal:
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
    if not await rt.shop_exists(principal.shop):
        m.AUTH_FAILURES.labels(code="unknown_shop").inc()
        raise _unknown_shop(principal.shop)
    request.state.principal = principal
    return principal


def _query_names(dependant: Any) -> set[str]:
    """The query parameters a route's endpoint and its dependencies take."""
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def known_query(request: Request) -> None:
    """Refuse query parameters the route does not take (a typo such as ``?stauts=`` is a 422, not ignored).

    Raised as a validation error, so that a request without a valid token is still a 401 first."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or getattr(route, "path", "") == "/{path:path}":
        return
    accepted = sorted(_query_names(dependant))
    unknown = sorted(set(request.query_params) - set(accepted))
    if unknown:
        takes = f"se aceptan: {', '.join(accepted)}" if accepted else "esta ruta no lleva parámetros"
        raise RequestValidationError(
            [
                {"type": "extra_forbidden", "loc": ("query", name), "msg": f"parámetro desconocido ({takes})"}
                for name in unknown
            ]
        )


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
