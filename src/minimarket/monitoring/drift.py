"""Evidently drift checks: the champion's reference data against the recent window of the store.

For a dataset (``invoices``, ``sales``, ``cpi``; see :mod:`minimarket.monitoring.features`):

* **current** = the last ``window_days`` days with data in the store for the shop, ending at ``as_of``
  (by default the latest date the store has for that dataset, so a re-run on the same data gives the
  same windows);
* **reference** = the feature frame the champion of the dataset's model was trained or evaluated on
  (:func:`minimarket.monitoring.reference.champion_reference`), without rows inside the current window.
  Fallback when there is no champion or it logged no reference: the store window of ``3 × window_days``
  days just before the current window. The result says which one was used and why.
* Evidently's ``DataDriftPreset`` tests every feature column (K-S / chi-square / Z for up to 1000 rows,
  Wasserstein / Jensen-Shannon above, Evidently's defaults); the **drift share** is the share of columns
  that drifted, and the check **drifts** when ``share >= threshold`` (Evidently's convention; the
  threshold defaults to ``Settings.drift_threshold``).

Every check writes ``reports/drift/<dataset>-<UTC timestamp>.{html,json}`` (another shop's reports go to
a ``<shop>/`` subfolder), persists a ``DriftRun`` row, sets the Prometheus gauges of
:mod:`minimarket.monitoring.metrics` and, if asked, merges its figures into a DVC metrics file.
Too little data raises :class:`InsufficientData` with a message saying how much there is and how
much is needed.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from minimarket.config import get_settings
from minimarket.monitoring import metrics as prom
from minimarket.monitoring import sources
from minimarket.monitoring.features import (
    DATASETS,
    DATE,
    LEVEL_SHIFT,
    LEVEL_SHIFT_THRESHOLD,
    DatasetSpec,
    dataset_spec,
    feature_columns,
    level_columns,
)
from minimarket.monitoring.reference import (
    NoChampionReference,
    Reference,
    champion_cpi_forecasts,
    champion_reference,
)
from minimarket.workspace import RunContext

EXIT_DRIFT = 3
"""Exit code of ``minimarket drift check`` when a dataset drifted (0: no drift, 1: error)."""
REFERENCE_WINDOWS = 3
"""The store fallback reference spans this many current windows, just before the current one."""
ALL_DATASETS: tuple[str, ...] = tuple(DATASETS)


class DriftError(ValueError):
    """A drift check could not run (the message says why and what to do)."""


class InsufficientData(DriftError):
    """Too few rows in the current window or the reference for a meaningful test."""


@dataclass(frozen=True)
class ColumnDrift:
    """Evidently's verdict on one feature column."""

    column: str
    kind: str
    """``"numerical"`` or ``"categorical"``."""
    method: str
    score: float
    stattest_threshold: float | None
    drifted: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "kind": self.kind,
            "method": self.method,
            "score": self.score,
            "stattest_threshold": self.stattest_threshold,
            "drifted": self.drifted,
        }


@dataclass
class Comparison:
    """Outcome of one Evidently run."""

    drift_share: float
    columns: list[ColumnDrift]
    skipped_columns: dict[str, str]
    snapshot: Any


