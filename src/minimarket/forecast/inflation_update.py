"""The monthly CPI update: guard, record, refit, gate.

``update_inflation("2026-09", 2.1, source="INDEC")`` is what ``minimarket inflation update`` and the
scheduled ``notebooks/monthly_inflation_update.ipynb`` both call.

National or per shop (see :mod:`minimarket.store.inflation`): without ``shop`` the figure is **national**
(INDEC's series, shared by every shop) and the one registered model is refit and gated; with ``shop`` it is
**that shop's** figure: it changes that shop's series (its guard's history, its price suggestions) and nothing
else — the registered model is not touched and no other shop sees the figure.

Rules (documented for operators):

* The month must be the one after the last known month. A month that already has a figure (bundled or
  recorded) is refused unless ``force`` with a ``reason``: the new figure is stored as a revision, and
  the earlier ones stay in the history (the latest per month wins). A month further ahead is always
  refused (the months in between are missing).
* The guard refuses a figure outside the model's 90 % prediction interval widened by
  ``Settings.inflation_guard_factor``, or outside ``[inflation_hard_min_pct, inflation_hard_max_pct]``,
  unless ``force`` with a ``reason``. The hard bounds cannot be forced: a figure like 210 or -50 is a
  typo, not a surprise.
* Every stored observation keeps source, author, time, whether it was forced and why.
* After storing a national figure, the model is refit and logged; the new version becomes ``champion`` only
  if its backtest is not worse than the champion's on the same data. After a shop's figure the shop's
  forecast is refit in memory (for the answer) and nothing is registered.
* Two updates of the same month at the same time: one is stored, the other refused as if it came second
  (a unique constraint on the unforced figure of a month).
"""

from __future__ import annotations

import getpass
import re
from dataclasses import dataclass
from typing import Any

from minimarket.config import get_settings
from minimarket.forecast.inflation import InflationData, InflationForecaster
from minimarket.workspace import RunContext, command_context

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class UpdateRefused(ValueError):
    """The figure was not recorded; the message says why and how to proceed."""


@dataclass(frozen=True)
class GuardCheck:
    month: str
    pct: float
    expected: float | None
    lower: float | None
    upper: float | None
    factor: float
    hard_min: float
    hard_max: float
    within_hard_bounds: bool
    within_interval: bool

    @property
    def ok(self) -> bool:
        return self.within_hard_bounds and self.within_interval

    def explain(self) -> str:
        if not self.within_hard_bounds:
            return (
                f"{self.pct:g} % está fuera de los límites absolutos "
                f"[{self.hard_min:g} %, {self.hard_max:g} %] (inflation_hard_min_pct/max_pct)"
            )
        if not self.within_interval:
            return (
                f"{self.pct:g} % está fuera del rango plausible para {self.month}: el modelo espera "
                f"{self.expected:.2f} %, intervalo del 90 % ampliado ×{self.factor:g} = "
                f"[{self.lower:.2f} %, {self.upper:.2f} %]"
            )
        return f"{self.pct:g} % es plausible para {self.month} (esperado {self.expected:.2f} %)"

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "pct": self.pct,
            "expected": self.expected,
            "lower": self.lower,
            "upper": self.upper,
            "factor": self.factor,
            "hard_min": self.hard_min,
            "hard_max": self.hard_max,
            "ok": self.ok,
            "message": self.explain(),
        }


FIRST_YEAR, LAST_YEAR = 1990, 2100


def parse_month(month: str) -> str:
    """Validate ``YYYY-MM`` (a year from 1990 to 2100) and return it normalised."""
    text = month.strip()
    found = MONTH_RE.match(text)
    if not found or not FIRST_YEAR <= int(found.group(1)) <= LAST_YEAR:
        raise UpdateRefused(
            f"mes inválido {month[:20]!r}: use el formato AAAA-MM con un año entre {FIRST_YEAR} y {LAST_YEAR}, "
            "por ejemplo 2026-09"
        )
    return text


