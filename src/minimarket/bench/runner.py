"""Run every ``benchmarks/*.py`` script, keep its JSON, and write ``SUMMARY.md`` with the regression check.

    python -m minimarket.bench [--quick] [--only NAME ...] [--out reports/benchmarks] [--strict]

A script that supports the common ``--quick`` flag gets it in a quick run; the others get the small
arguments listed in :data:`QUICK_ARGS` (or are skipped when :data:`QUICK_SKIP` says they cannot be small).
A script that fails or times out is listed with its error and the others go on. The full run compares
itself with the committed ``SUMMARY.md`` before replacing it; a quick run writes under ``quick/`` and compares
with the committed full summary (indicative only: its sizes are smaller).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minimarket.bench.adapters import figures_of
from minimarket.bench.summary import Regression, Row, Run, parse, regressions, render

NOT_BENCHMARKS = frozenset({"data"})
"""Scripts of ``benchmarks/`` that are helpers of the others, not benchmarks."""

QUICK_ARGS: dict[str, list[str]] = {
    "ocr_throughput": ["--synth", "1", "--rounds", "1", "--pdf-repeat", "2", "--pdf-synth", "3"],
    "synth_throughput": ["--n", "3"],
    "deblur": ["--n", "2"],
    "figure_reader": ["--words", "4", "--photos", "1"],
    "inflation_backtest": ["--no-prophet", "--no-sensitivity"],
    "extract_accuracy": ["--synth-n", "2"],
    "learned_vs_rules": ["--n", "2", "--kinds", "pdf", "--train-sizes", "2,1,10", "--train-grid", "default"],
    "demand_backtest": ["synthetic", "--folds", "1", "--series", "20", "--no-time-selection"],
    "service_demand": ["--requests", "200"],
}
"""Small arguments for scripts without ``--quick``."""

QUICK_SKIP = {
    "dashboards_render": "Voila + Chromium on 10,000 invoices: full runs only",
    "replicas": "two real servers and a PostgreSQL cluster start: full runs only",
}
FULL_TIMEOUT = 3600.0
QUICK_TIMEOUT = 150.0


@dataclass(frozen=True, slots=True)
class Script:
    name: str
    path: Path

    @property
    def supports_quick(self) -> bool:
        return "--quick" in self.path.read_text(encoding="utf-8", errors="replace")

    def command(self, quick: bool) -> list[str] | None:
        """The command line of this script (None: skipped in a quick run)."""
        args: list[str] = []
        if quick:
            if self.supports_quick:
                args = ["--quick"]
            elif self.name in QUICK_SKIP:
                return None
            else:
                args = QUICK_ARGS.get(self.name, [])
        return [sys.executable, str(self.path), *args]


def discover(folder: Path, only: Sequence[str] = ()) -> list[Script]:
    """The benchmark scripts of ``folder`` (``_helpers.py`` and :data:`NOT_BENCHMARKS` excluded)."""
    scripts = [
        Script(path.stem, path)
        for path in sorted(folder.glob("*.py"))
        if not path.stem.startswith("_") and path.stem not in NOT_BENCHMARKS
    ]
    return [s for s in scripts if not only or s.name in only]


def last_json(stdout: str) -> dict[str, Any] | None:
    """The JSON object a script printed: the whole output, else its last line that is a JSON object."""
    text = stdout.strip()
    try:
        value = json.loads(text)
        return value if isinstance(value, dict) else None
    except json.JSONDecodeError:
        pass
    for start in [i for i, ch in enumerate(text) if ch == "{" and (i == 0 or text[i - 1] == "\n")][::-1]:
        try:
            value = json.loads(text[start:])
        except json.JSONDecodeError:
            continue
        return value if isinstance(value, dict) else None
    return None


def run_script(
    script: Script, quick: bool, timeout: float, out: Path, commit: str = "?"
) -> tuple[dict[str, Any], list[Row]]:
    """Run one script; its outcome for the summary and its figures. Its JSON goes to ``out/<name>.json``, with
    ``measured`` (when, at which commit) added: a later run that keeps it says how old it is."""
    command = script.command(quick)
    if command is None:
        return {"name": script.name, "status": "skipped", "note": QUICK_SKIP.get(script.name, "")}, []
    print(f">> {script.name}: {' '.join(command[1:])}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    env = {**os.environ, "OMP_THREAD_LIMIT": "1", "PYTHONUNBUFFERED": "1"}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired as exc:
        seconds = time.perf_counter() - started
        tail = (exc.stderr or b"")[-400:]
        tail_text = tail.decode(errors="replace") if isinstance(tail, bytes) else str(tail)
        return {"name": script.name, "status": "timeout", "seconds": seconds, "note": _one_line(tail_text)}, []
    seconds = time.perf_counter() - started
    (out / "logs").mkdir(parents=True, exist_ok=True)
    (out / "logs" / f"{script.name}.stderr.txt").write_text(done.stderr[-20000:], encoding="utf-8")
    data = last_json(done.stdout)
    if data is None:
        note = f"exit {done.returncode}, no JSON: {_one_line(done.stderr[-300:])}"
        return {"name": script.name, "status": "failed", "seconds": seconds, "note": note}, []
    data["measured"] = {"at": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "commit": commit}
    (out / f"{script.name}.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    figures = figures_of(script.name, data)
    status = "ok" if done.returncode == 0 else f"exit {done.returncode}"
    note = "" if "figures" in data else "no `figures` list: read by the runner's adapter"
    return {"name": script.name, "status": status, "seconds": seconds, "note": note}, [
        Row(script.name, f) for f in figures
    ]


def kept(script: Script, out: Path) -> tuple[dict[str, Any], list[Row]]:
    """A script left out of this run (``--only``): its figures from its JSON of a previous run, if any."""
    path = out / f"{script.name}.json"
    if not path.is_file():
        return {"name": script.name, "status": "not run"}, []
    data = json.loads(path.read_text(encoding="utf-8"))
    measured = data.get("measured")
    if isinstance(measured, dict) and "at" in measured:
        stamp = f"{measured['at']}, commit `{str(measured.get('commit', '?'))[:10]}`"
    else:  # a JSON from before the stamp: the file's date (a fresh clone's is the checkout's)
        stamp = dt.datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M") + " (file date)"
    outcome = {"name": script.name, "status": "kept", "note": f"not run now: measured {stamp}"}
    return outcome, [Row(script.name, f) for f in figures_of(script.name, data)]


def _one_line(text: str) -> str:
    return " ".join(text.split())[-300:]


def machine(mode: str, repo: Path) -> dict[str, Any]:
    """Cores, CPU model, memory, load, commit, date: where and on what the figures were taken."""
    cpu_model = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory: int | str = "?"
    with contextlib.suppress(ValueError, OSError):
        memory = round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30)
    return {
        "mode": mode,
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "commit": _commit(repo),
        "cores": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gib": memory,
        "python": platform.python_version(),
        "load_before": round(os.getloadavg()[0], 1),
    }


def _commit(repo: Path) -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True).stdout.strip()

    head = git("rev-parse", "--short=10", "HEAD") or "?"
    return head + (" (uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else "")


def main(argv: Sequence[str] | None = None) -> int:
    from minimarket.config import REPO_ROOT

    parser = argparse.ArgumentParser(prog="python -m minimarket.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small runs (under 5 minutes in all)")
    parser.add_argument(
        "--only", nargs="*", default=[], help="these scripts only (names without .py, by spaces or commas)"
    )
    parser.add_argument("--scripts", type=Path, default=REPO_ROOT / "benchmarks")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "reports" / "benchmarks")
    parser.add_argument("--baseline", type=Path, default=None, help="default: <out>/SUMMARY.md as it was")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per script")
    parser.add_argument("--strict", action="store_true", help="exit 3 when a figure regressed")
    args = parser.parse_args(argv)
    scripts = discover(args.scripts)
    args.only = [name for item in args.only for name in item.split(",") if name]
    unknown = sorted(set(args.only) - {s.name for s in scripts})
    if unknown:
        parser.error(
            f"no benchmark named {', '.join(unknown)} in {args.scripts}; "
            f"the benchmarks are: {', '.join(s.name for s in scripts)}"
        )

    out = args.out / "quick" if args.quick else args.out
    out.mkdir(parents=True, exist_ok=True)
    baseline_path = args.baseline or args.out / "SUMMARY.md"
    baseline_text = baseline_path.read_text(encoding="utf-8") if baseline_path.is_file() else None
    timeout = args.timeout or (QUICK_TIMEOUT if args.quick else FULL_TIMEOUT)

    run = Run(machine=machine("quick" if args.quick else "full", REPO_ROOT))
    baseline = parse(baseline_text) if baseline_text is not None else None
    note = (
        "No previous summary to compare with."
        if baseline_text is None
        else f"Compared with `{_relative(baseline_path, REPO_ROOT)}` ({_baseline_run(baseline_text)})"
        + (": a quick run has smaller sizes, so this is indicative only." if args.quick else ".")
    )
    if args.only:
        note += f" Only {', '.join(args.only)} ran now; the other figures are kept from earlier runs (see Scripts)."
    found: list[Regression] | None = None
    summary = ""
    for n, script in enumerate(scripts, start=1):
        if args.only and script.name not in args.only:
            outcome, rows = kept(script, out)
        else:
            outcome, rows = run_script(script, args.quick, timeout, out, run.machine["commit"])
            print(f"   {outcome['status']} in {outcome.get('seconds', 0):.0f} s, {len(rows)} figures", file=sys.stderr)
        run.scripts.append(outcome)
        run.rows.extend(rows)
        run.machine["load_after"] = round(os.getloadavg()[0], 1)
        found = regressions(run.rows, baseline) if baseline is not None else None
        partial = "" if n == len(scripts) else f" (in progress: {n} of {len(scripts)} scripts so far)"
        summary = render(run, found, note + partial)
        (out / "SUMMARY.md").write_text(summary, encoding="utf-8")  # kept up to date as the run goes
    print(summary)
    if found:
        print(f"{len(found)} figure(s) more than 10 % worse than the previous summary:", file=sys.stderr)
        for regression in found:
            print(f"  REGRESSION {regression.sentence()}", file=sys.stderr)
    return 3 if found and args.strict else 0


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


def _baseline_run(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("Run:"):
            return line.removeprefix("Run:").strip().split(" · ")[0] + ", " + line.split(" · ")[1]
    return "no run line"