@dataclass
class DriftResult:
    """One drift check: the figures, the windows, where the reference came from, and the report files."""

    dataset: str
    shop: str
    drift_share: float
    threshold: float
    drifted: bool
    n_reference: int
    n_current: int
    columns: list[ColumnDrift]
    current_window: tuple[dt.date, dt.date] | None
    reference_window: tuple[dt.date, dt.date] | None
    reference_source: str
    reference: str
    fallback_reason: str | None = None
    skipped_columns: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    report_html: Path | None = None
    report_json: Path | None = None
    run_id: int | None = None
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    seconds: float = 0.0
    snapshot: Any = field(default=None, repr=False, compare=False)
    """The Evidently snapshot (display it in a notebook); not serialised."""

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    def as_dict(self) -> dict[str, Any]:
        def span(value: tuple[dt.date, dt.date] | None) -> list[str] | None:
            return [value[0].isoformat(), value[1].isoformat()] if value else None

        return {
            "dataset": self.dataset,
            "shop": self.shop,
            "drift_share": self.drift_share,
            "threshold": self.threshold,
            "drifted": self.drifted,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "n_columns": len(self.columns),
            "drifted_columns": self.drifted_columns,
            "current_window": span(self.current_window),
            "reference_window": span(self.reference_window),
            "reference_source": self.reference_source,
            "reference": self.reference,
            "fallback_reason": self.fallback_reason,
            "skipped_columns": self.skipped_columns,
            "notes": self.notes,
            "columns": [c.as_dict() for c in self.columns],
            "report_html": str(self.report_html) if self.report_html else None,
            "report_json": str(self.report_json) if self.report_json else None,
            "run_id": self.run_id,
            "created_at": self.created_at.isoformat(),
            "seconds": round(self.seconds, 3),
        }

    def columns_frame(self) -> pd.DataFrame:
        """One row per tested column (drifted first), for display."""
        frame = pd.DataFrame([c.as_dict() for c in self.columns])
        if frame.empty:
            return frame
        return frame.sort_values(["drifted", "column"], ascending=[False, True], ignore_index=True)

    def summary(self) -> str:
        """One line: dataset, share vs threshold, verdict, sizes, reference."""
        verdict = "DRIFT" if self.drifted else "ok"
        return (
            f"{self.dataset}: drift share {self.drift_share:.2f} (threshold {self.threshold:.2f}) {verdict}; "
            f"{len(self.drifted_columns)}/{len(self.columns)} columns drifted; "
            f"current {self.n_current} vs reference {self.n_reference} ({self.reference_source})"
        )


