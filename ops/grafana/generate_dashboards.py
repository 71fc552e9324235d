"""Write the four provisioned Grafana dashboards (System, Security, Business, ML) as JSON.

    python ops/grafana/generate_dashboards.py          # rewrite ops/grafana/dashboards/*.json
    python ops/grafana/generate_dashboards.py --check  # exit 1 if a committed file differs

Every panel queries metrics the service emits (tests/integration/ops/test_observability.py checks each name
against a live /metrics page). Titles and units are for the people who read them: Spanish, es-AR.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("dashboards")
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}


def panel(
    title: str,
    targets: list[tuple[str, str]],
    *,
    kind: str = "timeseries",
    unit: str = "short",
    width: int = 12,
    height: int = 8,
    description: str = "",
    thresholds: list[tuple[float | None, str]] | None = None,
) -> dict[str, Any]:
    """A panel with (expr, legend) targets; its position is set by :func:`dashboard`."""
    steps = [{"color": color, "value": value} for value, color in (thresholds or [(None, "green")])]
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": {"h": height, "w": width, "x": 0, "y": 0},
        "fieldConfig": {
            "defaults": {"unit": unit, "thresholds": {"mode": "absolute", "steps": steps}},
            "overrides": [],
        },
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}} if kind == "timeseries" else {},
        "targets": [
            {"refId": chr(ord("A") + i), "datasource": DATASOURCE, "expr": expr, "legendFormat": legend}
            for i, (expr, legend) in enumerate(targets)
        ],
    }


def dashboard(uid: str, title: str, tags: list[str], panels: list[dict[str, Any]]) -> dict[str, Any]:
    """Lay the panels out left to right, top to bottom, on Grafana's 24-column grid."""
    x = y = row_height = 0
    for number, item in enumerate(panels, start=1):
        grid = item["gridPos"]
        if x + grid["w"] > 24:
            x, y, row_height = 0, y + row_height, 0
        grid.update(x=x, y=y)
        x += grid["w"]
        row_height = max(row_height, grid["h"])
        item["id"] = number
    return {
        "uid": uid,
        "title": title,
        "tags": ["minimarket", *tags],
        "timezone": "America/Argentina/Buenos_Aires",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "refresh": "1m",
        "time": {"from": "now-24h", "to": "now"},
        "templating": {"list": []},
        "annotations": {"list": []},
        "panels": panels,
    }


RED = [(None, "green"), (1, "red")]


def system() -> dict[str, Any]:
    return dashboard(
        "minimarket-system",
        "minimarket — Sistema",
        ["system"],
        [
            panel(
                "API arriba",
                [('up{job="minimarket-api"}', "{{instance}}")],
                kind="stat",
                width=4,
                thresholds=[(None, "red"), (1, "green")],
            ),
            panel("Alertas activas", [('ALERTS{alertstate="firing"}', "{{alertname}}")], kind="table", width=8),
            panel(
                "Última petición (hace)",
                [
                    (
                        "time() - max by (service_name) (bentoml_service_last_request_timestamp_seconds)",
                        "{{service_name}}",
                    )
                ],
                kind="stat",
                unit="s",
                width=12,
            ),
            panel(
                "Pedidos por segundo, por estado",
                [("sum by (status) (rate(minimarket_http_requests_total[5m]))", "{{status}}")],
                unit="reqps",
            ),
            panel(
                "Latencia p95 por ruta",
                [
                    (
                        "histogram_quantile(0.95, sum by (le, endpoint) "
                        "(rate(minimarket_http_request_duration_seconds_bucket[5m])))",
                        "{{endpoint}}",
                    )
                ],
                unit="s",
            ),
            panel(
                "Proporción de errores 5xx",
                [
                    (
                        'sum(rate(minimarket_http_requests_total{status=~"5.."}[5m])) '
                        "/ sum(rate(minimarket_http_requests_total[5m]))",
                        "5xx",
                    )
                ],
                unit="percentunit",
            ),
            panel(
                "Servicios BentoML: pedidos en curso y p95",
                [
                    ("sum by (service_name) (bentoml_service_request_in_progress)", "en curso {{service_name}}"),
                    (
                        "histogram_quantile(0.95, sum by (le, service_name) "
                        "(rate(bentoml_service_request_duration_seconds_bucket[5m])))",
                        "p95 {{service_name}}",
                    ),
                ],
            ),
            panel(
                "Cola de lotes",
                [
                    ("max(minimarket_batch_backlog_documents)", "documentos esperando"),
                    ("max(minimarket_batch_oldest_waiting_age_seconds)", "espera del lote más viejo (s)"),
                ],
            ),
            panel("Tamaño de la base de datos", [("minimarket_database_size_bytes", "base")], unit="bytes"),
            panel(
                "Respaldos",
                [
                    ("time() - minimarket_backup_last_success_timestamp_seconds", "antigüedad del último (s)"),
                    ("minimarket_backups", "respaldos guardados"),
                    ("minimarket_backup_last_size_bytes", "tamaño del último (bytes)"),
                ],
                kind="stat",
                width=12,
            ),
            panel(
                "Tareas programadas: falló / vencida",
                [
                    ("max by (pipeline) (minimarket_schedule_last_run_failed)", "falló {{pipeline}}"),
                    ("max by (pipeline) (minimarket_schedule_overdue)", "vencida {{pipeline}}"),
                ],
                kind="stat",
                width=12,
                thresholds=RED,
            ),
            panel(
                "Tareas programadas: último éxito, duración y próxima",
                [
                    (
                        "time() - max by (pipeline) (minimarket_schedule_last_success_timestamp_seconds)",
                        "desde el último éxito {{pipeline}}",
                    ),
                    ("max by (pipeline) (minimarket_schedule_last_run_duration_seconds)", "duración {{pipeline}}"),
                    (
                        "max by (pipeline) (minimarket_schedule_next_run_timestamp_seconds) - time()",
                        "falta para la próxima {{pipeline}}",
                    ),
                ],
                kind="table",
                unit="s",
                width=12,
            ),
            panel(
                "Ejecuciones programadas en 30 días, por resultado",
                [("sum by (pipeline, outcome) (minimarket_schedule_runs)", "{{pipeline}} {{outcome}}")],
                kind="bargauge",
                width=12,
            ),
        ],
    )


