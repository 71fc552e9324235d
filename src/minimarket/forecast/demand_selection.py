"""``auto``: the demand model chosen per segment by rolling-origin WAPE on the shop's own history.

Fitting on a panel (a shop's history up to some day):

1. every series is classified as smooth, erratic, intermittent or lumpy (ADI/CV²,
   :mod:`minimarket.forecast.demand_segments`) on that history;
2. ``inner_folds`` rolling origins *inside that history* (fold ``j`` trains on everything up to
   ``T - j·H`` and forecasts the next ``H`` periods) score every candidate on every series: the global
   GBM, seasonal naive, moving average, the statsforecast models, and Prophet where it can win (smooth
   and erratic series, on a seeded sample of at most ``prophet_sample`` series: it costs ~0.3 s a
   series and fold);
3. per segment, the candidate — or the mean of the segment's two best, when that scores better — with
   the lowest pooled WAPE is chosen; Prophet replaces the segment's best only if it beats it on the
   series it was tried on; seasonal naive is always a candidate, so a segment never gets a model that
   did worse than it on these folds;
4. the chosen models are fitted on the whole history (the GBM once for all series).

Forecasting routes each series to its segment's model (a series unseen in training is classified on
the history it comes with). P10/P50/P90 for every series: the GBM's own quantiles where the GBM alone
serves the segment and ``intervals="model"``, otherwise (the default) P50 ± the segment's scale-free
backtest residual quantiles (residuals divided by each series' noise level, the mean absolute seasonal
difference).

Used as it is by the backtest (``--models auto``: the selection is redone inside every fold on that
fold's training window only) and by training (:mod:`minimarket.forecast.demand_mlflow`).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minimarket.forecast import metrics
from minimarket.forecast.demand import (
    QUANTILES,
    SEASON,
    DemandDataError,
    GlobalGBM,
    MovingAverage,
    Panel,
    ProphetPerSeries,
    SeasonalNaive,
)
from minimarket.forecast.demand_segments import SEGMENTS, classify
from minimarket.forecast.demand_stats import STATS_MODELS, cores, stats_forecasts

CANDIDATES = ("seasonal_naive", "moving_average", *STATS_MODELS, "global_gbm", "prophet")
"""Every candidate, simplest first (a tie goes to the simpler one)."""
PROPHET_SEGMENTS = ("smooth", "erratic")
BASELINE = "seasonal_naive"


def _noise(values: np.ndarray, freq: str) -> np.ndarray:
    """Per-series noise level: mean absolute seasonal difference over the recent history (floor: a
    tenth of a unit, or the mean level when the series barely moves)."""
    recent = values[:, -4 * SEASON[freq] * 4 :]
    out = np.array([metrics.mase_scale(row, SEASON[freq]) for row in recent])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        level = np.nanmean(recent, axis=1)
    out = np.where(np.isfinite(out) & (out > 0), out, np.nan_to_num(level, nan=0.0))
    return np.maximum(out, 0.1)


def _subpanel(panel: Panel, rows: np.ndarray) -> Panel:
    return Panel(
        [panel.series[i] for i in rows],
        panel.periods,
        panel.values[rows],
        panel.freq,
        None if panel.prices is None else panel.prices[rows],
    )


def _candidate_failure(name: str, actual: np.ndarray, pred: np.ndarray) -> str | None:
    """Why a candidate's inner-fold forecasts cannot be served (None if they can)."""
    expected = np.isfinite(actual) & (np.isfinite(pred).any(axis=1)[:, None] if name == "prophet" else True)
    if not expected.any():
        return None
    values = pred[expected]
    if not np.isfinite(values).all():
        return f"NaN forecasts ({int((~np.isfinite(values)).sum())} of {values.size})"
    sold = float(np.nansum(actual[expected]))
    if sold > 0 and not (values > 0).any():
        return f"forecast 0 everywhere while {sold:,.0f} units were sold in its folds"
    return None


@dataclass
class SegmentChoice:
    """What serves one segment, and how it scored on the inner folds."""

    segment: str
    model: str
    members: tuple[str, ...]
    wape: float
    baseline_wape: float
    n_series: int
    residual_quantiles: dict[float, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "segment": self.segment,
            "model": self.model,
            "wape": _round(self.wape),
            "seasonal_naive_wape": _round(self.baseline_wape),
            "n_series": self.n_series,
        }


