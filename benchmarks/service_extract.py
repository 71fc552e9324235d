"""Single extractions of text-layer PDFs through the API (``POST invoices/extract``) side by side with the CLI
(``minimarket extract --workers W``) on the same files and cores: p50/p95 latency and documents/s; and the same
documents sent again once stored (``?save=true``), answered from the store by their hash, beside their first
reading. Prints JSON with a ``figures`` list.

    .venv/bin/python benchmarks/service_extract.py [--documents 40] [--workers 2] [--concurrency 4] [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from minimarket.bench.figures import emit, figure, quick_arg, with_figures
from minimarket.service.local import LocalServer, server_env


def _documents(folder: Path, n: int, seed: int) -> list[Path]:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "minimarket.cli",
            "synth",
            "invoices",
            "--n",
            str(n),
            "--kind",
            "pdf",
            "--seed",
            str(seed),
            "--out",
            str(folder),
        ],
        check=True,
        capture_output=True,
    )
    return sorted(folder.glob("*.pdf"))


def _cli_run(files: list[Path], workers: int) -> tuple[float, list[float], list[str]]:
    """The CLI on ``files``: total seconds, the moment each JSON line came out (from the start), the statuses."""
    started = time.perf_counter()
    moments: list[float] = []
    statuses: list[str] = []
    with subprocess.Popen(
        [sys.executable, "-m", "minimarket.cli", "extract", *map(str, files), "--jsonl", "--no-progress",
         "--workers", str(workers)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:  # fmt: skip
        assert process.stdout is not None
        for line in process.stdout:
            moments.append(time.perf_counter() - started)
            statuses.append(json.loads(line)["status"])
    return time.perf_counter() - started, moments, statuses


def _cli(files: list[Path], workers: int) -> dict[str, float]:
    """The CLI on every file. After start-up: the documents printed after the first ``workers`` records (read side
    by side with the first) over the time from the first record to the last (start-up, a second or more, is paid
    once and would swamp 40 fast documents)."""
    elapsed, moments, statuses = _cli_run(files, workers)
    between = moments[-1] - moments[0] if len(moments) > 1 else 0.0
    return {
        "seconds": round(elapsed, 2),
        "documents_per_second": round(len(files) / elapsed, 2),
        "first_record_seconds": round(moments[0], 2) if moments else 0.0,
        "documents_per_second_after_start": round((len(moments) - workers) / between, 2) if between > 0 else 0.0,
        "accepted": statuses.count("accepted"),
    }


def _api(server: LocalServer, files: list[Path], concurrency: int) -> dict[str, float]:
    token = server.token("client")
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {token}"}
    statuses: list[str] = []

    with httpx.Client(base_url=server.url, headers=headers, timeout=300, limits=limits) as client:

        def one(path: Path) -> float:
            t0 = time.perf_counter()
            response = client.post("/api/v1/invoices/extract", files={"file": (path.name, path.read_bytes())})
            response.raise_for_status()
            statuses.append(response.json()["status"])
            return time.perf_counter() - t0

        one(files[0])  # warm up
        statuses.clear()
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            latencies = sorted(pool.map(one, files))
        elapsed = time.perf_counter() - started
    return {
        "seconds": round(elapsed, 2),
        "documents_per_second": round(len(files) / elapsed, 2),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
        "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 1),
        "accepted": statuses.count("accepted"),
    }


def _duplicates(server: LocalServer, files: list[Path]) -> dict[str, float]:
    """One at a time: each document saved (read), then sent again (answered from the store by its hash)."""
    headers = {"Authorization": f"Bearer {server.token('client')}"}
    first, again = [], []
    with httpx.Client(base_url=server.url, headers=headers, timeout=300) as client:
        for round_times in (first, again):
            for path in files:
                t0 = time.perf_counter()
                response = client.post(
                    "/api/v1/invoices/extract", params={"save": "true"}, files={"file": (path.name, path.read_bytes())}
                )
                response.raise_for_status()
                round_times.append(time.perf_counter() - t0)
                if round_times is again:
                    assert response.json()["saved"]["created"] is False
    first.sort()
    again.sort()
    return {
        "first_p50_ms": round(1000 * first[len(first) // 2], 1),
        "first_p95_ms": round(1000 * first[int(0.95 * (len(first) - 1))], 1),
        "again_p50_ms": round(1000 * again[len(again) // 2], 1),
        "again_p95_ms": round(1000 * again[int(0.95 * (len(again) - 1))], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2, help="CLI worker processes = API reader workers")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--duplicates", type=int, default=20, help="documents saved, then sent again")
    quick_arg(parser)
    args = parser.parse_args()
    if args.quick:
        args.documents, args.duplicates = 12, 6
    with tempfile.TemporaryDirectory(prefix="mm-extract-") as tmp:
        files = _documents(Path(tmp) / "docs", args.documents, args.seed)
        state = Path(tmp) / "state"
        state.mkdir()
        env = server_env(state, reader_workers=args.workers, rate_limit_per_minute=10**6)
        with LocalServer(env=env, log=state / "server.log") as server:
            api = _api(server, files, args.concurrency)
            duplicates = _duplicates(server, files[: args.duplicates])
        cli = _cli(files, args.workers)
    steady = cli["documents_per_second_after_start"]
    ratio = api["documents_per_second"] / steady
    figures = [
        figure("text-layer PDFs/s through the CLI (after start-up)", steady, goal=(">=", 30), unit="docs/s",
               better="higher"),
        figure("text-layer PDFs/s, API vs CLI (after start-up)", api["documents_per_second"], steady,
               goal=(">=", 0.9), on="ratio", unit="docs/s", better="higher"),
        figure("duplicate upload p95 vs its first reading", duplicates["again_p95_ms"], duplicates["first_p95_ms"],
               goal=("<", 20), unit="ms", better="lower"),
    ]  # fmt: skip
    result = {
        "benchmark": "service_extract",
        "documents": len(files),
        "kind": "text-layer PDF (synthetic)",
        "workers": args.workers,
        "api": {**api, "concurrency": args.concurrency},
        "cli": cli,
        "throughput_ratio_api_vs_cli": round(ratio, 2),
        "goal_ratio": 0.9,
        "duplicate_uploads": {**duplicates, "documents": min(args.duplicates, len(files))},
        "note": "shared 2-core machine; the CLI's figure after start-up is (n - 1) / (time of n - time of 1 "
        "document); the API's excludes the server's start",
    }
    emit(with_figures(result, figures))


if __name__ == "__main__":
    main()