@dataclass
class DriftSummary:
    """Several datasets checked together; datasets without enough data are listed in ``skipped``."""

    results: list[DriftResult]
    skipped: dict[str, str]

    @property
    def drifted(self) -> bool:
        return any(r.drifted for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {
            "drifted": self.drifted,
            "results": [r.as_dict() for r in self.results],
            "skipped": self.skipped,
        }

    def table(self) -> pd.DataFrame:
        """One row per dataset (skipped ones with their reason), for display."""
        rows: list[dict[str, Any]] = [
            {
                "dataset": r.dataset,
                "drift_share": round(r.drift_share, 3),
                "threshold": r.threshold,
                "drifted": r.drifted,
                "drifted_columns": ", ".join(r.drifted_columns),
                "n_current": r.n_current,
                "n_reference": r.n_reference,
                "reference": r.reference_source,
                "note": r.fallback_reason or "",
            }
            for r in self.results
        ]
        rows += [{"dataset": name, "note": reason} for name, reason in self.skipped.items()]
        return pd.DataFrame(rows)


# --- decision ---------------------------------------------------------------------------------------------


def validate_threshold(threshold: float) -> float:
    """The drift-share threshold as a float in (0, 1] (``DriftError`` otherwise)."""
    value = float(threshold)
    if not 0.0 < value <= 1.0:
        raise DriftError(f"threshold must be a share between 0 (excluded) and 1, got {threshold}")
    return value


def decide(share: float, threshold: float) -> bool:
    """Whether a drift share means drift: ``share >= threshold`` (Evidently's dataset-drift rule)."""
    return share >= validate_threshold(threshold)


# --- the Evidently run ------------------------------------------------------------------------------------


def _single_value(reference: pd.Series, current: pd.Series) -> bool:
    values = pd.concat([reference, current]).dropna()
    return bool(values.astype(str).nunique() == 1)


def _usable(
    reference: pd.DataFrame, current: pd.DataFrame, numerical: Sequence[str], categorical: Sequence[str]
) -> tuple[list[str], list[str], dict[str, str]]:
    skipped: dict[str, str] = {}
    keep_num: list[str] = []
    keep_cat: list[str] = []
    for columns, keep in ((numerical, keep_num), (categorical, keep_cat)):
        for column in columns:
            if column not in reference.columns:
                skipped[column] = "not in the reference"
            elif column not in current.columns:
                skipped[column] = "not in the current window"
            elif reference[column].notna().sum() == 0:
                skipped[column] = "empty in the reference"
            elif current[column].notna().sum() == 0:
                skipped[column] = "empty in the current window"
            elif _single_value(reference[column], current[column]):
                skipped[column] = "one and the same value in both (carries no information)"
            else:
                keep.append(column)
    return keep_num, keep_cat, skipped


def _level_shift(reference: pd.Series, current: pd.Series, feature_type: Any, threshold: float) -> tuple[float, bool]:
    """Relative change of the median; drift when it reaches ``threshold`` (0.10 = 10 %)."""
    ref_values = reference.to_numpy(dtype=float)
    cur_values = current.to_numpy(dtype=float)
    ref_values, cur_values = ref_values[~np.isnan(ref_values)], cur_values[~np.isnan(cur_values)]
    if not len(ref_values) or not len(cur_values):
        return float("nan"), False
    ref, cur = float(np.median(ref_values)), float(np.median(cur_values))
    score = abs(cur / ref - 1.0) if ref != 0 else (0.0 if cur == 0 else float("inf"))
    return score, score >= threshold


def register_stattests() -> None:
    """Register :data:`~minimarket.monitoring.features.LEVEL_SHIFT` with Evidently (idempotent)."""
    from evidently.legacy.calculations.stattests.registry import StatTest, register_stattest
    from evidently.legacy.core import ColumnType

    register_stattest(
        StatTest(
            name=LEVEL_SHIFT,
            display_name="relative shift of the median",
            allowed_feature_types=[ColumnType.Numerical],
            default_threshold=LEVEL_SHIFT_THRESHOLD,
        ),
        _level_shift,
    )


def compare(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    numerical: Sequence[str],
    categorical: Sequence[str] = (),
    threshold: float = 0.5,
    level: Sequence[str] = (),
) -> Comparison:
    """Run Evidently's ``DataDriftPreset`` on the columns both frames can be compared on.

    Columns in ``level`` are tested by the relative shift of their median (``level_shift``, drift at
    10 %); the others by Evidently's defaults. Columns missing or entirely empty on either side, and
    columns holding one and the same value on both sides (they cannot drift, and would only dilute
    the share), are skipped and listed; ``DriftError`` when no column is left.
    """
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    register_stattests()
    num, cat, skipped = _usable(reference, current, numerical, categorical)
    if not num and not cat:
        raise DriftError(f"no feature column can be compared (skipped: {skipped})")
    columns = [*num, *cat]
    ref = reference[columns].copy()
    cur = current[columns].copy()
    for column in num:
        ref[column] = pd.to_numeric(ref[column], errors="coerce").astype(float)
        cur[column] = pd.to_numeric(cur[column], errors="coerce").astype(float)
    for column in cat:
        ref[column] = ref[column].astype(str)
        cur[column] = cur[column].astype(str)
    definition = DataDefinition(numerical_columns=num, categorical_columns=cat)
    by_level = [c for c in num if c in set(level)]
    preset = DataDriftPreset(
        drift_share=validate_threshold(threshold),
        per_column_method=dict.fromkeys(by_level, LEVEL_SHIFT) or None,
        per_column_threshold=dict.fromkeys(by_level, LEVEL_SHIFT_THRESHOLD) or None,
    )
    report = Report([preset], include_tests=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snapshot = report.run(
            current_data=Dataset.from_pandas(cur, data_definition=definition),
            reference_data=Dataset.from_pandas(ref, data_definition=definition),
        )
    share, parsed = _parse(snapshot.dict(), set(num))
    return Comparison(drift_share=share, columns=parsed, skipped_columns=skipped, snapshot=snapshot)


def _parse(payload: dict[str, Any], numerical: set[str]) -> tuple[float, list[ColumnDrift]]:
    """Drift share and per-column verdicts from an Evidently snapshot's ``dict()``."""
    share: float | None = None
    scores: dict[str, tuple[str, float, float | None]] = {}
    for metric in payload.get("metrics", []):
        config = metric.get("config", {})
        kind = str(config.get("type", ""))
        if kind.endswith(":DriftedColumnsCount"):
            share = float(metric["value"]["share"])
        elif kind.endswith(":ValueDrift"):
            threshold = config.get("threshold")
            scores[str(config["column"])] = (
                str(config.get("method") or ""),
                float(metric["value"]),
                float(threshold) if threshold is not None else None,
            )
    drifted: dict[str, bool] = {}
    for test in payload.get("tests", []):
        params = test.get("metric_config", {}).get("params", {})
        if str(params.get("type", "")).endswith(":ValueDrift"):
            drifted[str(params["column"])] = str(test.get("status", "")).upper().endswith("FAIL")
    if share is None:
        raise DriftError("Evidently returned no drift share (DriftedColumnsCount missing from the report)")
    columns = [
        ColumnDrift(
            column=name,
            kind="numerical" if name in numerical else "categorical",
            method=method,
            score=score,
            stattest_threshold=threshold,
            drifted=drifted.get(name, False),
        )
        for name, (method, score, threshold) in scores.items()
    ]
    return share, columns


# --- a full check ------------------------------------------------------------------------------------------


def _span(frame: pd.DataFrame) -> tuple[dt.date, dt.date] | None:
    if frame.empty or DATE not in frame.columns:
        return None
    dates = pd.to_datetime(frame[DATE])
    return dates.min().date(), dates.max().date()


def _too_few(what: str, n: int, spec: DatasetSpec, where: str, hint: str) -> InsufficientData:
    return InsufficientData(
        f"{spec.name}: only {n} {spec.unit} in {what} ({where}); at least {spec.min_rows} are needed. {hint}"
    )


def _report_paths(out_dir: Path, dataset: str, created: dt.datetime) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{dataset}-{created:%Y%m%dT%H%M%SZ}"
    candidate, n = stem, 1
    while (out_dir / f"{candidate}.html").exists() or (out_dir / f"{candidate}.json").exists():
        candidate, n = f"{stem}-{n}", n + 1
    return out_dir / f"{candidate}.html", out_dir / f"{candidate}.json"


def _write_reports(result: DriftResult, snapshot: Any, out_dir: Path) -> None:
    html_path, json_path = _report_paths(out_dir, result.dataset, result.created_at)
    snapshot.save_html(str(html_path))  # a Path would silently write nothing (evidently 0.7)
    if not html_path.is_file() or html_path.stat().st_size == 0:
        raise DriftError(f"Evidently wrote no HTML report at {html_path}")
    result.report_html, result.report_json = html_path, json_path
    document = {**result.as_dict(), "evidently": json.loads(snapshot.json())}
    json_path.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str), encoding="utf-8")


