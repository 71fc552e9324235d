"""Hostile files through the CLI: each one is a rejected record with a clear error code and message, the other
files go on, and the whole corpus is read within the time and memory limits (decode budget from Settings)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.security.hostile import CASES, build

BUDGET_MB = 256
"""The decode budget the corpus runs with: the 16-bit page and the many-frame TIFF must be refused by it."""
RSS_LIMIT_MB = 1024
"""The CLI process (Python, OpenCV, pdfium, the OCR models) must stay under this whatever the files."""

_MEASURE_PEAK = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(code)\n"
)
"""Run the command in a fresh process and write the peak RSS (kB) of it and its workers: the test process's own
``RUSAGE_CHILDREN`` would count every child the suite started before (MLflow, DVC, servers)."""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def records(corpus: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, dict], int]:
    """Every file in one `minimarket extract` run; returns the records by file name and the peak RSS (kB)."""
    state = tmp_path_factory.mktemp("state")
    env = {
        **os.environ,
        "MINIMARKET_DECODE_MEMORY_MB": str(BUDGET_MB),
        "MINIMARKET_VAR_DIR": str(state),
        "MINIMARKET_DATABASE_URL": f"sqlite:///{state / 'm.db'}",
        "OMP_THREAD_LIMIT": "1",
    }
    script = Path(sys.executable).with_name("minimarket")
    folder = next(iter(corpus.values())).parent
    peak_file = state / "peak_rss_kb"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _MEASURE_PEAK,
            str(peak_file),
            str(script),
            "extract",
            "--jsonl",
            "--no-progress",
            "--workers",
            "2",
            "--",
            *sorted(p.name for p in corpus.values()),
        ],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = process.communicate(timeout=600)
    assert "Traceback" not in err, err
    assert process.returncode == 1, err  # some rejected
    peak_kb = int(peak_file.read_text())
    found = {}
    for line in out.splitlines():
        record = json.loads(line)
        found[Path(record["source_file"]).name] = record
    return found, peak_kb


@pytest.mark.parametrize("case", CASES, ids=[c.what for c in CASES])
def test_each_hostile_file_is_a_clear_error(case: object, records: tuple[dict[str, dict], int]) -> None:
    found, _ = records
    record = found[case.name]  # type: ignore[attr-defined]
    assert record["status"] == "rejected", record
    error = record["error"]
    assert error["code"] in case.expected, (case.what, error)  # type: ignore[attr-defined]
    assert error["message"] and "Traceback" not in error["message"] and len(error["message"]) < 600


def test_the_corpus_stays_within_the_memory_limit(records: tuple[dict[str, dict], int]) -> None:
    found, peak_kb = records
    assert len(found) == len(CASES)
    assert peak_kb < RSS_LIMIT_MB * 1024, f"peak RSS {peak_kb // 1024} MB"
