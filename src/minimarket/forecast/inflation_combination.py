"""Inflation models built for speed and for a nested (strictly out-of-sample) forecast combination.

* :func:`huber_irls` — a small robust (Huber) ridge regression by iteratively reweighted least
  squares in numpy: milliseconds on the ~100 × 5 problems here, so a model can be refit at every
  origin of a backtest (and inside the combination's own inner backtest).
* :class:`GapRegression` — direct ``h``-step regression in *log-inflation* space
  (``u = ln z``, ``z`` the monthly log points), so a move from 25 % to 20 % weighs like one from
  2.5 % to 2 % and one set of coefficients serves both regimes. Features: the gap between ``u`` and
  its slow exponential average (mean reversion) and the relative gaps between the headline and
  INDEC's core / regulated / seasonal components (a regulated or seasonal jump fades, core
  persists); optionally core's own month-on-month momentum.
* :class:`LevelPlusSeason` — a robust *level* (core inflation, or the weighted trimmed mean of the
  12 COICOP divisions) plus half the typical calendar-month change (the seasonal drift).
* :class:`OnlineCombination` — the production model. At every origin it only looks at the data it
  is given: it re-runs its members on that data's own past origins (memoised), scores them on the
  targets already known, and combines their forecasts with weights from those past errors. Several
  rules (equal, inverse recent MAE, exponentially discounted with three forgetting factors,
  best-recent, and the plain median of the members) are candidates, and the rule itself is chosen
  per horizon by *its* recent out-of-sample error — so weights, forgetting factor and rule are
  learned inside each rolling origin, never on the evaluation span.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minimarket.forecast.inflation_base import (
    InflationData,
    InflationModel,
    NaiveLastMonth,
    SeasonalDrift,
    components_huber,
    ewm_mean,
    from_log,
    huber_irls,
    lags_huber,
    seasonal_drift,
    to_log,
)

MIN_Z = 0.05
"""Floor (log points) before taking ``ln z``: monthly inflation here never sits below it for long."""


@dataclass
class GapRegression:
    """Direct ``h``-step Huber regression of ``Δu`` on mean-reversion and component-gap features."""

    name: str = "gap_regression"
    alpha: float = 0.2
    components: tuple[str, ...] = ("core", "regulated", "seasonal")
    momentum: bool = False
    first_row: int = 13
    min_rows: int = 18

    def _features(self, a: dict[str, np.ndarray]) -> np.ndarray:
        z = a["h"]
        u = np.log(np.maximum(z, MIN_Z))
        columns = [u - ewm_mean(u, self.alpha)]
        denominator = np.maximum(z, 0.5)
        columns += [(z - a[c]) / denominator for c in self.components]
        if self.momentum:
            core = np.log(np.maximum(a["core"], MIN_Z))
            columns.append(np.concatenate([[0.0], np.diff(core)]))
        return np.column_stack(columns)

    def predict(self, data: InflationData, horizons: Sequence[int]) -> dict[int, float]:
        a = data.arrays()
        z = a["h"]
        u = np.log(np.maximum(z, MIN_Z))
        x = self._features(a)
        last = len(z) - 1
        out: dict[int, float] = {}
        for h in horizons:
            rows = np.arange(self.first_row, last - h + 1)
            if len(rows) < self.min_rows:
                out[h] = float(from_log(z[-1]))
                continue
            beta = huber_irls(x[rows], u[rows + h] - u[rows])
            predicted = u[-1] + beta[0] + float(x[-1] @ beta[1:])
            out[h] = float(from_log(np.exp(predicted)))
        return out


@dataclass
class LevelPlusSeason:
    """A robust level (``core`` or ``trim``, log points) plus ``shrink`` × the seasonal drift."""

    level: str = "core"
    shrink: float = 0.5
    name: str = "core_seasonal"

    def predict(self, data: InflationData, horizons: Sequence[int]) -> dict[int, float]:
        a = data.arrays()
        base = float(a[self.level][-1]) if self.level in a else float(a["h"][-1])
        return {h: float(from_log(base + self.shrink * seasonal_drift(a["h"], a["month"], h))) for h in horizons}


# --------------------------------------------------------------------------------------------------
# the online combination


_CACHE: OrderedDict[tuple[str, str], dict[int, float]] = OrderedDict()
_CACHE_SIZE = 50_000
_CACHE_LOCK = threading.Lock()
MEMBER_HORIZONS = 6
"""Members always forecast horizons 1..6 (at least), so every caller shares the memoised forecasts."""


def fingerprint(data: InflationData) -> str:
    """Content hash of everything a model may read (headline and components, with their months)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(str(data.headline.index[0]).encode())
    digest.update(np.ascontiguousarray(data.headline.to_numpy(float)).tobytes())
    if not data.components.empty:
        digest.update(",".join(map(str, data.components.columns)).encode())
        digest.update(str(data.components.index[0]).encode())
        digest.update(np.ascontiguousarray(data.components.to_numpy(float)).tobytes())
    return digest.hexdigest()


