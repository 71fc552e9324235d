"""Single extractions of text-layer PDFs through the API (``POST invoices/extract``) side by side with the CLI
(``minimarket extract --workers W``) on the same files and cores: p50/p95 latency and documents/s. Prints JSON.

    .venv/bin/python benchmarks/service_extract.py [--documents 40] [--workers 2] [--concurrency 4]
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


def _cli(files: list[Path], workers: int) -> dict[str, float]:
    started = time.perf_counter()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "minimarket.cli",
            "extract",
            *map(str, files),
            "--jsonl",
            "--no-progress",
            "--workers",
            str(workers),
        ],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    statuses = [json.loads(line)["status"] for line in out.stdout.splitlines()]
    return {
        "seconds": round(elapsed, 2),
        "documents_per_second": round(len(files) / elapsed, 2),
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2, help="CLI worker processes = API reader workers")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight")
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mm-extract-") as tmp:
        files = _documents(Path(tmp) / "docs", args.documents, args.seed)
        state = Path(tmp) / "state"
        state.mkdir()
        env = server_env(state, reader_workers=args.workers, rate_limit_per_minute=10**6)
        with LocalServer(env=env, log=state / "server.log") as server:
            api = _api(server, files, args.concurrency)
        cli = _cli(files, args.workers)
    result = {
        "benchmark": "service_extract",
        "documents": len(files),
        "kind": "text-layer PDF (synthetic)",
        "workers": args.workers,
        "api": {**api, "concurrency": args.concurrency},
        "cli": cli,
        "throughput_ratio_api_vs_cli": round(api["documents_per_second"] / cli["documents_per_second"], 2),
        "goal_ratio": 0.9,
        "note": "shared 2-core machine; CLI time includes its start-up, API time excludes the server's",
    }
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