def _persist(result: DriftResult, shop: str | None, database_url: str | None = None) -> int:
    from minimarket.store.db import session_scope
    from minimarket.store.models import DriftRun

    detail = {k: v for k, v in result.as_dict().items() if k not in {"report_html", "report_json", "run_id"}}
    with session_scope(shop, url=database_url, create_shop=False) as session:
        row = DriftRun(
            dataset=result.dataset,
            drift_share=result.drift_share,
            threshold=result.threshold,
            drifted=result.drifted,
            n_reference=result.n_reference,
            n_current=result.n_current,
            detail=detail,
            report_html=str(result.report_html) if result.report_html else None,
            report_json=str(result.report_json) if result.report_json else None,
            created_at=result.created_at,
        )
        session.add(row)
        session.flush()
        return int(row.id)


def metrics_entry(result: DriftResult) -> dict[str, Any]:
    """The figures of one check as they go into the DVC metrics file."""
    return {
        "drift_share": round(result.drift_share, 6),
        "threshold": result.threshold,
        "drifted": int(result.drifted),
        "n_columns": len(result.columns),
        "n_drifted_columns": len(result.drifted_columns),
        "n_current": result.n_current,
        "n_reference": result.n_reference,
        "reference_source": result.reference_source,
    }


def write_metrics(path: Path | str, results: Iterable[DriftResult], skipped: dict[str, str] | None = None) -> Path:
    """Merge the checks' figures into the JSON metrics file at ``path`` (one key per dataset)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    current: dict[str, Any] = {}
    if target.is_file():
        try:
            loaded = json.loads(target.read_text(encoding="utf-8"))
            current = loaded if isinstance(loaded, dict) else {}
        except json.JSONDecodeError:
            current = {}
    for result in results:
        current[result.dataset] = metrics_entry(result)
    for dataset, reason in (skipped or {}).items():
        current[dataset] = {"checked": 0, "reason": reason}
    target.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return target


def _resolve_reference(
    spec: DatasetSpec, start: dt.date | None, notes: list[str]
) -> tuple[Reference | None, str | None]:
    """The champion's reference without rows of the current window, or (None, why not)."""
    try:
        champion = champion_reference(spec.model_name, spec.name)
    except NoChampionReference as exc:
        return None, str(exc)
    frame = champion.frame
    if start is not None and DATE in frame.columns:
        before = frame[pd.to_datetime(frame[DATE]) < pd.Timestamp(start)].reset_index(drop=True)
        if len(before) < len(frame):
            notes.append(f"{len(frame) - len(before)} reference rows inside the current window were left out")
        frame = before
    if len(frame) < spec.min_rows:
        return None, f"{champion.description} has only {len(frame)} {spec.unit} before the current window"
    return replace(champion, frame=frame), None