def check_plausibility(
    history: InflationData, month: str, pct: float, *, calibration_months: int | None = None
) -> GuardCheck:
    """Compare ``pct`` for ``month`` with a forecaster fitted on the months before it (its interval
    calibrated on ``calibration_months`` past origins, ``Settings.inflation_calibration_months`` by
    default)."""
    import pandas as pd

    settings = get_settings()
    period = pd.Period(month, freq="M")
    past = history.truncate(period - 1)
    if past.last_month != period - 1:
        raise UpdateRefused(f"no hay datos hasta {period - 1} para evaluar {month}")
    months = calibration_months or settings.inflation_calibration_months
    forecaster = InflationForecaster(calibration_months=months, max_horizon=1).fit(past)
    expected, lower, upper = forecaster.widened_interval(1, settings.inflation_guard_factor)
    within_hard = settings.inflation_hard_min_pct <= pct <= settings.inflation_hard_max_pct
    return GuardCheck(
        month=month,
        pct=pct,
        expected=expected,
        lower=lower,
        upper=upper,
        factor=settings.inflation_guard_factor,
        hard_min=settings.inflation_hard_min_pct,
        hard_max=settings.inflation_hard_max_pct,
        within_hard_bounds=within_hard,
        within_interval=lower <= pct <= upper,
    )


@dataclass
class UpdateResult:
    month: str
    pct: float
    source: str
    author: str
    forced: bool
    revision: bool
    guard: GuardCheck
    observation_id: int
    scope: str
    """``"national"`` or the shop's code."""
    model_version: str | None
    promoted: bool | None
    gate_reason: str | None
    forecast: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "pct": self.pct,
            "source": self.source,
            "author": self.author,
            "forced": self.forced,
            "revision": self.revision,
            "guard": self.guard.as_dict(),
            "observation_id": self.observation_id,
            "scope": self.scope,
            "model_version": self.model_version,
            "promoted": self.promoted,
            "gate_reason": self.gate_reason,
            "forecast": self.forecast,
        }


def current_data(session: Any) -> InflationData:
    """The series the session's shop applies: bundled INDEC data, the national figures recorded, then the shop's
    own (an unscoped session: national only)."""
    from minimarket.store.inflation import latest_by_month

    overrides = latest_by_month(session)
    data = InflationData.bundled()
    for month in sorted(overrides):
        data = data.with_observation(month, overrides[month])
    return data


