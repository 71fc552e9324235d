"""Run the same piece of work many times at once and collect every outcome (value or exception).

Used with library calls (threads: each opens its own session, so its own database connection), with CLI
runs (subprocesses) and — once the service lands — with HTTP requests; the outcomes are compared the same way.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    value: T | None
    error: BaseException | None

    @property
    def ok(self) -> bool:
        return self.error is None


def at_once(work: Callable[[int], T], n: int, *, timeout: float = 120) -> list[Outcome[T]]:
    """Call ``work(i)`` for i in 0..n-1 from ``n`` threads released together by a barrier."""
    barrier = threading.Barrier(n)

    def run(i: int) -> Outcome[T]:
        barrier.wait(timeout=timeout)
        try:
            return Outcome(work(i), None)
        except Exception as exc:  # the test inspects every failure
            return Outcome(None, exc)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n), timeout=timeout))


def processes_at_once(
    commands: Sequence[Sequence[str]], *, timeout: float = 300
) -> list[subprocess.CompletedProcess[str]]:
    """Start every command (a CLI run) at the same time and wait for all of them."""
    running = [
        subprocess.Popen(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for cmd in commands
    ]
    done = []
    for cmd, proc in zip(commands, running, strict=True):
        out, err = proc.communicate(timeout=timeout)
        done.append(subprocess.CompletedProcess(list(cmd), proc.returncode, out, err))
    return done