def check_drift(
    dataset: str,
    *,
    window_days: int | None = None,
    threshold: float | None = None,
    shop: str | None = None,
    as_of: dt.date | None = None,
    current: pd.DataFrame | None = None,
    reference: pd.DataFrame | None = None,
    out_dir: Path | str | None = None,
    metrics_path: Path | str | None = None,
    persist: bool = True,
    database_url: str | None = None,
) -> DriftResult:
    """Check ``dataset`` for drift (see the module docstring) and return the result.

    ``current`` / ``reference`` replace the store window / champion reference with given feature frames
    (built with :mod:`minimarket.monitoring.features`). ``out_dir`` defaults to ``reports/drift``;
    ``metrics_path`` (e.g. ``reports/metrics/drift.json``) receives the figures for DVC. ``database_url``
    names another store than the shop's (the pipeline's scratch store).
    Raises :class:`InsufficientData` or :class:`DriftError` with a clear message.
    """
    settings = get_settings()
    spec = dataset_spec(dataset)
    limit = validate_threshold(settings.drift_threshold if threshold is None else threshold)
    days = spec.window_days if window_days is None else int(window_days)
    if days < 1:
        raise DriftError(f"window_days must be at least 1, got {window_days}")
    request = _Request(
        spec=spec,
        days=days,
        limit=limit,
        shop=shop,
        shop_code=shop or settings.default_shop_code,
        as_of=as_of,
        current=current,
        reference=reference,
        out_dir=out_dir,
        metrics_path=metrics_path,
        persist=persist,
        database_url=database_url,
    )
    try:
        return _check(request)
    except FileNotFoundError as exc:  # the bundled CPI or catalog files are missing
        raise DriftError(f"{spec.name}: {exc}") from exc


