"""The figures contract of a benchmark script: its JSON has a ``figures`` list, each
``{name, ours, reference, ratio, goal, met, unit, better}``.

``ratio`` is ``ours / reference`` (both measured in the same run, in the same unit); ``better`` says which way
is good for ``ours`` and for the ratio (``"higher"``: throughput, accuracy; ``"lower"``: seconds, latency);
``goal`` is a readable condition on ``ours`` or on ``ratio`` (``"ratio >= 0.9"``, ``"ours < 50"``) and ``met``
whether this run reached it (``None``: no goal).
"""

from __future__ import annotations

import json
import math
import operator
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

Better = Literal["higher", "lower"]
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure, beside the reference it is compared with."""

    name: str
    ours: float | None
    reference: float | None = None
    ratio: float | None = None
    goal: str | None = None
    met: bool | None = None
    unit: str = ""
    better: Better | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Figure:
        """A figure from a script's JSON (tolerant: missing keys are ``None``, a ratio is computed when absent)."""
        ours, reference = _number(data.get("ours")), _number(data.get("reference"))
        ratio = _number(data.get("ratio"))
        if ratio is None and ours is not None and reference:
            ratio = ours / reference
        better = data.get("better")
        met = data.get("met")
        return cls(
            name=str(data.get("name") or "?"),
            ours=ours,
            reference=reference,
            ratio=ratio,
            goal=None if data.get("goal") is None else str(data.get("goal")),
            met=met if isinstance(met, bool) else None,
            unit=str(data.get("unit") or ""),
            better=better if better in ("higher", "lower") else None,
        )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def figure(
    name: str,
    ours: float | None,
    reference: float | None = None,
    *,
    goal: tuple[str, float] | None = None,
    on: Literal["ours", "ratio"] = "ours",
    unit: str = "",
    better: Better | None = None,
) -> Figure:
    """A figure with its ratio and whether ``goal`` (``("<", 50)`` on ``ours`` or on ``ratio``) is met."""
    ratio = ours / reference if ours is not None and reference else None
    met: bool | None = None
    goal_text: str | None = None
    if goal is not None:
        op, value = goal
        goal_text = f"{on} {op} {value:g}"
        subject = ours if on == "ours" else ratio
        met = None if subject is None else _OPS[op](subject, value)
    return Figure(
        name=name,
        ours=ours,
        reference=reference,
        ratio=None if ratio is None else round(ratio, 4),
        goal=goal_text,
        met=met,
        unit=unit,
        better=better,
    )


def with_figures(result: dict[str, Any], figures: Iterable[Figure]) -> dict[str, Any]:
    """``result`` with its ``figures`` list (the contract) added."""
    return {**result, "figures": [f.as_dict() for f in figures]}


def emit(result: dict[str, Any]) -> None:
    """Print a benchmark's JSON on stdout (what the runner reads)."""
    json.dump(result, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def quick_arg(parser: Any) -> None:
    """Add the common ``--quick`` flag (a small run for ``make bench QUICK=1``) to an argparse parser."""
    parser.add_argument("--quick", action="store_true", help="a small run (make bench QUICK=1)")