def _round(value: float) -> float | None:
    return round(float(value), 4) if np.isfinite(value) else None


@dataclass
class AutoDemand:
    """Per-segment model selection by inner rolling-origin WAPE; see the module docstring."""

    horizon: int = 28
    candidates: tuple[str, ...] = CANDIDATES
    inner_folds: int = 2
    prophet_sample: int = 24
    n_jobs: int | None = None
    seed: int = 0
    verbose: bool = False
    intervals: str = "residuals"
    """P10/P90 where the GBM alone serves a segment: like every other model, P50 ± the segment's backtest
    residual quantiles (``residuals``, calibrated out of sample per segment), or the GBM's own quantile
    models (``model``). The default is ``residuals``: the GBM's P10 model, trained on every series at
    once, collapses to 0 for a minority segment (a bakery log's 4 best sellers out of 30: P10 = 0 with
    P50 = 23-38 units a day)."""
    gbm: GlobalGBM = field(default_factory=GlobalGBM)
    """Configuration of the global model (its ``horizon`` is overridden); fitted in place."""
    name: str = "auto"
    freq: str = "D"
    segments: dict[str, str] = field(default_factory=dict)
    choices: dict[str, SegmentChoice] = field(default_factory=dict)
    table: list[dict[str, Any]] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    """Candidates excluded because their inner-fold forecasts were unusable (NaN, or all zeros)."""

    def __post_init__(self) -> None:
        unknown = [c for c in self.candidates if c not in CANDIDATES]
        if unknown:
            raise DemandDataError(f"unknown candidate(s) {unknown}; known: {list(CANDIDATES)}")
        if BASELINE not in self.candidates:
            self.candidates = (BASELINE, *self.candidates)
        self.gbm = dataclasses.replace(self.gbm, horizon=self.horizon, models={}, dead_columns=None)

    # ------------------------------------------------------------------ candidates on one panel

    def _forecasts(self, panel: Panel, names: Sequence[str], *, gbm: GlobalGBM | None = None) -> dict[str, Any]:
        """P50 forecasts (n_series × H) of ``names`` from the panel's last period (Prophet: only for
        the panel's series, callers pass the subset they want)."""
        h = self.horizon
        out: dict[str, Any] = {}
        stats = [n for n in names if n in STATS_MODELS]
        if stats:
            out.update(stats_forecasts(panel, stats, h, self.n_jobs))
        if "seasonal_naive" in names:
            out["seasonal_naive"] = SeasonalNaive(h).predict(panel)
        if "moving_average" in names:
            out["moving_average"] = MovingAverage(h).predict(panel)
        if "global_gbm" in names:
            model = gbm or dataclasses.replace(self.gbm, quantiles=(0.5,), models={}, dead_columns=None).fit(panel)
            out["global_gbm"] = model.predict(panel)
        if "prophet" in names:
            out["prophet"] = ProphetPerSeries(h, n_jobs=self.n_jobs or cores(), verbose=self.verbose).predict(panel)
        return out

    # ------------------------------------------------------------------ selection

    def _inner_origins(self, t: int) -> list[int]:
        min_train = self.horizon + SEASON[self.freq] + 1  # the GBM's first origin needs a season behind it
        folds = min(self.inner_folds, (t - min_train) // self.horizon)
        if folds < 1:
            raise DemandDataError(
                f"not enough history to choose a model: {t} periods, need at least {self.horizon + min_train}"
            )
        return [t - 1 - j * self.horizon for j in range(folds, 0, -1)]

    def fit(self, panel: Panel) -> AutoDemand:
        self.freq = panel.freq
        labels = np.array(classify(panel.values, panel.freq))
        self.segments = dict(zip(panel.series, labels.tolist(), strict=True))
        cheap = [c for c in self.candidates if c != "prophet"]
        rng = np.random.default_rng(self.seed)
        eligible = np.flatnonzero(np.isin(labels, PROPHET_SEGMENTS))
        sample = (
            np.sort(rng.choice(eligible, size=min(self.prophet_sample, len(eligible)), replace=False))
            if "prophet" in self.candidates and len(eligible)
            else np.array([], dtype=int)
        )
        n, h = panel.n_series, self.horizon
        names = cheap + (["prophet"] if len(sample) else [])
        actual: list[np.ndarray] = []
        preds: dict[str, list[np.ndarray]] = {c: [] for c in names}
        noise = _noise(panel.values, panel.freq)
        for origin in self._inner_origins(panel.values.shape[1]):
            train = panel.truncate(origin)
            index = {s: i for i, s in enumerate(panel.series)}
            rows = np.array([index[s] for s in train.series])
            future = panel.values[:, origin + 1 : origin + 1 + h]
            fold_actual = np.full((n, h), np.nan)
            fold_actual[rows] = future[rows]
            started = np.cumsum(np.isfinite(panel.values[:, : origin + 1 + h]), axis=1)[:, origin + 1 :] > 0
            fold_actual = np.where(~started & np.isin(np.arange(n), rows)[:, None], 0.0, fold_actual)
            actual.append(fold_actual)
            got = self._forecasts(train, cheap)
            for name in cheap:
                full = np.full((n, h), np.nan)
                full[rows] = got[name]
                preds[name].append(full)
            if len(sample):
                local = np.flatnonzero(np.isin(rows, sample))
                full = np.full((n, h), np.nan)
                if len(local):
                    full[rows[local]] = self._forecasts(_subpanel(train, local), ["prophet"])["prophet"]
                preds["prophet"].append(full)
        a = np.concatenate(actual, axis=1)
        p = {name: np.concatenate(v, axis=1) for name, v in preds.items()}
        self._choose(labels, a, p, noise)
        self._fit_served(panel)
        return self

    def _choose(self, labels: np.ndarray, actual: np.ndarray, preds: dict[str, np.ndarray], noise: np.ndarray) -> None:
        def score(name: str, mask: np.ndarray, pred: np.ndarray | None = None) -> float:
            values = preds[name] if pred is None else pred
            ok = mask[:, None] & np.isfinite(actual) & np.isfinite(values)
            return metrics.wape(actual[ok], values[ok]) if ok.any() else float("nan")

        self.table, self.choices = [], {}
        self.failed = {}
        for name in list(preds):
            verdict = _candidate_failure(name, actual, preds[name])
            if verdict:
                self.failed[name] = verdict
                preds.pop(name)
        if BASELINE not in preds:
            raise DemandDataError(f"seasonal naive failed on this history: {self.failed.get(BASELINE)}")
        everywhere = np.ones(len(labels), bool)
        overall = {c: score(c, everywhere) for c in preds if c != "prophet"}
        fallback = min(overall, key=lambda c: (np.nan_to_num(overall[c], nan=np.inf), CANDIDATES.index(c)))
        for segment in SEGMENTS:
            mask = labels == segment
            if not mask.any():
                continue
            wapes = {c: score(c, mask) for c in preds if c != "prophet"}
            for c, w in wapes.items():
                self.table.append({"segment": segment, "candidate": c, "wape": _round(w), "n_series": int(mask.sum())})
            ranked = sorted((c for c in wapes if np.isfinite(wapes[c])), key=lambda c: (wapes[c], CANDIDATES.index(c)))
            if not ranked:  # nothing sold in this segment's folds: the best model overall
                members: tuple[str, ...] = (fallback,)
                best_wape = float("nan")
            else:
                members, best_wape = (ranked[0],), wapes[ranked[0]]
                if len(ranked) > 1:
                    combo = (preds[ranked[0]] + preds[ranked[1]]) / 2
                    combo_wape = score(ranked[0], mask, combo)
                    self.table.append(
                        {
                            "segment": segment,
                            "candidate": f"{ranked[0]}+{ranked[1]}",
                            "wape": _round(combo_wape),
                            "n_series": int(mask.sum()),
                        }
                    )
                    if combo_wape < best_wape:
                        members, best_wape = (ranked[0], ranked[1]), combo_wape
            if "prophet" in preds and segment in PROPHET_SEGMENTS:
                tried = mask & np.isfinite(preds["prophet"]).any(axis=1)
                if tried.any():
                    current = np.mean([preds[m] for m in members], axis=0)
                    prophet_wape, incumbent = score("prophet", tried), score(members[0], tried, current)
                    self.table.append(
                        {
                            "segment": segment,
                            "candidate": "prophet",
                            "wape": _round(prophet_wape),
                            "n_series": int(tried.sum()),
                        }
                    )
                    if prophet_wape < incumbent:
                        members, best_wape = ("prophet",), prophet_wape
            served = np.mean([preds[m] for m in members], axis=0)
            scaled = (actual - served) / noise[:, None]
            ok = mask[:, None] & np.isfinite(scaled)
            residuals = scaled[ok] if ok.any() else np.zeros(1)
            self.choices[segment] = SegmentChoice(
                segment=segment,
                model="+".join(members),
                members=members,
                wape=best_wape,
                baseline_wape=wapes.get(BASELINE, float("nan")),
                n_series=int(mask.sum()),
                residual_quantiles={q: float(np.quantile(residuals, q)) for q in QUANTILES if q != 0.5},
            )
        for row in self.table:
            row["chosen"] = self.choices[row["segment"]].model == row["candidate"]

        for name, why in self.failed.items():
            self.table.append({"segment": "all", "candidate": name, "wape": None, "failed": why, "chosen": False})

    def _fit_served(self, panel: Panel) -> None:
        quantiles = self.gbm.quantiles if self.intervals == "model" else (0.5,)
        self.gbm = dataclasses.replace(self.gbm, quantiles=quantiles, models={}, dead_columns=None)
        if any("global_gbm" in c.members for c in self.choices.values()):
            self.gbm.fit(panel)

    # ------------------------------------------------------------------ forecasting

    def segment_of(self, panel: Panel) -> list[str]:
        """Each series' segment: from training, else classified on the history given."""
        fresh = classify(panel.values, panel.freq)
        return [self.segments.get(s, f) for s, f in zip(panel.series, fresh, strict=True)]

    def predict_quantiles(self, panel: Panel) -> dict[float, np.ndarray]:
        if not self.choices:
            raise RuntimeError("fit() the model first")
        labels = np.array(self.segment_of(panel))
        n, h = panel.n_series, self.horizon
        out = {q: np.zeros((n, h)) for q in QUANTILES}
        noise = _noise(panel.values, panel.freq)
        plan = {
            segment: (
                self.choices.get(segment) or min(self.choices.values(), key=lambda c: -c.n_series),
                np.flatnonzero(labels == segment),
            )
            for segment in sorted(set(labels.tolist()))
        }
        gbm = self._gbm_once(panel, [rows for choice, rows in plan.values() if "global_gbm" in choice.members])
        for choice, rows in plan.values():
            if choice.members == ("global_gbm",) and gbm is not None and self.intervals == "model":
                for q in QUANTILES:
                    out[q][rows] = gbm[q][rows]
                continue
            others = [m for m in choice.members if m != "global_gbm" or gbm is None]
            got = self._forecasts(_subpanel(panel, rows), others) if others else {}
            if gbm is not None and "global_gbm" in choice.members:
                got["global_gbm"] = gbm[self.gbm.point_quantile][rows]
            p50 = np.mean([got[m] for m in choice.members], axis=0)
            out[0.5][rows] = p50
            spread = noise[rows][:, None]
            out[0.1][rows] = np.clip(p50 + choice.residual_quantiles[0.1] * spread, 0.0, p50)
            out[0.9][rows] = np.maximum(p50 + choice.residual_quantiles[0.9] * spread, p50)
        return out

    def _gbm_once(self, panel: Panel, served: list[np.ndarray]) -> dict[float, np.ndarray] | None:
        """The fitted global GBM's quantiles for every series of the segments it serves, from one call (rows
        indexed like ``panel``; each series' forecast depends on its own history only, so one call over the
        segments together equals one call per segment, at one call's fixed cost); None without a fitted GBM."""
        if not self.gbm.models or not served:
            return None
        rows = np.sort(np.concatenate(served))
        quantiles = self.gbm.predict_quantiles(_subpanel(panel, rows))
        out = {}
        for q, values in quantiles.items():
            full = np.full((panel.n_series, self.horizon), np.nan)
            full[rows] = values
            out[q] = full
        return out

    def predict(self, panel: Panel) -> np.ndarray:
        return self.predict_quantiles(panel)[0.5]

    # ------------------------------------------------------------------ reporting

    def selection(self) -> list[dict[str, Any]]:
        """The chosen model per segment with its inner-fold WAPE next to seasonal naive's."""
        return [self.choices[s].as_dict() for s in SEGMENTS if s in self.choices]

    def describe(self) -> dict[str, Any]:
        return {"selection": self.selection(), "table": self.table, "failed_candidates": self.failed}