@dataclass(frozen=True)
class _Request:
    """One check as asked for: the dataset, its window and threshold, the shop, and the options."""

    spec: DatasetSpec
    days: int
    limit: float
    shop: str | None
    shop_code: str
    as_of: dt.date | None
    current: pd.DataFrame | None
    reference: pd.DataFrame | None
    out_dir: Path | str | None
    metrics_path: Path | str | None
    persist: bool
    database_url: str | None = None
    """Another store than the shop's (the pipeline's scratch store)."""


@dataclass
class _Window:
    """The current window's feature frame, its dates and where it came from (for messages)."""

    frame: pd.DataFrame
    span: tuple[dt.date, dt.date] | None
    start: dt.date | None
    where: str


def _check(request: _Request) -> DriftResult:
    from minimarket.store.db import session_scope

    started = time.perf_counter()
    spec = request.spec
    notes: list[str] = []
    forecasts = _cpi_forecasts(spec, notes)
    with session_scope(request.shop, url=request.database_url, create_shop=False) as session:
        deflate = sources.deflator(session) if spec.name != "cpi" else None
        window = _current_window(session, request, deflate, forecasts, notes)
        ref, fallback_reason, reference_window = _reference(session, request, window.start, deflate, forecasts, notes)
    numerical, categorical = feature_columns(pd.concat([ref.frame.head(0), window.frame.head(0)]), spec)
    comparison = compare(
        ref.frame,
        window.frame,
        numerical=numerical,
        categorical=categorical,
        threshold=request.limit,
        level=level_columns(numerical, spec),
    )
    result = DriftResult(
        dataset=spec.name,
        shop=request.shop_code,
        drift_share=comparison.drift_share,
        threshold=request.limit,
        drifted=decide(comparison.drift_share, request.limit),
        n_reference=len(ref.frame),
        n_current=len(window.frame),
        columns=comparison.columns,
        current_window=window.span,
        reference_window=reference_window,
        reference_source=ref.source,
        reference=ref.description,
        fallback_reason=fallback_reason,
        skipped_columns=comparison.skipped_columns,
        notes=notes,
        snapshot=comparison.snapshot,
    )
    _publish(result, request, started)
    return result


def _cpi_forecasts(spec: DatasetSpec, notes: list[str]) -> Any:
    """The inflation champion's forecasts (residuals of the ``cpi`` dataset), or None."""
    if spec.name != "cpi":
        return None
    try:
        forecasts, described = champion_cpi_forecasts(spec.model_name)
    except NoChampionReference as exc:
        notes.append(f"no residuals ({exc}): comparing pct and pct_change only")
        return None
    notes.append(f"residuals against {described}")
    return forecasts


def _current_window(session: Any, request: _Request, deflate: Any, forecasts: Any, notes: list[str]) -> _Window:
    """The given current frame, or the last ``days`` days of the store ending at ``as_of`` (the latest date
    with data by default); ``InsufficientData`` when too small."""
    spec = request.spec
    if request.current is None:
        end = request.as_of or sources.last_date(session, spec.name)
        if end is None:
            raise InsufficientData(
                f"{spec.name}: the store has no {spec.name} for shop {request.shop_code!r}; "
                f"import some first (e.g. 'minimarket {'sales import' if spec.name == 'sales' else 'extract'}')"
            )
        first = end - dt.timedelta(days=request.days - 1)
        frame = sources.load(session, spec.name, first, end, deflate=deflate, forecasts=forecasts)
        window = _Window(frame, (first, end), first, f"the current window {first}..{end}")
    else:
        frame = request.current.reset_index(drop=True)
        span = _span(frame)
        window = _Window(frame, span, span[0] if span else None, "the given current frame")
    if len(window.frame) < spec.min_rows:
        raise _too_few("the current window", len(window.frame), spec, window.where, "Widen --window-days or add data.")
    if deflate is not None and DATE in window.frame.columns and deflate.extrapolated(window.frame[DATE]):
        notes.append(
            f"CPI known through {deflate.last_month}; later months deflated at the mean rate of its last "
            "three months (record new figures with 'minimarket inflation update')"
        )
    return window


