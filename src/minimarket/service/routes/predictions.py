"""Predictions and shop reports: demand, stock alerts, inflation, price suggestions, models."""

from __future__ import annotations

import getpass
from typing import Any

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictFloat

from minimarket.service import metrics as m
from minimarket.service.auth import Principal, Role
from minimarket.service.dependencies import needs, runtime, shop_scope
from minimarket.service.errors import ApiError
from minimarket.service.schemas import (
    AUTH,
    DemandAnswer,
    InflationApplied,
    InflationView,
    ModelName,
    ModelsView,
    PriceReport,
    Promoted,
    StockAlerts,
    errors,
)

router = APIRouter(tags=["pronósticos"], responses=errors(*AUTH))


class DemandQuery(BaseModel):
    skus: list[str] = Field(..., min_length=1, max_length=200, description="SKUs del catálogo (1 a 200).")
    horizon: int = Field(14, ge=1, le=60, description="Días a pronosticar.")


@router.post(
    "/predict/demand",
    summary="Demanda diaria P10/P50/P90, punto de pedido y días de cobertura por SKU",
    response_model=None,
    responses={200: {"model": DemandAnswer, "description": "Un pronóstico por SKU."}, **errors(413, 422)},
)
async def predict_demand(
    body: DemandQuery, request: Request, principal: Principal = Depends(needs(Role.CLIENT))
) -> JSONResponse:
    rt = runtime(request)
    skus = [s.strip() for s in body.skus]
    if any(not s or len(s) > 64 for s in skus):
        raise ApiError(422, "invalid_request", "Cada SKU debe ser un texto de 1 a 64 caracteres.")
    answers = await rt.forecast([{"shop": principal.shop, "skus": skus, "horizon": body.horizon}])
    answer = answers[0]
    if "error" in answer:
        status = 403 if answer["error"]["code"] == "unknown_shop" else 422
        raise ApiError(status, answer["error"]["code"], answer["error"]["message"])
    return JSONResponse(answer)  # plain JSON from the forecaster: FastAPI's encoder pass would copy it for nothing


def _policy(rt: Any) -> Any:
    from minimarket.forecast.policies import load_policies
    from minimarket.forecast.reorder import ReorderPolicy

    return ReorderPolicy.from_policies(load_policies(rt.settings.policies_path))


@router.get(
    "/stock/alerts",
    summary="Productos a reponer, agrupados por proveedor (órdenes de compra borrador)",
    response_model=None,
    responses={200: {"model": StockAlerts, "description": "Órdenes de compra borrador."}},
)
def stock_alerts(request: Request, principal: Principal = Depends(needs(Role.MANAGER))) -> dict[str, Any]:
    from minimarket.forecast.shop_reports import stock_alerts as alerts
    from minimarket.store.notifications import seen

    rt = runtime(request)
    with shop_scope(rt, principal.shop, read_only=True) as session:
        report = alerts(session, _policy(rt), cache=rt.alerts)
        low = {_low_stock_key(item, report): (order, item) for order, item in _needing_order(report)}
        known = seen(session, low.keys())
        new = [pair for key, pair in low.items() if key not in known]
    if new:  # the write transaction (SQLite's write lock) only when there is something to announce
        _publish_low_stock(rt, principal.shop, report, new)
    return report