def update_inflation(
    month: str,
    pct: float,
    *,
    source: str = "INDEC",
    author: str | None = None,
    force: bool = False,
    reason: str | None = None,
    refit: bool = True,
    eval_start: str | None = None,
    calibration_months: int | None = None,
    shop: str | None = None,
    context: RunContext | None = None,
) -> UpdateResult:
    """Guard, record and (by default) refit + register + gate. Raises :class:`UpdateRefused`.

    ``shop=None`` records a national figure (the operators' update: the registered model is refit and gated);
    a shop's code records that shop's figure only (its forecast is refit in memory; nothing is registered).

    ``eval_start`` (first target month of the gate's backtest) and ``calibration_months`` (origins
    that calibrate the intervals and the guard) default to the Settings; a shorter window is cheaper.
    """
    import math

    import pandas as pd

    from minimarket.store.db import InvalidShopCode, UnknownShop, session_scope
    from minimarket.store.inflation import (
        FigureExists,
        national_observations,
        observations,
        record_national_observation,
        record_observation,
    )

    month = parse_month(month)
    if not isinstance(pct, int | float) or not math.isfinite(float(pct)):
        raise UpdateRefused(f"porcentaje inválido {pct!r}: debe ser un número, por ejemplo 2.1")
    pct = float(pct)
    if force and not (reason and reason.strip()):
        raise UpdateRefused("--force exige --reason: explique por qué se acepta el valor")
    if not source.strip() or len(source) > 200:
        raise UpdateRefused("la fuente debe tener de 1 a 200 caracteres (por ejemplo INDEC)")
    if reason is not None and len(reason) > 2000:
        raise UpdateRefused("el motivo debe tener como mucho 2000 caracteres")
    who = (author or getpass.getuser())[:100]
    period = pd.Period(month, freq="M")
    national = shop is None
    history_of = national_observations if national else observations
    record = record_national_observation if national else record_observation

    def refusal(session: Any, data: InflationData) -> UpdateRefused:
        previous = history_of(session, month)
        known = data.pct(period)
        origin = f"registrado por {previous[-1].author} ({previous[-1].source})" if previous else "datos INDEC"
        return UpdateRefused(
            f"{month} ya tiene un valor: {known:g} % ({origin}). Para corregirlo use --force --reason "
            "(el valor anterior queda en el historial)"
        )

    try:
        scope = session_scope(all_shops=True) if national else session_scope(shop, create_shop=False)
        with scope as session:
            data = current_data(session)
            revision = period <= data.last_month
            if period > data.last_month + 1:
                raise UpdateRefused(
                    f"{month} no es el mes siguiente al último conocido ({data.last_month}); "
                    f"cargue primero {data.last_month + 1}"
                )
            if revision and not force:
                raise refusal(session, data)
            guard = check_plausibility(data, month, pct, calibration_months=calibration_months)
            if not guard.within_hard_bounds:
                raise UpdateRefused(f"valor rechazado: {guard.explain()}")
            if not guard.within_interval and not force:
                raise UpdateRefused(
                    f"valor rechazado: {guard.explain()}. Si el dato es correcto, repita con --force --reason"
                )
            try:
                row = record(
                    session,
                    month=month,
                    pct=pct,
                    source=source.strip(),
                    author=who,
                    forced=force,
                    reason=reason.strip() if reason else None,
                )
            except FigureExists:
                raise refusal(session, current_data(session)) from None
            observation_id = row.id
            scope_name = "national" if national else str(session.info["shop_code"])
            updated = data.with_observation(month, pct)
    except (UnknownShop, InvalidShopCode) as exc:
        raise UpdateRefused(str(exc)) from None

    version = promoted = gate_reason = None
    if refit and national:
        from minimarket.forecast.inflation_mlflow import train_and_register

        outcome = train_and_register(
            updated,
            eval_start=eval_start or get_settings().inflation_gate_eval_start,
            calibration_months=calibration_months,
            run_name=f"monthly-update-{month}",
            context=context or command_context("inflation update"),
            extra_params={"update_month": month, "update_source": source, "update_forced": force},
        )
        forecast = outcome.forecast
        version = outcome.version
        if outcome.decision is not None:
            promoted, gate_reason = outcome.decision.promoted, outcome.decision.reason
        else:
            gate_reason = outcome.note
    else:
        months = calibration_months or get_settings().inflation_calibration_months
        forecast = InflationForecaster(calibration_months=months).fit(updated).forecast(6)
        if refit:
            gate_reason = "cifra de un comercio: el modelo nacional no se reentrena ni cambia"
    return UpdateResult(
        month=month,
        pct=pct,
        source=source,
        author=who,
        forced=force,
        revision=revision,
        guard=guard,
        observation_id=observation_id,
        scope=scope_name,
        model_version=version,
        promoted=promoted,
        gate_reason=gate_reason,
        forecast=forecast.to_dict(orient="records"),
    )


def scheduled_update(month: str | None, pct: float | None, source: str = "INDEC", **kwargs: Any) -> dict[str, Any]:
    """The papermill entry point: record ``pct`` for ``month`` (a no-op report when either is empty),
    returning the result or the refusal as a dict instead of raising."""
    if not month or pct is None:
        return {"status": "skipped", "reason": "month and pct are required for an update"}
    try:
        return {"status": "recorded", **update_inflation(month, float(pct), source=source, **kwargs).as_dict()}
    except UpdateRefused as exc:
        return {"status": "refused", "reason": str(exc)}
