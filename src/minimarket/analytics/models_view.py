"""The models page: champion and challenger of each model with their figures over time (MLflow, through
:mod:`minimarket.tracking`), the demand model's choice per segment when it records one, the latest drift
checks (store) and the last monthly inflation update with who made it."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from minimarket.analytics import formatting as fmt
from minimarket.store.models import DriftRun, InflationObservation

__all__ = ["MODEL_LABELS", "ModelCard", "ModelsOverview", "drift_rows", "last_inflation_update", "model_cards"]

MODEL_LABELS = {
    "invoice-extractor": "Lectura de facturas",
    "inflation-forecaster": "Pronóstico de inflación",
    "demand-forecaster": "Pronóstico de demanda",
}
DATASET_LABELS = {"invoices": "Facturas", "sales": "Ventas", "cpi": "Inflación (IPC)"}


@dataclass(frozen=True)
class ModelCard:
    """One registered model: who is champion and challenger, and each version's figure."""

    name: str
    label: str
    metric: str | None
    champion: str | None
    challenger: str | None
    history: pd.DataFrame
    """version, created (Timestamp), value (the gate metric), role ("campeón", "retador", ""), decision"""
    segments: list[dict[str, str]] = field(default_factory=list)
    """The champion's model choice per segment (demand), when the run records it."""

    def rows(self) -> list[dict[str, str]]:
        records: list[dict[Any, Any]] = self.history.sort_values("version", ascending=False).to_dict("records")
        return [
            {
                "Versión": str(row["version"]),
                "Fecha": fmt.date(row["created"].date()) if pd.notna(row["created"]) else fmt.DASH,
                "Rol": row["role"] or fmt.DASH,
                (self.metric or "Métrica"): fmt.number(row["value"], 4) if pd.notna(row["value"]) else fmt.DASH,
                "Decisión de la puerta": row["decision"] or fmt.DASH,
            }
            for row in records
        ]


@dataclass(frozen=True)
class ModelsOverview:
    cards: list[ModelCard]
    error: str | None = None
    """Why MLflow could not be read (a manager sees this sentence instead of a traceback)."""


def _decision(tags: dict[str, str]) -> str:
    promoted = tags.get("gate_promoted")
    if promoted is None:
        return tags.get("manual_promotion_reason", "")
    verdict = "promovida" if promoted == "true" else "no promovida"
    reason = tags.get("gate_reason", "")
    return f"{verdict}: {reason}" if reason else verdict


def _segments(client: Any, run_id: str | None, tags: dict[str, str]) -> list[dict[str, str]]:
    """A per-segment choice recorded as a version tag or a JSON artifact whose name says "segment"."""
    for key, value in tags.items():
        if "segment" in key.lower():
            try:
                return _segment_rows(json.loads(value))
            except ValueError:
                continue
    if not run_id:
        return []
    try:
        found = [a for a in _artifacts(client, run_id) if "segment" in a.lower() and a.endswith(".json")]
        if not found:
            return []
        import mlflow

        return _segment_rows(mlflow.artifacts.load_dict(f"runs:/{run_id}/{found[0]}"))
    except Exception:  # an odd artifact must not hide the rest of the page
        return []


def _artifacts(client: Any, run_id: str, path: str | None = None, depth: int = 0) -> list[str]:
    out: list[str] = []
    for info in client.list_artifacts(run_id, path):
        if info.is_dir and depth < 2:
            out += _artifacts(client, run_id, info.path, depth + 1)
        elif not info.is_dir:
            out.append(info.path)
    return out


def _segment_rows(value: Any) -> list[dict[str, str]]:
    if isinstance(value, dict):
        value = [{"segment": k, **(v if isinstance(v, dict) else {"model": v})} for k, v in value.items()]
    if not isinstance(value, list):
        return []
    return [{str(k): str(v) for k, v in row.items()} for row in value if isinstance(row, dict)]


def model_cards() -> ModelsOverview:
    """Every registered model with its versions' gate figure, champion and challenger (MLflow)."""
    try:
        from minimarket import tracking

        client = tracking.client()
        registered = list(client.search_registered_models())
    except Exception as exc:  # no MLflow store yet, or unreadable: say so in Spanish
        return ModelsOverview([], f"No se pudo leer el registro de modelos ({type(exc).__name__}).")
    cards = []
    for model in sorted(registered, key=lambda m: m.name):
        aliases = {alias: str(version) for alias, version in (model.aliases or {}).items()}
        champion, challenger = aliases.get("champion"), aliases.get("challenger")
        records = []
        metric = None
        segments: list[dict[str, str]] = []
        for version in client.search_model_versions(f"name='{model.name}'"):
            tags = dict(version.tags or {})
            metric = metric or tags.get("gate_metric")
            value = None
            if version.run_id:
                try:
                    metrics = client.get_run(version.run_id).data.metrics
                except Exception:
                    metrics = {}
                name = tags.get("gate_metric") or metric or next(iter(sorted(metrics)), None)
                metric = metric or name
                value = metrics.get(name) if name else None
            number = str(version.version)
            role = "campeón" if number == champion else "retador" if number == challenger else ""
            records.append(
                {
                    "version": int(number),
                    "created": pd.to_datetime(version.creation_timestamp, unit="ms", utc=True),
                    "value": value,
                    "role": role,
                    "decision": _decision(tags),
                }
            )
            if number == champion:
                segments = _segments(client, version.run_id, tags)
        history = pd.DataFrame(records, columns=["version", "created", "value", "role", "decision"])
        cards.append(
            ModelCard(
                name=model.name,
                label=MODEL_LABELS.get(model.name, model.name),
                metric=metric,
                champion=champion,
                challenger=challenger,
                history=history.sort_values("version"),
                segments=segments,
            )
        )
    return ModelsOverview(cards)


def drift_rows(session: Session) -> list[dict[str, str]]:
    """The latest drift check of each dataset, as a manager reads it."""
    latest: dict[str, DriftRun] = {}
    for run in session.scalars(select(DriftRun).order_by(DriftRun.created_at, DriftRun.id)):
        latest[run.dataset] = run
    return [
        {
            "Datos": DATASET_LABELS.get(run.dataset, run.dataset),
            "Fecha": fmt.datetime(run.created_at),
            "Variables con deriva": fmt.pct(100 * run.drift_share, 0),
            "Umbral": fmt.pct(100 * run.threshold, 0),
            "Estado": "con deriva: revisar" if run.drifted else "sin deriva",
            "Informe": run.report_html or fmt.DASH,
        }
        for run in sorted(latest.values(), key=lambda r: r.dataset)
    ]


def last_inflation_update(session: Session) -> dict[str, str] | None:
    """The last monthly CPI figure recorded in the shop, with who recorded it and when."""
    row = session.scalars(
        select(InflationObservation).order_by(InflationObservation.recorded_at.desc(), InflationObservation.id.desc())
    ).first()
    if row is None:
        return None
    recorded = row.recorded_at if isinstance(row.recorded_at, dt.datetime) else None
    return {
        "Mes": fmt.month(row.month),
        "Inflación": fmt.pct(row.pct, 2),
        "Fuente": row.source,
        "Cargada por": row.author,
        "Cuándo": fmt.datetime(recorded),
        "Forzada": f"sí: {row.reason}" if row.forced else "no",
    }