def _reference(
    session: Any, request: _Request, start: dt.date | None, deflate: Any, forecasts: Any, notes: list[str]
) -> tuple[Reference, str | None, tuple[dt.date, dt.date] | None]:
    """The given reference, else the champion's, else the store window just before the current one:
    (reference, why the champion's was not used, its dates); ``InsufficientData`` when too small."""
    spec = request.spec
    fallback_reason: str | None = None
    reference_window: tuple[dt.date, dt.date] | None = None
    ref: Reference | None
    if request.reference is not None:
        ref = Reference(
            frame=request.reference.reset_index(drop=True), source="given", description="frame given by the caller"
        )
    else:
        ref, fallback_reason = _resolve_reference(spec, start, notes)
        if ref is None:
            if start is None:
                raise DriftError(f"{spec.name}: no champion reference ({fallback_reason}) and no dates to fall back on")
            ref_end = start - dt.timedelta(days=1)
            ref_start = start - dt.timedelta(days=REFERENCE_WINDOWS * request.days)
            frame = sources.load(session, spec.name, ref_start, ref_end, deflate=deflate, forecasts=forecasts)
            ref = Reference(
                frame=frame,
                source="store",
                description=f"store window {ref_start}..{ref_end} (the {REFERENCE_WINDOWS * request.days} days "
                f"before the current window)",
            )
            reference_window = (ref_start, ref_end)
    if reference_window is None:
        reference_window = _span(ref.frame)
    if len(ref.frame) < spec.min_rows:
        why = f" ({fallback_reason})" if fallback_reason else ""
        raise _too_few(
            "the reference", len(ref.frame), spec, ref.description + why, "Add older data or register a champion."
        )
    return ref, fallback_reason, reference_window


def _publish(result: DriftResult, request: _Request, started: float) -> None:
    """Write the reports, persist the run, set the Prometheus gauges and the DVC metrics."""
    settings = get_settings()
    base = Path(request.out_dir) if request.out_dir is not None else settings.reports_dir / "drift"
    if request.shop_code != settings.default_shop_code:
        base = base / request.shop_code
    _write_reports(result, result.snapshot, base)
    result.seconds = time.perf_counter() - started
    if request.persist:
        result.run_id = _persist(result, request.shop, request.database_url)
    prom.record_drift(
        result.dataset,
        shop=request.shop_code,
        share=result.drift_share,
        threshold=request.limit,
        drifted=result.drifted,
        at=result.created_at,
    )
    if request.metrics_path is not None:
        write_metrics(request.metrics_path, [result])


def check_datasets(
    datasets: Iterable[str] = ALL_DATASETS,
    *,
    metrics_path: Path | str | None = None,
    **options: Any,
) -> DriftSummary:
    """Check several datasets; those without enough data are skipped with the reason (other errors raise)."""
    results: list[DriftResult] = []
    skipped: dict[str, str] = {}
    for name in datasets:
        dataset_spec(name)
        try:
            results.append(check_drift(name, **options))
        except InsufficientData as exc:
            skipped[name] = str(exc)
    if metrics_path is not None:
        write_metrics(metrics_path, results, skipped)
    return DriftSummary(results=results, skipped=skipped)


def resolve_path(path: Path | str | None, default: Path) -> Path:
    """``path`` made absolute against the repo root (``default`` when None): notebooks run from
    ``notebooks/`` under nbmake and from the repo root under DVC, and must write the same files."""
    if path is None or str(path) == "":
        return default
    candidate = Path(path)
    return candidate if candidate.is_absolute() else get_settings().root / candidate