def cached_predict(
    model: InflationModel, data: InflationData, horizons: Sequence[int], key: str | None = None
) -> dict[int, float]:
    """``model.predict`` memoised on the model's configuration and the data's content (``key``: the
    data's :func:`fingerprint` when the caller has it already).

    Safe against leakage by construction: the key is the exact data the model sees, so a forecast
    made from the months up to an origin is reused only for that same history."""
    wanted = list(range(1, max(MEMBER_HORIZONS, *horizons) + 1))
    cache_key = (repr(model), f"{key or fingerprint(data)}:{len(wanted)}")
    with _CACHE_LOCK:
        hit = _CACHE.get(cache_key)
        if hit is not None:
            _CACHE.move_to_end(cache_key)
    if hit is None:
        hit = model.predict(data, wanted)
        with _CACHE_LOCK:
            _CACHE[cache_key] = hit
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return {h: hit[h] for h in horizons}


MIN_KNOWN = 6
"""Fewer known past errors than this: equal weights (and the equal-weight rule is the one used)."""


@dataclass(frozen=True)
class WeightRule:
    """How members' past absolute errors become combination weights.

    ``equal``: plain mean; ``inverse``: ∝ 1 / mean error over the last ``window`` known targets;
    ``best``: all weight on the member with the lowest such error; ``exp``: ∝ exp(-eta × relative
    excess of the ``discount``-weighted mean error over the best member's; ``discount`` is the
    forgetting factor); ``median``: the median of the members' forecasts (robust to one or two
    members running away after a shock; it needs the forecasts, so use :meth:`combine`)."""

    kind: str
    window: int = 12
    eta: float = 5.0
    discount: float = 0.85

    @property
    def label(self) -> str:
        if self.kind in ("equal", "median"):
            return self.kind
        if self.kind == "exp":
            return f"exp{self.window}(eta={self.eta:g},discount={self.discount:g})"
        return f"{self.kind}{self.window}"

    def weights(self, errors: np.ndarray, known: np.ndarray) -> np.ndarray:
        """Weights per origin row: ``errors`` is ``origins × members`` (oldest first), ``known[r]``
        how many leading rows were known at origin ``r``. Returns ``origins × members``."""
        n_rows, n_members = errors.shape
        equal = np.full((n_rows, n_members), 1.0 / n_members)
        if self.kind == "equal":
            return equal
        filled = np.nan_to_num(errors, nan=0.0)
        ends = np.clip(known, 0, n_rows)
        counts = np.minimum(ends, self.window)
        if self.kind in ("inverse", "best"):
            cumulative = np.vstack([np.zeros(n_members), np.cumsum(filled, axis=0)])
            mean = (cumulative[ends] - cumulative[ends - counts]) / np.maximum(counts, 1)[:, None]
            if self.kind == "inverse":
                w = 1.0 / np.maximum(mean, 1e-6)
            else:
                w = (mean <= mean.min(axis=1, keepdims=True)).astype(float)
        elif self.kind == "exp":
            total = np.zeros((n_rows, n_members))
            norm = np.zeros(n_rows)
            for lag in range(self.window):
                rows = ends - 1 - lag
                use = (lag < counts) & (rows >= 0)
                factor = self.discount**lag
                total[use] += factor * filled[rows[use]]
                norm[use] += factor
            mean = total / np.maximum(norm, 1e-12)[:, None]
            floor = np.maximum(mean.min(axis=1, keepdims=True), 1e-6)
            w = np.exp(-self.eta * (mean - floor) / floor)
        elif self.kind == "median":
            raise ValueError("the median rule has no error-based weights: call combine() with the forecasts")
        else:
            raise ValueError(f"unknown weight rule {self.kind!r}")
        w = w / w.sum(axis=1, keepdims=True)
        return np.where((ends >= MIN_KNOWN)[:, None], w, equal)

    def combine(self, errors: np.ndarray, known: np.ndarray, preds: np.ndarray) -> np.ndarray:
        """Combined forecast per origin row from the members' ``preds`` (``origins × members``, log
        points), using only the errors known at each origin (see :meth:`weights`)."""
        if self.kind == "median":
            return np.asarray(np.median(preds, axis=1), dtype=float)
        return np.asarray((self.weights(errors, known) * preds).sum(axis=1), dtype=float)


