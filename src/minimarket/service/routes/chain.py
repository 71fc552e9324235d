"""Chain endpoints: per-shop and whole-chain figures for a chain token (managers of a chain of shops).

Thin: the figures are :mod:`minimarket.analytics.chain`'s. A shop token gets a 403 here."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Depends, Request

from minimarket.service.auth import Principal
from minimarket.service.dependencies import chain_manager, runtime
from minimarket.service.schemas import AUTH, errors
from minimarket.store.db import session_scope

router = APIRouter(tags=["cadenas"], responses=errors(*AUTH))


def _shops(url: str, chain: str) -> dict[str, Any]:
    from minimarket.analytics.chain import chain_shops

    with session_scope(url=url, all_shops=True, read_only=True) as session:
        return {"chain": chain, "shops": [s.as_json() for s in chain_shops(session, chain)]}


def _summary(url: str, chain: str) -> dict[str, Any]:
    from minimarket.analytics.chain import chain_summary

    with session_scope(url=url, all_shops=True, read_only=True) as session:
        return chain_summary(session, chain).as_json()


@router.get(
    "/chain/shops",
    summary="Comercios de la cadena del token, con sus cifras (facturas, compras, última factura, por revisar)",
)
async def chain_shops_route(request: Request, principal: Principal = Depends(chain_manager)) -> dict[str, Any]:
    rt = runtime(request)
    return await anyio.to_thread.run_sync(_shops, rt.settings.sqlalchemy_url, principal.chain or "")


@router.get(
    "/chain/summary",
    summary="Totales de toda la cadena y los principales proveedores y productos entre sus comercios",
)
async def chain_summary_route(request: Request, principal: Principal = Depends(chain_manager)) -> dict[str, Any]:
    rt = runtime(request)
    return await anyio.to_thread.run_sync(_summary, rt.settings.sqlalchemy_url, principal.chain or "")