def security() -> dict[str, Any]:
    return dashboard(
        "minimarket-security",
        "minimarket — Seguridad",
        ["security"],
        [
            panel(
                "Rechazos por token, por motivo",
                [("sum by (code) (rate(minimarket_auth_failures_total[5m]))", "{{code}}")],
                unit="reqps",
            ),
            panel(
                "Respuestas 401/403 por ruta",
                [
                    (
                        'sum by (endpoint, status) (rate(minimarket_http_requests_total{status=~"401|403"}[5m]))',
                        "{{status}} {{endpoint}}",
                    )
                ],
                unit="reqps",
            ),
            panel(
                "Rechazos por límite de frecuencia (429)",
                [("sum by (limit) (rate(minimarket_rate_limit_rejections_total[5m]))", "por {{limit}}")],
                unit="reqps",
            ),
            panel(
                "Respuestas 429 por ruta",
                [('sum by (endpoint) (rate(minimarket_http_requests_total{status="429"}[5m]))', "{{endpoint}}")],
                unit="reqps",
            ),
            panel(
                "Antigüedad de la clave de firma",
                [("time() - minimarket_signing_key_created_timestamp_seconds", "clave actual")],
                kind="stat",
                unit="s",
                width=8,
                thresholds=[(None, "green"), (3456000, "red")],
            ),
            panel("Claves aceptadas", [("minimarket_signing_keys_accepted", "claves")], kind="stat", width=8),
            panel(
                "Rotación de claves: último éxito (hace)",
                [
                    (
                        'time() - minimarket_schedule_last_success_timestamp_seconds{pipeline="monthly-key-rotation"}',
                        "rotación",
                    )
                ],
                kind="stat",
                unit="s",
                width=8,
            ),
            panel(
                "Alertas de seguridad activas",
                [('ALERTS{area="security", alertstate="firing"}', "{{alertname}}")],
                kind="table",
                width=24,
            ),
        ],
    )