BASE_RULES: tuple[WeightRule, ...] = (
    WeightRule("equal"),
    WeightRule("inverse", window=12),
    WeightRule("inverse", window=6),
    WeightRule("best", window=6),
    WeightRule("best", window=12),
    WeightRule("exp", window=24, eta=5.0, discount=0.85),
)
"""The first candidate rules (kept for the benchmark's sensitivity section)."""

ROBUST_RULES: tuple[WeightRule, ...] = (
    WeightRule("median"),
    WeightRule("exp", window=24, eta=5.0, discount=0.7),
    WeightRule("exp", window=24, eta=5.0, discount=0.95),
)
"""Added later: the members' median and a faster / a slower forgetting factor for ``exp`` (the
selector then picks the forgetting factor online, like every other rule)."""

DEFAULT_RULES: tuple[WeightRule, ...] = BASE_RULES + ROBUST_RULES


def default_members() -> tuple[InflationModel, ...]:
    """Every fast model of the registry (statsmodels' ETS/AR and Prophet are left out for speed)."""
    return (
        NaiveLastMonth(),
        SeasonalDrift(),
        components_huber(),
        lags_huber(),
        GapRegression(),
        GapRegression(name="gap_momentum", momentum=True),
        LevelPlusSeason(level="core", name="core_seasonal"),
        LevelPlusSeason(level="trim", name="trimmed_seasonal"),
    )


@dataclass
class OnlineCombination:
    """Forecast combination whose weights and weighting rule are learned from past errors only.

    For each horizon ``h``: member forecasts are computed at the data's past origins (each on the
    months up to that origin, memoised), member errors are known for origins ``o`` with
    ``o + h`` ≤ the last month; every rule in ``rules`` turns the errors known at each past origin
    into weights there, which gives each rule its own out-of-sample track record; the rule with the
    lowest mean error over the last ``select_window`` known targets makes today's forecast (the
    first rule, equal weights, while fewer than 6 are known). Combining is a weighted mean (or the
    median, for that rule) in log space.
    """

    members: tuple[InflationModel, ...] = field(default_factory=default_members)
    rules: tuple[WeightRule, ...] = DEFAULT_RULES
    select_window: int = 12
    min_history: int = 12
    name: str = "combination"
    last_choice: dict[int, str] = field(default_factory=dict, compare=False, repr=False)

    def _lookback(self, max_h: int) -> int:
        return self.select_window + max(r.window for r in self.rules) + 2 * max_h

    def member_table(self, data: InflationData, max_h: int) -> np.ndarray:
        """``origins × members × horizons`` log-point forecasts for the last origins of ``data``
        (origin ``r`` of the table is month ``len(data) - n_rows + r``)."""
        index = data.headline.index
        last = len(index) - 1
        first = min(last, max(self.min_history, last - self._lookback(max_h)))
        horizons = list(range(1, max_h + 1))
        table = np.full((last - first + 1, len(self.members), max_h), np.nan)
        for r, position in enumerate(range(first, last + 1)):
            past = data if position == last else data.truncate(index[position])
            key = fingerprint(past)
            for m, member in enumerate(self.members):
                forecast = cached_predict(member, past, horizons, key)
                table[r, m] = to_log(np.array([forecast[h] for h in horizons]))
        return table

    def predict(self, data: InflationData, horizons: Sequence[int]) -> dict[int, float]:
        table = self.member_table(data, max(horizons))
        pct = data.headline.to_numpy(float)
        n = len(table)
        offset = len(pct) - n
        out: dict[int, float] = {}
        for h in horizons:
            preds = table[:, :, h - 1]
            actual = np.full(n, np.nan)
            actual[: max(0, n - h)] = pct[offset + h : offset + n]
            member_err = np.abs(from_log(preds) - actual[:, None])
            known = np.arange(n) - h + 1  # rows whose target is known at each origin
            combined = np.column_stack([rule.combine(member_err, known, preds) for rule in self.rules])
            rule_err = np.abs(from_log(combined) - actual[:, None])[: max(0, n - h)][-self.select_window :]
            choice = 0 if len(rule_err) < MIN_KNOWN else int(np.argmin(rule_err.mean(axis=0)))
            self.last_choice[h] = self.rules[choice].label
            out[h] = float(from_log(combined[-1, choice]))
        return out

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["last_choice"] = {}
        return state
