"""The scheduled pipelines: one declarative YAML file per run in ``pipelines/``.

A file names the run, its cron line (with a time zone), how late it may be before it counts as overdue,
its time limit, optional inputs it needs (``cpi-feed``: the next CPI month and its figure), parameters with
defaults, and its steps: ``minimarket`` sub-commands or ``papermill`` notebooks. The same files are read by
``minimarket schedule list|run|due`` (a cron line calling ``minimarket schedule due`` is all a shop needs)
and by the compose stack's scheduler (``minimarket schedule serve``).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from minimarket.ops.durations import parse_duration

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
_PLACEHOLDER = re.compile(r"^\{([a-z_][a-z0-9_]*)\}$")


class PipelineError(ValueError):
    """A pipeline file that cannot be used; the message names the file and what is wrong."""


class PapermillStep(BaseModel):
    """Execute a notebook with papermill; ``{name}`` placeholders take parameters and inputs."""

    model_config = ConfigDict(extra="forbid")

    notebook: str
    output: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    outcome_from_status: bool = False
    """Read the outcome from the last JSON the notebook printed: ``status`` recorded/skipped/refused."""


class Step(BaseModel):
    """One step: a ``minimarket`` command (its arguments) or a ``papermill`` notebook."""

    model_config = ConfigDict(extra="forbid")

    minimarket: list[str] | None = None
    papermill: PapermillStep | None = None
    ok_exit_codes: list[int] = Field(default_factory=lambda: [0])
    """Exit codes that are not a failure (``drift check`` exits 3 when it finds drift: an alert, not an error)."""

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        if (self.minimarket is None) == (self.papermill is None):
            raise ValueError("each step is either `minimarket: [args]` or `papermill: {...}`")
        return self

    @property
    def label(self) -> str:
        if self.minimarket is not None:
            return "minimarket " + " ".join(self.minimarket)
        assert self.papermill is not None
        return f"papermill {self.papermill.notebook}"


class Pipeline(BaseModel):
    """A scheduled run, as written in its file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    schedule: str
    """A five-field cron line, in ``timezone``."""
    timezone: str | None = None
    max_delay: str = "2h"
    """How long after a scheduled time a run may still start before the pipeline counts as overdue."""
    timeout: str = "1h"
    inputs: Literal["cpi-feed"] | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    steps: list[Step] = Field(min_length=1)
    path: Path | None = Field(default=None, exclude=True)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("the name uses lower-case letters, digits and '-' (up to 80)")
        return value

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError(f"{value!r} is not a five-field cron line (minute hour day month weekday)")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                zoneinfo.ZoneInfo(value)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r} (e.g. America/Argentina/Buenos_Aires)") from None
        return value

    @field_validator("max_delay", "timeout")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def timeout_delta(self) -> dt.timedelta:
        return parse_duration(self.timeout)

    @property
    def max_delay_delta(self) -> dt.timedelta:
        return parse_duration(self.max_delay)

    def zone(self, default: str) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone or default)

    def previous_fire(self, now: dt.datetime, default_zone: str) -> dt.datetime:
        """The latest scheduled time at or before ``now`` (aware, in the pipeline's zone)."""
        local = now.astimezone(self.zone(default_zone))
        moment: dt.datetime = croniter(self.schedule, local + dt.timedelta(seconds=1)).get_prev(dt.datetime)
        return moment

    def next_fire(self, now: dt.datetime, default_zone: str) -> dt.datetime:
        """The first scheduled time after ``now``."""
        moment: dt.datetime = croniter(self.schedule, now.astimezone(self.zone(default_zone))).get_next(dt.datetime)
        return moment

    def resolved_params(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """The declared parameters with ``overrides`` on top (only declared ones may be overridden)."""
        values = dict(self.params)
        for key, value in (overrides or {}).items():
            if key not in self.params:
                known = ", ".join(sorted(self.params)) or "ninguno"
                raise PipelineError(f"{self.name}: parámetro desconocido {key!r} (declarados: {known})")
            values[key] = value
        return values


def render(value: Any, values: dict[str, Any]) -> Any:
    """Fill ``{name}`` placeholders: a value that is exactly one placeholder keeps its type."""
    if isinstance(value, str):
        whole = _PLACEHOLDER.match(value)
        try:
            if whole:
                return values[whole.group(1)]
            return value.format_map(values)
        except KeyError as exc:
            raise PipelineError(f"falta el valor de {{{exc.args[0]}}}") from None
    if isinstance(value, list):
        return [render(v, values) for v in value]
    if isinstance(value, dict):
        return {k: render(v, values) for k, v in value.items()}
    return value


def parse_param(text: str) -> tuple[str, Any]:
    """``key=value`` from the command line; the value is read as YAML (``12`` is a number)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise PipelineError(f"parámetro inválido {text!r}: use clave=valor, por ejemplo calibration_months=12")
    return key.strip(), yaml.safe_load(raw) if raw.strip() else ""


def load_pipeline(path: Path) -> Pipeline:
    """One pipeline file, validated; :class:`PipelineError` says which file and what is wrong."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PipelineError(f"{path}: no se pudo leer ({exc})") from None
    if not isinstance(data, dict):
        raise PipelineError(f"{path}: se esperaba un mapa YAML con name, schedule y steps")
    try:
        pipeline = Pipeline.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'archivo'}: {e['msg']}" for e in exc.errors())
        raise PipelineError(f"{path}: {problems}") from None
    return pipeline.model_copy(update={"path": path})


def load_pipelines(folder: Path) -> dict[str, Pipeline]:
    """Every ``*.yaml``/``*.yml`` in ``folder`` by name (a duplicated name is an error)."""
    if not folder.is_dir():
        raise PipelineError(f"no existe la carpeta de pipelines {folder}")
    found: dict[str, Pipeline] = {}
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        pipeline = load_pipeline(path)
        if pipeline.name in found:
            raise PipelineError(f"{path}: el nombre {pipeline.name!r} ya está en {found[pipeline.name].path}")
        found[pipeline.name] = pipeline
    return found


@dataclass(frozen=True)
class Timing:
    """Where a pipeline stands at ``now`` given when it last started."""

    previous_fire: dt.datetime
    next_fire: dt.datetime
    last_started: dt.datetime | None
    due: bool
    overdue: bool


def timing(pipeline: Pipeline, last_started: dt.datetime | None, now: dt.datetime, default_zone: str) -> Timing:
    """Due: no run started since the latest scheduled time. Overdue: due for longer than ``max_delay``."""
    previous = pipeline.previous_fire(now, default_zone)
    if last_started is not None and last_started.tzinfo is None:
        last_started = last_started.replace(tzinfo=dt.UTC)
    due = last_started is None or last_started < previous
    return Timing(
        previous_fire=previous,
        next_fire=pipeline.next_fire(now, default_zone),
        last_started=last_started,
        due=due,
        overdue=due and now > previous + pipeline.max_delay_delta,
    )
