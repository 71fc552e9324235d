"""Bulk extraction on Dask: documents/s on a LocalCluster of 1 and of 2 worker processes (ratio to ideal: 2 workers =
twice 1), beside the local process pool with the same worker counts on the same files. Prints JSON with a
``figures`` list and writes it to ``reports/benchmarks/dask_extract.json`` (``--out`` to change, ``--out -``: none;
a ``--quick`` run writes nowhere unless told).

    .venv/bin/python benchmarks/dask_extract.py [--synth 6] [--kind mixed] [--rounds 2] [--quick]

Files: the real development invoices of ``../shared/data/invoices`` (text-layer PDFs) plus ``--synth`` synthetic
documents of ``--kind`` (``minimarket synth invoices``: text PDFs, scans, phone photos), all read with the rules
(the same reader on both sides). Each side runs what ``minimarket extract`` runs: the pool is
``InvoiceReader.extract_many(files, workers=N)`` (its start included, as in a command), Dask is the same call with
``client=`` on a LocalCluster already started and warmed (one document per worker; the cluster's start is reported
apart, ``cluster_start_seconds``). The sides alternate within each round and the best round counts. The machine
is shared: the 1-minute load average before and after is in the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from minimarket.bench.figures import emit, figure, quick_arg, with_figures
from minimarket.cluster import local_cluster
from minimarket.config import REPO_ROOT, cpu_cores, get_settings
from minimarket.documents.batch import expand_paths
from minimarket.documents.invoice_reader import InvoiceReader

REAL = REPO_ROOT.parent / "shared" / "data" / "invoices"
OUT = REPO_ROOT / "reports" / "benchmarks" / "dask_extract.json"


def _files(folder: Path, n: int, kind: str, seed: int) -> list[Path]:
    files = sorted(REAL.glob("*.pdf")) if REAL.is_dir() else []
    if n > 0:
        command = [sys.executable, "-m", "minimarket.cli", "synth", "invoices", "--n", str(n), "--kind", kind,
                   "--seed", str(seed), "--out", str(folder)]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True)
        files += expand_paths([folder])
    return files


def _timed(run: Any, files: list[Path]) -> dict[str, Any]:
    started = time.perf_counter()
    records = [r.to_json_dict() for r in run(files)]
    seconds = time.perf_counter() - started
    statuses = [r["status"] for r in records]
    return {
        "seconds": round(seconds, 2),
        "documents_per_second": round(len(files) / seconds, 3),
        "accepted": statuses.count("accepted"),
        "needs_review": statuses.count("needs_review"),
        "rejected": statuses.count("rejected"),
        "_records": records,
    }


def _best(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    best = dict(max(rounds, key=lambda r: r["documents_per_second"]))
    best["rounds_seconds"] = [r["seconds"] for r in rounds]
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synth", type=int, default=6, help="synthetic documents added to the real ones")
    parser.add_argument("--kind", default="mixed", help="pdf, scan, photo or mixed")
    parser.add_argument("--seed", type=int, default=41)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", default=None, help=f"where to write the JSON too (default {OUT}; '-': nowhere)")
    quick_arg(parser)
    args = parser.parse_args()
    if args.quick:
        args.synth, args.kind, args.rounds = 2, "pdf", 1
    out = args.out or ("-" if args.quick else str(OUT))
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    load_before = round(os.getloadavg()[0], 2)
    reader = InvoiceReader(get_settings())
    sides: dict[str, dict[str, Any]] = {}
    same_records = True
    with tempfile.TemporaryDirectory(prefix="mm-dask-extract-") as tmp:
        files = _files(Path(tmp), args.synth, args.kind, args.seed)
        list(reader.extract_many(files[:1]))  # imports and caches warm in this process (the pool forks from it)
        for workers in (1, 2):
            started = time.perf_counter()
            with local_cluster(workers) as client:
                cluster_start = time.perf_counter() - started
                list(reader.extract_many(files[:workers], client=client))  # the plugin reaches every worker
                pool_rounds, dask_rounds = [], []
                for _ in range(args.rounds):
                    pool_rounds.append(_timed(lambda fs, w=workers: reader.extract_many(fs, workers=w), files))
                    dask_rounds.append(_timed(lambda fs, c=client: reader.extract_many(fs, client=c), files))
            pool, dask = _best(pool_rounds), _best(dask_rounds)
            same_records = same_records and pool.pop("_records") == dask.pop("_records")
            for side in pool_rounds + dask_rounds:
                side.pop("_records", None)
            dask["cluster_start_seconds"] = round(cluster_start, 2)
            sides[f"pool_{workers}"], sides[f"dask_{workers}"] = pool, dask
    for name in ("pool", "dask"):
        one, two = sides[f"{name}_1"]["documents_per_second"], sides[f"{name}_2"]["documents_per_second"]
        sides[f"{name}_2"]["ratio_to_ideal"] = round(two / (2 * one), 3)
    figures = [
        figure("Dask LocalCluster docs/s, 2 workers vs 1", sides["dask_2"]["documents_per_second"],
               sides["dask_1"]["documents_per_second"], unit="docs/s", better="higher"),
        figure("Dask LocalCluster scaling to 2 workers, ratio to ideal", sides["dask_2"]["ratio_to_ideal"],
               goal=(">=", 0.8), better="higher"),
        figure("Dask vs local pool docs/s, 1 worker", sides["dask_1"]["documents_per_second"],
               sides["pool_1"]["documents_per_second"], goal=(">=", 0.9), on="ratio", unit="docs/s", better="higher"),
        figure("Dask vs local pool docs/s, 2 workers", sides["dask_2"]["documents_per_second"],
               sides["pool_2"]["documents_per_second"], goal=(">=", 0.9), on="ratio", unit="docs/s", better="higher"),
    ]  # fmt: skip
    result = {
        "benchmark": "dask_extract",
        "documents": len(files),
        "real_documents": sum(1 for f in files if f.parent == REAL),
        "synthetic": {"n": args.synth, "kind": args.kind, "seed": args.seed},
        "rounds": args.rounds,
        "cores": cpu_cores(),
        "same_records_dask_and_pool": same_records,
        **sides,
        "load_average_1min_before": load_before,
        "load_average_1min_after": round(os.getloadavg()[0], 2),
        "note": "shared 2-core machine: other jobs take cores too, so the 2-worker points are floors",
    }
    result = with_figures(result, figures)
    emit(result)
    if out != "-":
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
