"""The accountant's endpoints: reconcile ARCA's "Mis Comprobantes Recibidos", the stored runs, the Libro IVA."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from minimarket.service.auth import Principal, Role
from minimarket.service.dependencies import needs, runtime
from minimarket.service.errors import ApiError, not_found
from minimarket.service.schemas import AUTH, RunId, errors
from minimarket.service.uploads import single_document
from minimarket.store.db import session_scope

router = APIRouter(tags=["contabilidad"], responses=errors(*AUTH))

_EXPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["content_base64"],
                    "properties": {"filename": {"type": "string"}, "content_base64": {"type": "string"}},
                }
            },
        },
    }
}


def _period(text: str | None) -> Any:
    from minimarket.accounting.periods import PeriodError, parse_period

    if text is None or not text.strip():
        return None
    try:
        return parse_period(text)
    except PeriodError as exc:
        raise ApiError(422, "invalid_period", str(exc)) from None


@router.post(
    "/accounting/arca/reconcile",
    openapi_extra=_EXPORT_BODY,
    responses=errors(400, 413, 415, 422),
    summary="Conciliar «Mis Comprobantes Recibidos» de ARCA (CSV o XLSX) con las facturas cargadas",
)
async def reconcile(
    request: Request,
    period: str | None = Query(None, description="Mes AAAA-MM (por defecto, los meses del archivo)."),
    save: bool = Query(True, description="Guardar la conciliación (se puede volver a ver y exportar)."),
    principal: Principal = Depends(needs(Role.MANAGER)),
) -> dict[str, Any]:
    from minimarket.accounting.arca_export import ArcaExportError, read_export_bytes
    from minimarket.accounting.shop import reconcile_with_store

    rt = runtime(request)
    month = _period(period)
    upload = await single_document(request)

    def run() -> dict[str, Any]:
        try:
            export = read_export_bytes(upload.data, upload.name)
        except ArcaExportError as exc:
            raise ApiError(422, "invalid_export", str(exc)) from None
        with session_scope(principal.shop, url=rt.settings.sqlalchemy_url) as session:
            result, run_id = reconcile_with_store(session, export, month, author=principal.subject, save=save)
        return {"run_id": run_id, **result.as_dict()}

    return await anyio.to_thread.run_sync(run)


@router.get(
    "/accounting/arca/runs", summary="Conciliaciones con ARCA guardadas (las últimas primero)", responses=errors(422)
)
def runs(
    request: Request,
    limit: int = Query(20, ge=1, le=200),
    principal: Principal = Depends(needs(Role.MANAGER)),
) -> dict[str, Any]:
    from minimarket.store.accounting import list_runs, run_summary

    rt = runtime(request)
    with session_scope(principal.shop, url=rt.settings.sqlalchemy_url) as session:
        return {"runs": [run_summary(run) for run in list_runs(session, limit)]}


@router.get(
    "/accounting/arca/runs/{run_id}",
    summary="Una conciliación: el informe completo (JSON) o sus hallazgos en CSV (?format=csv)",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}, **errors(404, 422)},
)
def run_report(
    run_id: RunId,
    request: Request,
    format: str = Query("json", pattern="^(json|csv)$", description="json o csv."),
    principal: Principal = Depends(needs(Role.MANAGER)),
) -> Any:
    from minimarket.accounting.report_csv import report_csv
    from minimarket.store.accounting import get_run

    rt = runtime(request)
    with session_scope(principal.shop, url=rt.settings.sqlalchemy_url) as session:
        try:
            run = get_run(session, run_id)
        except LookupError:
            raise not_found(f"la conciliación {run_id}") from None
        report = {"run_id": run.id, **dict(run.report)}
    if format == "csv":
        return Response(
            report_csv(report).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="conciliacion_arca_{run_id}.csv"'},
        )
    return report


@router.get(
    "/accounting/iva/libro",
    summary="Libro IVA Digital, compras: los dos archivos de ancho fijo del período (JSON o ?format=zip)",
    responses={200: {"content": {"application/json": {}, "application/zip": {}}}, **errors(422)},
)
def libro_iva(
    request: Request,
    period: str = Query(..., description="Mes AAAA-MM."),
    format: str = Query("json", pattern="^(json|zip)$", description="json (con el texto de los archivos) o zip."),
    principal: Principal = Depends(needs(Role.MANAGER)),
) -> Any:
    from minimarket.accounting.libro_iva import ENCODING
    from minimarket.accounting.shop import book_for_period

    rt = runtime(request)
    month = _period(period)
    if month is None:
        raise ApiError(422, "invalid_period", "Falta el período: use ?period=AAAA-MM, p. ej. 2026-09.")
    with session_scope(principal.shop, url=rt.settings.sqlalchemy_url) as session:
        book = book_for_period(session, month)
    texts = book.texts()
    if format == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in texts.items():
                archive.writestr(name, text.encode(ENCODING))
        return Response(
            buffer.getvalue(),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="libro_iva_compras_{month.compact}.zip"'},
        )
    return {**book.summary(), "contents": texts, "encoding": ENCODING}