def _needing_order(report: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(purchase order, item) for every item of ``report`` that needs ordering."""
    return [
        (order, item)
        for order in report.get("suppliers", [])
        for item in order.get("items", [])
        if item.get("needs_order")
    ]


def _low_stock_key(item: dict[str, Any], report: dict[str, Any]) -> str:
    return f"low_stock:{item['sku']}:{report.get('as_of')}"


def _publish_low_stock(
    rt: Any, shop: str, report: dict[str, Any], items: list[tuple[dict[str, Any], dict[str, Any]]]
) -> None:
    from minimarket.store.notifications import publish

    with shop_scope(rt, shop) as session:
        for order, item in items:
            publish(
                session,
                "low_stock",
                {
                    "sku": item["sku"],
                    "name": item.get("name"),
                    "stock": item.get("stock"),
                    "reorder_point": item.get("reorder_point"),
                    "supplier_name": order.get("supplier_name"),
                    "message": f"Stock bajo de {item.get('name') or item['sku']}: pedir "
                    f"{item.get('suggested_qty')} a {order.get('supplier_name')}.",
                },
                dedupe_key=_low_stock_key(item, report),
            )


def _records(frame: Any) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _inflation_view(rt: Any, shop: str) -> dict[str, Any]:
    from minimarket.forecast.inflation import InflationForecaster
    from minimarket.forecast.inflation_update import current_data
    from minimarket.store.inflation import observations

    with shop_scope(rt, shop, read_only=True) as session:
        data = current_data(session)
        recorded = observations(session)
        latest = recorded[-1] if recorded else None
    key = (
        "inflation",
        shop,
        str(data.last_month),
        float(data.headline.iloc[-1]),
        rt.models.get("inflation-forecaster"),
    )

    def fit() -> tuple[list[dict[str, Any]], str]:
        if rt.models.get("inflation-forecaster", "fitted-at-start") != "fitted-at-start":
            try:
                from minimarket.forecast.inflation_mlflow import load_champion_forecaster

                champion = load_champion_forecaster()
                if champion.data is not None and champion.data.last_month == data.last_month:
                    return _records(champion.forecast(6)), "champion"
            except Exception:
                pass
        forecaster = InflationForecaster().fit(data)
        return _records(forecaster.forecast(6)), "fitted"

    forecast, method = rt.cache.get(key, fit)
    applied: dict[str, Any] = {
        "month": str(data.last_month),
        "pct": round(float(data.headline.iloc[-1]), 4),
        "source": latest.source if latest is not None and latest.month == str(data.last_month) else "INDEC",
    }
    m.INFLATION_APPLIED.labels(shop=shop).set(applied["pct"])
    observed = [{"month": str(month), "pct": round(float(pct), 4)} for month, pct in data.headline.iloc[-24:].items()]
    return {"observed": observed, "forecast": forecast, "method": method, "applied": applied, "level": 0.9}


@router.get(
    "/inflation",
    summary="Inflación mensual: serie observada, pronóstico con intervalo y la cifra aplicada",
    response_model=None,
    responses={200: {"model": InflationView, "description": "Serie, pronóstico y cifra aplicada."}},
)
async def inflation(request: Request, principal: Principal = Depends(needs(Role.MANAGER))) -> dict[str, Any]:
    rt = runtime(request)
    return await anyio.to_thread.run_sync(_inflation_view, rt, principal.shop)


class InflationUpdate(BaseModel):
    month: str = Field(..., pattern=r"^\d{4}-\d{2}$", description="Mes de la cifra, AAAA-MM.")
    pct: float = Field(..., description="Inflación mensual en %, p. ej. 2.1.")
    source: str = Field("INDEC", min_length=1, max_length=200)
    force: bool = False
    reason: str | None = Field(None, max_length=500)
    refit: bool = Field(True, description="Reentrenar y promover el modelo si no es peor.")


@router.post(
    "/inflation/update",
    summary="Registrar la cifra mensual del IPC (con control de plausibilidad)",
    response_model=None,
    responses={200: {"model": InflationApplied, "description": "La cifra registrada."}, **errors(413, 422)},
)
async def inflation_update(
    body: InflationUpdate, request: Request, principal: Principal = Depends(needs(Role.ADMIN))
) -> dict[str, Any]:
    from minimarket.forecast.inflation_update import UpdateRefused, update_inflation
    from minimarket.store.notifications import publish

    rt = runtime(request)

    def run() -> dict[str, Any]:
        result = update_inflation(
            body.month,
            body.pct,
            source=body.source,
            author=principal.subject,
            force=body.force,
            reason=body.reason,
            refit=body.refit,
            shop=principal.shop,
        )
        with shop_scope(rt, principal.shop) as session:
            publish(
                session,
                "cpi_applied",
                {
                    "month": result.month,
                    "pct": result.pct,
                    "source": result.source,
                    "message": f"Se aplicó el IPC de {result.month}: {result.pct:g} % ({result.source}).",
                },
                dedupe_key=f"cpi:{result.month}:{result.observation_id}",
            )
        return result.as_dict()

    try:
        answer = await anyio.to_thread.run_sync(run)
    except UpdateRefused as exc:
        raise ApiError(422, "update_refused", str(exc)) from None
    rt.cache.clear()
    m.INFLATION_APPLIED.labels(shop=principal.shop).set(body.pct)
    return answer


class PriceQuery(BaseModel):
    review_days: int = Field(7, ge=1, le=90)
    min_excess_pp: float = Field(5.0, ge=0, le=100)
    markups: dict[str, StrictFloat] = Field(
        default_factory=dict, description="Margen % por categoría, p. ej. {'Lácteos': 30}."
    )
    default_markup: float | None = Field(None, ge=0, le=500)


@router.post(
    "/prices/suggest",
    summary="Precios sugeridos y subas de proveedores por encima de la inflación esperada",
    response_model=None,
    responses={200: {"model": PriceReport, "description": "Precios sugeridos."}, **errors(413, 422)},
)
async def prices_suggest(
    body: PriceQuery, request: Request, principal: Principal = Depends(needs(Role.MANAGER))
) -> dict[str, Any]:
    from minimarket.forecast.policies import PolicyError, load_policies
    from minimarket.forecast.shop_reports import price_suggestions
    from minimarket.store.notifications import publish

    rt = runtime(request)

    def run() -> dict[str, Any]:
        try:
            policies = load_policies(rt.settings.policies_path).with_overrides(
                markups=[f"{k}={v}" for k, v in body.markups.items()], default_markup_pct=body.default_markup
            )
        except PolicyError as exc:
            raise ApiError(422, "invalid_request", str(exc)) from None
        view = _inflation_view(rt, principal.shop)
        monthly = [float(row["pct"]) for row in view["forecast"][:3]]
        known = {row["month"]: float(row["pct"]) for row in view["observed"]}
        with shop_scope(rt, principal.shop) as session:
            report = price_suggestions(
                session,
                monthly_forecast_pct=monthly,
                known_monthly_pct=known,
                review_period_days=body.review_days,
                policies=policies,
                min_excess_pp=body.min_excess_pp,
            )
            for rise in report.get("supplier_price_rises", []):
                publish(
                    session,
                    "price_rise",
                    {**rise, "message": f"Suba de {rise.get('name') or rise.get('sku')} por encima de la inflación."},
                    dedupe_key=f"price_rise:{rise.get('sku')}:{rise.get('latest_invoice') or rise.get('latest_date')}",
                )
        report["inflation_last_month"] = view["applied"]["month"]
        return report

    return await anyio.to_thread.run_sync(run)


@router.get(
    "/models",
    summary="Modelos: campeones del registro y la versión en uso",
    response_model=None,
    responses={200: {"model": ModelsView, "description": "Modelos registrados y en uso."}},
)
async def models(request: Request, principal: Principal = Depends(needs(Role.MANAGER))) -> dict[str, Any]:
    from minimarket.tracking import list_models

    rt = runtime(request)
    try:
        registered = await anyio.to_thread.run_sync(list_models)
    except Exception:
        registered = []
    return {"in_use": rt.models, "registered": registered}


class Promotion(BaseModel):
    version: str = Field(..., pattern=r"^\d{1,9}$", description="Número de versión del registro.")
    reason: str = Field(..., min_length=3, max_length=500)


@router.post(
    "/models/{name}/promote",
    summary="Promover una versión a campeón (admin); el servicio la toma sola",
    response_model=None,
    responses={200: {"model": Promoted, "description": "La versión promovida."}, **errors(404, 413, 422)},
)
async def promote(
    name: ModelName, body: Promotion, request: Request, principal: Principal = Depends(needs(Role.ADMIN))
) -> dict[str, Any]:
    from minimarket.service.runtime import MODELS
    from minimarket.tracking import promote as promote_version

    rt = runtime(request)
    if name not in MODELS:
        raise ApiError(404, "not_found", f"Modelo {name!r} desconocido; se conocen: {', '.join(MODELS)}.")
    try:
        await anyio.to_thread.run_sync(
            lambda: promote_version(
                name, body.version, reason=body.reason, author=principal.subject or getpass.getuser()
            )
        )
    except Exception as exc:
        raise ApiError(422, "promotion_refused", f"No se pudo promover {name} v{body.version}: {exc}") from None
    await rt.refresh_models()
    return {"model": name, "champion": body.version, "in_use": rt.models}
