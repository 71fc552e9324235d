"""The request dependencies of the endpoints: the service's runtime, the verified caller with its role (rate
limits per address, then per token; its shop must exist), the transaction in the caller's shop, and the check
that a request carries only the query parameters its route takes. A module of its own so that the routes and
the app that mounts them both import it, and not each other."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import anyio
from fastapi import Depends, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from minimarket.service import metrics as m
from minimarket.service.auth import AuthError, Principal, Role, require, verify_token
from minimarket.service.errors import ApiError
from minimarket.service.runtime import ApiRuntime
from minimarket.store.db import session_scope

__all__ = ["BEARER", "SHOP_HEADER", "caller", "chain_manager", "known_query", "needs", "runtime", "shop_scope"]

SHOP_HEADER = "X-Minimarket-Shop"
"""With a chain token, the member shop a read (GET) route works on: its code or its numeric id."""
CHAIN_PREFIX = "/chain/"
"""The routes of a whole chain: a chain token reads them without :data:`SHOP_HEADER`."""
READ_METHODS = frozenset({"GET", "HEAD"})


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
    description=(
        "Un token de `minimarket token create --role R` (client, manager o admin) con un comercio (`--shop`) "
        "o, para manager y admin, una cadena (`--chain`): entonces las rutas GET eligen el comercio con el "
        f"encabezado `{SHOP_HEADER}`."
    ),
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
    if principal.chain is not None:
        principal = await _chain_principal(rt, request, principal)
    else:
        if not await rt.shop_exists(principal.shop):
            m.AUTH_FAILURES.labels(code="unknown_shop").inc()
            raise _unknown_shop(principal.shop)
        chosen = request.headers.get(SHOP_HEADER)
        if chosen is not None and chosen.strip() != principal.shop:
            m.AUTH_FAILURES.labels(code="shop_header_refused").inc()
            raise AuthError(
                403,
                "shop_header_refused",
                f"El encabezado {SHOP_HEADER} elige un comercio solo con un token de cadena; su token es del "
                f"comercio «{principal.shop}» y trabaja únicamente sobre él.",
            )
    request.state.principal = principal
    return principal


async def _chain_principal(rt: ApiRuntime, request: Request, principal: Principal) -> Principal:
    """A chain token on this request: the chain routes take it as it is; a read route gets the member shop of
    :data:`SHOP_HEADER`; any other route refuses it (a chain token never writes)."""
    from dataclasses import replace

    from minimarket.service.runtime import chain_exists, chain_shop

    chain = principal.chain or ""
    path = str(getattr(request.scope.get("route"), "path", ""))
    if path.startswith(CHAIN_PREFIX):
        if not await anyio.to_thread.run_sync(chain_exists, rt.settings.sqlalchemy_url, chain):
            m.AUTH_FAILURES.labels(code="unknown_chain").inc()
            raise AuthError(
                403,
                "unknown_chain",
                f"La cadena «{chain}» de su token no existe en este servidor; un administrador la crea con "
                f"«minimarket shop chain create {chain}» y emite el token de nuevo.",
            )
        return principal
    if request.method.upper() not in READ_METHODS:
        m.AUTH_FAILURES.labels(code="chain_read_only").inc()
        raise AuthError(
            403,
            "chain_read_only",
            "Un token de cadena solo consulta (GET); para modificar datos use un token del comercio "
            "(minimarket token create --shop CODIGO).",
        )
    chosen = (request.headers.get(SHOP_HEADER) or "").strip()
    if not chosen:
        raise ApiError(
            400,
            "shop_header_missing",
            f"Con un token de cadena, indique el comercio en el encabezado «{SHOP_HEADER}: <código o id>» "
            f"(los comercios de la cadena: GET /api/v1/chain/shops).",
        )
    code = await anyio.to_thread.run_sync(chain_shop, rt.settings.sqlalchemy_url, chain, chosen[:64])
    if code is None:
        m.AUTH_FAILURES.labels(code="shop_not_in_chain").inc()
        raise ApiError(404, "not_found", f"El comercio «{chosen[:64]}» no existe o no pertenece a su cadena.")
    return replace(principal, shop=code)


async def chain_manager(principal: Principal = Depends(caller)) -> Principal:
    """The caller of a chain route: a chain token of role manager or higher (403 otherwise)."""
    try:
        require(principal, Role.MANAGER)
        if principal.chain is None:
            raise AuthError(
                403,
                "chain_only",
                "Esta ruta es de las cadenas: necesita un token de cadena (minimarket token create --role manager "
                "--chain CODIGO); su token es de un comercio.",
            )
    except AuthError as exc:
        m.AUTH_FAILURES.labels(code=exc.code).inc()
        raise
    return principal


def _query_names(dependant: Any) -> set[str]:
    """The query parameters a route's endpoint and its dependencies take."""
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def known_query(request: Request) -> None:
    """Refuse query parameters the route does not take (a typo such as ``?stauts=`` is a 422, not ignored).

    Raised as a validation error, so that a request without a valid token is still a 401 first. Async: it
    does no I/O, and a sync dependency would cost every request a hop to the thread pool."""
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
