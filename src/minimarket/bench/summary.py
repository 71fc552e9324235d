"""``reports/benchmarks/SUMMARY.md``: one table of every figure, and the regression check against the
previous summary (a ratio — or, without a reference, the figure itself — more than 10 % worse)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from minimarket.bench.figures import Figure

TOLERANCE = 0.10
HEADER = ("benchmark", "figure", "ours", "reference", "ratio", "better", "goal", "met")
_NUMBER = re.compile(r"^-?[\d,]*\.?\d+(?:e[-+]?\d+)?")


@dataclass(frozen=True, slots=True)
class Row:
    """A figure of one benchmark, as the summary table holds it."""

    benchmark: str
    figure: Figure

    @property
    def key(self) -> tuple[str, str]:
        return self.benchmark, self.figure.name


@dataclass(frozen=True, slots=True)
class Regression:
    """A figure that got worse than ``tolerance`` against the baseline."""

    benchmark: str
    name: str
    what: str  # "ratio" or "ours"
    before: float
    after: float
    better: str | None

    @property
    def change(self) -> float:
        return self.after / self.before - 1 if self.before else 0.0

    def sentence(self) -> str:
        way = {"higher": "lower", "lower": "higher"}.get(self.better or "", "changed")
        return (
            f"{self.benchmark} / {self.name}: {self.what} {fmt(self.before)} -> {fmt(self.after)} "
            f"({100 * self.change:+.0f} %, {way} is worse)"
            if self.better
            else f"{self.benchmark} / {self.name}: {self.what} {fmt(self.before)} -> {fmt(self.after)} "
            f"({100 * self.change:+.0f} %, direction unknown)"
        )


@dataclass(slots=True)
class Run:
    """What the summary says about one run: its rows, the scripts' outcomes and the machine."""

    rows: list[Row] = field(default_factory=list)
    scripts: list[dict[str, Any]] = field(default_factory=list)
    machine: dict[str, Any] = field(default_factory=dict)


def fmt(value: float | None) -> str:
    """A number as the table prints it (and :func:`parse_number` reads back)."""
    if value is None:
        return "—"
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 100:
        return f"{value:.1f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def parse_number(cell: str) -> float | None:
    match = _NUMBER.match(cell.strip())
    if match is None:
        return None
    try:
        return float(match.group(0).replace(",", ""))
    except ValueError:
        return None


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _with_unit(value: float | None, unit: str) -> str:
    return fmt(value) if value is None or not unit else f"{fmt(value)} {unit}"


def _met(value: bool | None) -> str:
    return {True: "yes", False: "**NO**", None: ""}[value]


def render(run: Run, regressions: Sequence[Regression] | None, baseline_note: str) -> str:
    """The whole SUMMARY.md."""
    m = run.machine
    lines = [
        "# Benchmarks",
        "",
        f"Run: **{m.get('mode', '?')}** on {m.get('date', '?')} · commit `{m.get('commit', '?')}`"
        f" · {m.get('cores', '?')} cores, {m.get('cpu_model', '?')}, {m.get('memory_gib', '?')} GiB"
        f" · load average {m.get('load_before', '?')} → {m.get('load_after', '?')} · Python {m.get('python', '?')}",
        "",
        "Each ratio is ours / the reference measured side by side in the same run (so a busy, shared machine "
        "moves it less than the absolute figures). `better` says which way is good for ours and for the ratio. "
        "`make bench` writes this file; each script's JSON is beside it.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "| " + " | ".join("---" for _ in HEADER) + " |",
    ]
    for row in run.rows:
        f = row.figure
        cells = (
            row.benchmark,
            f.name,
            _with_unit(f.ours, f.unit),
            _with_unit(f.reference, f.unit),
            fmt(f.ratio),
            f.better or "",
            f.goal or "",
            _met(f.met),
        )
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    missed = [row for row in run.rows if row.figure.met is False]
    lines += ["", f"Goals met: {sum(r.figure.met is True for r in run.rows)}; missed: {len(missed)}."]
    lines += ["", "## Regression check", "", baseline_note]
    if regressions is not None:
        if regressions:
            lines += [f"- {r.sentence()}" for r in regressions]
        else:
            lines.append(f"No ratio more than {TOLERANCE:.0%} worse.")
    lines += ["", "## Scripts", "", "| script | status | seconds | note |", "| --- | --- | --- | --- |"]
    for script in run.scripts:
        script_cells = (
            str(script.get("name")),
            str(script.get("status")),
            fmt(script.get("seconds")),
            str(script.get("note") or ""),
        )
        lines.append("| " + " | ".join(_cell(c) for c in script_cells) + " |")
    return "\n".join(lines) + "\n"


def parse(text: str) -> list[Row]:
    """The rows of a SUMMARY.md's figures table (what the regression check compares with)."""
    rows: list[Row] = []
    in_table = False
    for line in text.splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if tuple(cells) == HEADER:
            in_table = True
            continue
        if not in_table or len(cells) != len(HEADER) or set(cells[0]) <= {"-"}:
            continue
        benchmark, name, ours, reference, ratio, better, goal, met = cells
        rows.append(
            Row(
                benchmark,
                Figure(
                    name=name,
                    ours=parse_number(ours),
                    reference=parse_number(reference),
                    ratio=parse_number(ratio),
                    goal=goal or None,
                    met={"yes": True, "**NO**": False}.get(met),
                    better=better if better in ("higher", "lower") else None,  # type: ignore[arg-type]
                ),
            )
        )
    return rows


def _worse(before: float, after: float, better: str | None, tolerance: float) -> bool:
    if before == 0:
        return False
    if better == "higher":
        return after < before * (1 - tolerance)
    if better == "lower":
        return after > before * (1 + tolerance)
    return abs(after / before - 1) > tolerance


def regressions(current: Iterable[Row], baseline: Iterable[Row], tolerance: float = TOLERANCE) -> list[Regression]:
    """Every figure of ``current`` whose ratio (or, without a reference, its own value) is more than
    ``tolerance`` worse than in ``baseline``; figures missing on either side are not compared."""
    before: Mapping[tuple[str, str], Row] = {row.key: row for row in baseline}
    out: list[Regression] = []
    for row in current:
        old = before.get(row.key)
        if old is None:
            continue
        new_f, old_f = row.figure, old.figure
        better = new_f.better or old_f.better
        what, a, b = ("ratio", old_f.ratio, new_f.ratio)
        if a is None or b is None:
            what, a, b = ("ours", old_f.ours, new_f.ours)
        if a is None or b is None:
            continue
        if _worse(a, b, better, tolerance):
            out.append(Regression(row.benchmark, new_f.name, what, a, b, better))
    return out
