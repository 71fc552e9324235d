"""Scaling curve of batch extraction: documents/s with 1 and with 2 worker processes on the same mixed documents
(text-layer PDFs, scans, phone photos), and the ratio to ideal (2 workers = twice 1). Prints JSON with a
``figures`` list.

    .venv/bin/python benchmarks/scaling.py [--documents 12] [--kind mixed] [--max-workers 2] [--quick]

The extraction is the library's (:func:`minimarket.documents.extract.extract_many`, what ``minimarket extract
--workers N`` runs), each worker with one Tesseract thread; the pool's start is included.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from minimarket.bench.figures import emit, figure, quick_arg, with_figures
from minimarket.config import cpu_cores
from minimarket.documents.extract import expand_paths, extract_many


def _documents(folder: Path, n: int, kind: str, seed: int) -> list[Path]:
    command = [sys.executable, "-m", "minimarket.cli", "synth", "invoices", "--n", str(n), "--kind", kind,
               "--seed", str(seed), "--out", str(folder)]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    return expand_paths([folder])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=12)
    parser.add_argument("--kind", default="mixed")
    parser.add_argument("--max-workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=41)
    quick_arg(parser)
    args = parser.parse_args()
    if args.quick:
        args.documents, args.kind = 6, "pdf"
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    curve = []
    with tempfile.TemporaryDirectory(prefix="mm-scaling-") as tmp:
        files = _documents(Path(tmp), args.documents, args.kind, args.seed)
        list(extract_many(files[:1], workers=1))  # imports and caches warm for every run alike
        for workers in range(1, args.max_workers + 1):
            started = time.perf_counter()
            statuses = [r.status for r in extract_many(files, workers=workers)]
            seconds = time.perf_counter() - started
            curve.append({"workers": workers, "seconds": round(seconds, 2),
                          "documents_per_second": round(len(files) / seconds, 3),
                          "accepted": statuses.count("accepted")})  # fmt: skip
    one = curve[0]["documents_per_second"]
    for point in curve:
        point["ratio_to_ideal"] = round(point["documents_per_second"] / (one * point["workers"]), 3)
    last = curve[-1]
    figures = [
        figure(f"batch docs/s, {last['workers']} workers vs 1 ({args.kind})", last["documents_per_second"], one,
               unit="docs/s", better="higher"),
        figure(f"scaling to {last['workers']} workers, ratio to ideal", last["ratio_to_ideal"], goal=(">=", 0.8),
               better="higher"),
    ]  # fmt: skip
    result = {
        "benchmark": "scaling",
        "documents": len(files),
        "kind": args.kind,
        "cores": cpu_cores(),
        "curve": curve,
        "load_average_1min": round(os.getloadavg()[0], 1),
        "note": "shared 2-core machine: other jobs take cores too, so the 2-worker point is a floor",
    }
    emit(with_figures(result, figures))


if __name__ == "__main__":
    main()
