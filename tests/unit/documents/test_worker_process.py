"""Reading processes: one core each, started fresh."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from minimarket.documents.worker_process import WORKER_START

PROBE = (
    "import os, cv2; from minimarket.documents.worker_process import one_core_per_process; "
    "cv2.setNumThreads(2); one_core_per_process(); print(cv2.getNumThreads(), os.environ['OMP_THREAD_LIMIT'])"
)


@pytest.mark.parametrize(("given", "expected"), [(None, "1 1"), ("3", "1 3")])
def test_opencv_gets_one_thread_and_an_operators_tesseract_limit_is_kept(given: str | None, expected: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OMP_THREAD_LIMIT"}
    if given is not None:
        env["OMP_THREAD_LIMIT"] = given
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == expected.split()


def test_reading_processes_are_not_forks_of_the_door() -> None:
    # a forked child of a process that imported OpenCV hangs in cv2.setNumThreads
    assert WORKER_START.get_start_method() == "spawn"