def business() -> dict[str, Any]:
    return dashboard(
        "minimarket-business",
        "minimarket — Negocio",
        ["business"],
        [
            panel(
                "Facturas leídas por hora, por estado",
                [("sum by (status) (increase(minimarket_documents_total[1h]))", "{{status}}")],
            ),
            panel(
                "Proporción para revisar (1 h y 7 días)",
                [
                    (
                        'sum(increase(minimarket_documents_total{status="needs_review"}[1h])) '
                        "/ sum(increase(minimarket_documents_total[1h]))",
                        "última hora",
                    ),
                    (
                        'sum(increase(minimarket_documents_total{status="needs_review"}[7d])) '
                        "/ sum(increase(minimarket_documents_total[7d]))",
                        "7 días",
                    ),
                ],
                unit="percentunit",
            ),
            panel(
                "Documentos que no se pudieron leer, por motivo",
                [("sum by (code) (increase(minimarket_extraction_errors_total[1h]))", "{{code}}")],
            ),
            panel(
                "Lotes: aceptados por hora y duración p95",
                [
                    ("sum(increase(minimarket_batch_size_count[1h]))", "lotes"),
                    ("sum(increase(minimarket_batch_size_sum[1h]))", "documentos"),
                    (
                        "histogram_quantile(0.95, sum by (le) (rate(minimarket_batch_duration_seconds_bucket[1h])))",
                        "duración p95 (s)",
                    ),
                ],
            ),
            panel(
                "Inflación aplicada y última observada (% mensual)",
                [
                    ("max by (shop) (minimarket_inflation_applied_pct)", "aplicada {{shop}}"),
                    ("max by (shop) (minimarket_cpi_latest_pct)", "última observada {{shop}}"),
                ],
                kind="stat",
                unit="percent",
                width=12,
            ),
            panel(
                "Meses de IPC pendientes",
                [("max by (shop) (minimarket_cpi_months_behind)", "{{shop}}")],
                kind="stat",
                width=6,
                thresholds=RED,
            ),
            panel(
                "Actualización del IPC: último éxito (hace)",
                [('time() - minimarket_schedule_last_success_timestamp_seconds{pipeline="monthly-cpi-update"}', "IPC")],
                kind="stat",
                unit="s",
                width=6,
            ),
            panel(
                "Pronósticos y precios pedidos por hora",
                [
                    (
                        'sum by (endpoint) (increase(minimarket_http_requests_total{endpoint=~"/api/v1/(predict/demand|'
                        'prices/suggest|stock/alerts|inflation)"}[1h]))',
                        "{{endpoint}}",
                    )
                ],
                width=24,
            ),
        ],
    )


def ml() -> dict[str, Any]:
    return dashboard(
        "minimarket-ml",
        "minimarket — Modelos (ML)",
        ["ml"],
        [
            panel(
                "Versión en uso por modelo",
                [("minimarket_model_version_info == 1", "{{model}} {{version}}")],
                kind="table",
                width=12,
            ),
            panel(
                "Antigüedad del campeón",
                [("time() - max by (model) (minimarket_champion_created_timestamp_seconds)", "{{model}}")],
                kind="stat",
                unit="s",
                width=12,
                thresholds=[(None, "green"), (7776000, "red")],
            ),
            panel(
                "Deriva: proporción de columnas y umbral",
                [
                    ("max by (dataset, shop) (minimarket_drift_share)", "{{dataset}} {{shop}}"),
                    ("max by (dataset, shop) (minimarket_drift_threshold)", "umbral {{dataset}}"),
                ],
                unit="percentunit",
            ),
            panel(
                "Deriva detectada y último control (hace)",
                [
                    ("max by (dataset, shop) (minimarket_drift_detected)", "deriva {{dataset}} {{shop}}"),
                    (
                        "time() - max by (dataset, shop) (minimarket_drift_last_run_timestamp_seconds)",
                        "desde el control {{dataset}} {{shop}}",
                    ),
                ],
                kind="table",
            ),
            panel(
                "Tiempo de lectura p50/p95 por fuente",
                [
                    (
                        "histogram_quantile(0.5, sum by (le, source) "
                        "(rate(minimarket_extraction_duration_seconds_bucket[15m])))",
                        "p50 {{source}}",
                    ),
                    (
                        "histogram_quantile(0.95, sum by (le, source) "
                        "(rate(minimarket_extraction_duration_seconds_bucket[15m])))",
                        "p95 {{source}}",
                    ),
                ],
                unit="s",
            ),
            panel(
                "Confianza p10 por campo",
                [
                    (
                        "histogram_quantile(0.1, sum by (le, field) (rate(minimarket_field_confidence_bucket[1h])))",
                        "{{field}}",
                    )
                ],
                unit="percentunit",
            ),
            panel(
                "Lector y pronosticador (BentoML): pedidos por segundo",
                [
                    (
                        "sum by (service_name, endpoint, http_response_code) (rate(bentoml_service_request_total"
                        '{service_name=~"invoice_reader|demand_forecaster", endpoint=~"/read|/forecast"}[5m]))',
                        "{{service_name}} {{endpoint}} {{http_response_code}}",
                    )
                ],
                unit="reqps",
            ),
            panel(
                "Control de deriva semanal: último éxito (hace)",
                [
                    (
                        'time() - minimarket_schedule_last_success_timestamp_seconds{pipeline="weekly-drift-check"}',
                        "deriva",
                    )
                ],
                kind="stat",
                unit="s",
            ),
        ],
    )


DASHBOARDS = {"system.json": system, "security.json": security, "business.json": business, "ml.json": ml}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, build in DASHBOARDS.items():
        text = json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
        path = OUT / name
        if check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            OUT.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"stale dashboards (run python {Path(__file__).name}): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
