"""Buying and pricing endpoints: purchase drafts a supplier accepts, shelf prices a shop prints, pack conversions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import anyio
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, StrictFloat

from minimarket.service.auth import Principal, Role
from minimarket.service.dependencies import needs, runtime
from minimarket.service.errors import ApiError
from minimarket.service.schemas import AUTH, errors
from minimarket.store.db import session_scope

router = APIRouter(tags=["compras y precios"], responses=errors(*AUTH))


class DraftsQuery(BaseModel):
    budget: str | None = Field(
        None, max_length=40, description="Caja de la semana en pesos («300000» o «300.000,00»); sin tope si falta."
    )
    today: dt.date | None = Field(
        None, description="Planificar a esta fecha (por defecto, el día después de la última venta)."
    )
    horizon_days: int = Field(7, ge=1, le=31, description="Días hacia adelante cuyos días de pedido se planifican.")


def _budget(text: str | None) -> Decimal | None:
    from minimarket.domain.numbers import parse_amount

    if text is None or not str(text).strip():
        return None
    try:
        value = parse_amount(str(text).strip())
    except (ValueError, InvalidOperation):
        raise ApiError(422, "invalid_request", f"budget={text!r} no es un importe; use 300000 o 300.000,00.") from None
    if value < 0:
        raise ApiError(422, "invalid_request", "El presupuesto no puede ser negativo.")
    return value


@router.post(
    "/purchases/drafts",
    responses=errors(413, 422),
    summary="Órdenes de compra borrador por proveedor: días de pedido, mínimos, bultos y presupuesto semanal",
)
async def purchase_drafts(
    body: DraftsQuery, request: Request, principal: Principal = Depends(needs(Role.MANAGER))
) -> dict[str, Any]:
    from minimarket.forecast.policies import load_policies
    from minimarket.purchasing.reports import purchase_plan

    rt = runtime(request)
    cash = _budget(body.budget)

    def run() -> dict[str, Any]:
        policies = load_policies(rt.settings.policies_path)
        with session_scope(principal.shop, url=rt.settings.sqlalchemy_url) as session:
            plan = purchase_plan(
                session, today=body.today, budget=cash, horizon_days=body.horizon_days, policies=policies
            )
        return plan.as_dict()

    return await anyio.to_thread.run_sync(run)


class ShelfQuery(BaseModel):
    rule: Literal["10", "50", "100", "9", "90", "99"] | None = Field(
        None,
        description="Precio redondo: múltiplos de 10, 50 o 100, o terminado en 9, 90 o 99 (por omisión, la regla "
        "del comercio: MINIMARKET_SHELF_PRICE_RULE).",
    )
    direction: Literal["nearest", "up"] = Field("nearest", description="Al más cercano o siempre hacia arriba.")
    review_days: int = Field(7, ge=1, le=90)
    min_excess_pp: float = Field(5.0, ge=0, le=100)
    markups: dict[str, StrictFloat] = Field(default_factory=dict, description="Margen % por categoría.")
    min_margins: dict[str, StrictFloat] = Field(
        default_factory=dict, description="Margen mínimo % sobre el costo por categoría, p. ej. {'Lácteos': 14}."
    )


@router.post(
    "/prices/shelf",
    responses=errors(413, 422),
    summary="Precios de góndola: redondeados, nunca bajo costo + margen mínimo, con el margen efectivo",
)
async def shelf_prices(
    body: ShelfQuery, request: Request, principal: Principal = Depends(needs(Role.MANAGER))
) -> dict[str, Any]:
    from minimarket.forecast.policies import PolicyError, load_policies
    from minimarket.purchasing.reports import shelf_prices as report_for
    from minimarket.service.routes.predictions import _inflation_view

    rt = runtime(request)

    def run() -> dict[str, Any]:
        try:
            policies = load_policies(rt.settings.policies_path).with_overrides(
                markups=[f"{k}={v}" for k, v in body.markups.items()],
                min_margins=[f"{k}={v}" for k, v in body.min_margins.items()],
            )
        except PolicyError as exc:
            raise ApiError(422, "invalid_request", str(exc)) from None
        view = _inflation_view(rt, principal.shop)
        monthly = [float(row["pct"]) for row in view["forecast"][:3]]
        known = {row["month"]: float(row["pct"]) for row in view["observed"]}
        with session_scope(principal.shop, url=rt.settings.sqlalchemy_url) as session:
            report = report_for(
                session,
                monthly_forecast_pct=monthly,
                known_monthly_pct=known,
                rule=body.rule or rt.settings.shelf_price_rule,
                direction=body.direction,
                review_period_days=body.review_days,
                policies=policies,
                min_excess_pp=body.min_excess_pp,
            )
        report["inflation_last_month"] = view["applied"]["month"]
        return report

    return await anyio.to_thread.run_sync(run)


@router.get(
    "/packs/conversions",
    responses=errors(422),
    summary="Líneas de factura en unidades de góndola por proveedor, con los costos unitarios inverosímiles",
)
def pack_conversions(
    request: Request,
    flagged: bool = Query(False, description="Solo las líneas con costo unitario inverosímil."),
    principal: Principal = Depends(needs(Role.MANAGER)),
) -> dict[str, Any]:
    from minimarket.purchasing.reports import pack_report

    rt = runtime(request)
    with session_scope(principal.shop, url=rt.settings.sqlalchemy_url) as session:
        return pack_report(session, only_flagged=flagged)


class PackConfirmation(BaseModel):
    supplier_cuit: str = Field(..., min_length=11, max_length=13, description="CUIT del proveedor.")
    sku: str = Field(..., min_length=1, max_length=64)
    units: int = Field(..., ge=1, le=500, description="Unidades de góndola por unidad facturada (bulto).")
    description: str | None = Field(None, max_length=500)


@router.post(
    "/packs/conversions",
    summary="Confirmar cuántas unidades trae el bulto de un proveedor",
    responses=errors(413, 422),
)
def confirm_pack(
    body: PackConfirmation, request: Request, principal: Principal = Depends(needs(Role.MANAGER))
) -> dict[str, Any]:
    from minimarket.store.packs import ConversionError, confirm_conversion

    rt = runtime(request)
    try:
        with session_scope(principal.shop, url=rt.settings.sqlalchemy_url) as session:
            row = confirm_conversion(
                session,
                body.supplier_cuit,
                body.sku,
                body.units,
                author=principal.subject,
                description=body.description,
            )
            return {"supplier_cuit": row.supplier_cuit, "sku": row.sku, "units": row.units, "author": row.author}
    except ConversionError as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
