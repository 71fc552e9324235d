"""API read throughput with 1 and with 2 replicas of ``minimarket serve`` on one PostgreSQL (issue 23): the same
client load (``--clients`` concurrent clients, ``--requests`` bounded requests of ``GET invoices?text=…`` with a
manager token), spread round-robin over the replicas; requests/s of each and the ratio 2 : 1. Prints JSON with
a ``figures`` list (and ``--out`` writes it too).

    .venv/bin/python benchmarks/replicas.py [--requests 600] [--clients 8] [--documents 4] [--quick]

PostgreSQL is a throw-away cluster in a temp folder on loopback (Debian's ``postgresql`` package), the rate
limits live in memory with a limit no client reaches, and each replica runs one reader process. On a machine
with 2 shared cores the second replica can add at most one core's worth of API front.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from minimarket.bench.figures import emit, figure, quick_arg, with_figures
from minimarket.bench.postgres import throwaway_postgres
from minimarket.client import MinimarketClient
from minimarket.service.local import LocalServer, server_env

QUERIES = ("yerba", "aceite", "arroz", "fideos", "azucar", "leche")


def _replica(state: Path, name: str, database: str) -> LocalServer:
    env = server_env(
        state,
        reader_workers=1,
        rate_limit_per_minute=10_000_000,
        rate_limit_per_minute_ip=10_000_000,
        db_pool_size=8,
    )
    env["MINIMARKET_DATABASE_URL"] = database
    env["BENTOML_HOME"] = str(state / f"bentoml-{name}")
    return LocalServer(env=env, log=state / f"server-{name}.log")


def _load(urls: list[str], token: str, requests: int, clients: int) -> dict[str, Any]:
    """``requests`` GETs from ``clients`` threads, request i to ``urls[i % len(urls)]``."""
    headers = {"Authorization": f"Bearer {token}"}
    pools = [httpx.Client(base_url=url, headers=headers, timeout=60) for url in urls]
    try:
        for pool in pools:  # connections open and first-request costs paid before timing
            pool.get("/api/v1/invoices").raise_for_status()

        def one(i: int) -> tuple[int, float]:
            started = time.perf_counter()
            answer = pools[i % len(pools)].get("/api/v1/invoices", params={"text": QUERIES[i % len(QUERIES)]})
            return answer.status_code, time.perf_counter() - started

        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as executor:
            results = list(executor.map(one, range(requests)))
        seconds = time.perf_counter() - started
    finally:
        for pool in pools:
            pool.close()
    latencies = sorted(s for _, s in results)
    ok = sum(1 for code, _ in results if code == 200)
    return {
        "replicas": len(urls),
        "requests": requests,
        "ok": ok,
        "seconds": round(seconds, 3),
        "requests_per_second": round(ok / seconds, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--documents", type=int, default=4, help="invoices stored (through a batch) before the load")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    quick_arg(parser)
    args = parser.parse_args()
    if args.quick:
        args.requests, args.documents = 120, 2
    with tempfile.TemporaryDirectory(prefix="mm-replicas-") as tmp, throwaway_postgres() as database:
        state = Path(tmp)
        docs = state / "docs"
        command = [sys.executable, "-m", "minimarket.cli", "synth", "invoices", "--n", str(args.documents),
                   "--kind", "pdf", "--seed", "5", "--out", str(docs)]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True)
        a, b = _replica(state, "a", database), _replica(state, "b", database)
        a.start()
        try:
            b.start()
            try:
                with MinimarketClient(a.url, a.token("client")) as api:
                    batch = api.submit_batch(sorted(docs.glob("*.pdf")))["batch_id"]
                    stored = api.wait_batch(batch, timeout=600)["done"]
                token = a.token("manager")
                one = _load([a.url], token, args.requests, args.clients)
                two = _load([a.url, b.url], token, args.requests, args.clients)
            finally:
                b.stop()
        finally:
            a.stop()
    ratio = two["requests_per_second"] / max(one["requests_per_second"], 1e-9)
    figures = [
        figure("API reads/s, 2 replicas vs 1 (one PostgreSQL)", two["requests_per_second"],
               one["requests_per_second"], unit="req/s", better="higher"),
    ]  # fmt: skip
    result = {
        "benchmark": "replicas",
        "endpoint": "GET /api/v1/invoices?text=…",
        "clients": args.clients,
        "invoices_stored": stored,
        "one_replica": one,
        "two_replicas": two,
        "ratio_2_vs_1": round(ratio, 2),
        "cores": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "note": "shared 2-core machine (other work running); both replicas, PostgreSQL and the client on it",
    }
    result = with_figures(result, figures)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    emit(result)


if __name__ == "__main__":
    main()
