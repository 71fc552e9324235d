"""Sampling profiles of running processes (py-spy) and the top of each, as a few lines for a report.

python -m minimarket.bench.profile record PID SECONDS OUT.txt   # py-spy record, raw (collapsed) stacks
python -m minimarket.bench.profile top OUT.txt [--n 12]         # the hottest functions, self and total
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

IDLE = ("select (selectors.py", "poll (selectors.py", "_worker (concurrent", "wait (threading.py", "_recv_into")


@dataclass(frozen=True, slots=True)
class Top:
    samples: int
    idle: int
    self_time: list[tuple[str, int]]
    total_time: list[tuple[str, int]]

    def lines(self) -> list[str]:
        busy = max(self.samples - self.idle, 1)
        out = [f"{self.samples} samples, {self.idle} idle; shares of the busy ones:"]
        out += [f"  self  {100 * n / busy:5.1f} %  {frame}" for frame, n in self.self_time]
        out += [f"  total {100 * n / busy:5.1f} %  {frame}" for frame, n in self.total_time]
        return out


def record(pid: int, seconds: float, out: Path, subprocesses: bool = False) -> Path:
    """py-spy's raw (collapsed) stacks of ``pid`` for ``seconds`` (non-blocking: the process runs on)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    command = [spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--format", "raw"]
    command += ["--output", str(out), "--nonblocking", *(["--subprocesses"] if subprocesses else [])]
    subprocess.run(command, check=True, capture_output=True)
    return out


def _frame(text: str) -> str:
    return text.strip()


def top(raw: str, n: int = 12, focus: str = "") -> Top:
    """The functions holding most samples: by self time (the leaf) and in total (anywhere on the stack, once
    per stack); ``focus`` keeps only frames whose text contains it for the total list (e.g. ``minimarket``)."""
    self_time: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = idle = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame(f) for f in stack.split(";") if f.strip()]
        samples += count
        if not frames or any(mark in frames[-1] for mark in IDLE):
            idle += count
            continue
        self_time[frames[-1]] += count
        for frame in set(frames[1:]):
            if focus in frame:
                total[frame] += count
    return Top(samples, idle, self_time.most_common(n), total.most_common(n))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minimarket.bench.profile")
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("pid", type=int)
    rec.add_argument("seconds", type=float)
    rec.add_argument("out", type=Path)
    rec.add_argument("--subprocesses", action="store_true")
    show = sub.add_parser("top")
    show.add_argument("raw", type=Path)
    show.add_argument("--n", type=int, default=12)
    show.add_argument("--focus", default="")
    args = parser.parse_args(argv)
    if args.command == "record":
        record(args.pid, args.seconds, args.out, args.subprocesses)
        return 0
    print("\n".join(top(args.raw.read_text(errors="replace"), args.n, args.focus).lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