def run_stage(
    dataset: str = "all",
    *,
    window_days: int | None = None,
    threshold: float | None = None,
    as_of: dt.date | str | None = None,
    shop: str | None = None,
    out_dir: Path | str | None = None,
    metrics_path: Path | str | None = None,
    log_mlflow: bool = False,
    database_url: str | None = None,
    context: RunContext | None = None,
) -> DriftSummary:
    """What ``notebooks/04_drift.ipynb`` (the DVC ``drift`` stage) runs: check ``dataset`` (or ``"all"``),
    write the reports to ``out_dir`` (default ``reports/drift``) and the figures to ``metrics_path``
    (default ``reports/metrics/drift.json``), optionally log the run to MLflow (experiment ``drift``).
    Relative paths are relative to the repo root. Datasets without enough data are skipped, not fatal.
    ``database_url`` checks another store (the pipeline's scratch store); ``context`` (default: the
    ``drift check`` command) names the run and its MLflow experiment (``scratch-drift`` outside DVC)."""
    settings = get_settings()
    names = list(ALL_DATASETS) if dataset == "all" else [dataset_spec(dataset).name]
    day = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    metrics_file = resolve_path(metrics_path, settings.reports_dir / "metrics" / "drift.json")
    if metrics_file.is_file():
        metrics_file.unlink()  # the stage's output describes this run only
    summary = check_datasets(
        names,
        window_days=window_days,
        threshold=threshold,
        shop=shop,
        as_of=day,
        out_dir=resolve_path(out_dir, settings.reports_dir / "drift"),
        metrics_path=metrics_file,
        database_url=database_url,
    )
    if log_mlflow:
        log_to_mlflow(
            summary,
            context=context,
            params={
                "dataset": dataset,
                "window_days": window_days if window_days is not None else "default",
                "threshold": threshold if threshold is not None else settings.drift_threshold,
            },
        )
    return summary


# --- history and MLflow -------------------------------------------------------------------------------------


def drift_history(dataset: str | None = None, *, shop: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """The shop's persisted checks, newest first (``dataset`` to filter)."""
    from sqlalchemy import select

    from minimarket.store.db import session_scope
    from minimarket.store.models import DriftRun

    if dataset is not None:
        dataset_spec(dataset)
    statement = select(DriftRun).order_by(DriftRun.created_at.desc(), DriftRun.id.desc()).limit(limit)
    if dataset is not None:
        statement = statement.where(DriftRun.dataset == dataset)
    with session_scope(shop, create_shop=False) as session:
        return [
            {
                "id": run.id,
                "dataset": run.dataset,
                "created_at": run.created_at.isoformat(),
                "drift_share": run.drift_share,
                "threshold": run.threshold,
                "drifted": run.drifted,
                "n_current": run.n_current,
                "n_reference": run.n_reference,
                "reference_source": (run.detail or {}).get("reference_source"),
                "drifted_columns": (run.detail or {}).get("drifted_columns", []),
                "report_html": run.report_html,
            }
            for run in session.scalars(statement)
        ]


def log_to_mlflow(
    summary: DriftSummary,
    *,
    experiment: str = "drift",
    params: dict[str, Any] | None = None,
    context: RunContext | None = None,
) -> str:
    """Log a set of checks as one MLflow run (shares as metrics, reports as artifacts); returns its id."""
    import mlflow

    from minimarket import tracking
    from minimarket.workspace import command_context

    logged = {"datasets": ",".join(r.dataset for r in summary.results), **(params or {})}
    version = tracking.fingerprint(*(f"{r.dataset}:{r.current_window}:{r.n_current}" for r in summary.results))
    with tracking.tracked_run(
        experiment, "drift", context=context or command_context("drift check"), data_version=version, params=logged
    ) as run:
        for result in summary.results:
            mlflow.log_metrics(
                {
                    f"drift_share_{result.dataset}": result.drift_share,
                    f"drifted_{result.dataset}": float(result.drifted),
                    f"n_current_{result.dataset}": float(result.n_current),
                }
            )
            for path in (result.report_html, result.report_json):
                if path is not None and Path(path).is_file():
                    mlflow.log_artifact(str(path), artifact_path=f"drift/{result.dataset}")
        if summary.skipped:
            mlflow.log_dict(summary.skipped, "drift/skipped.json")
        return run.run_id
