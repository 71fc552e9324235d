"""``POST predict/demand`` through a real server: adaptive batching (concurrent requests) side by side with one
request at a time, same requests, same server. Prints JSON.

Concurrent requests reach the forecaster together (the API sends those that arrive during a call in the next
one), so ``server_batches`` counts model calls and ``requests_per_server_batch`` their mean size. Every SKU is
asked for once before the runs, so both find the model loaded and the SKUs' history cached.

The server's store gets synthetic sales of ``--skus`` products; with ``--champion`` (default) a demand model is
trained on them and registered as champion first, so requests go through the global GBM as in production.

    .venv/bin/python benchmarks/service_demand.py [--requests 200] [--concurrency 32] [--no-champion]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from minimarket.bench.figures import emit, figure, with_figures
from minimarket.service.local import LocalServer, server_env


def _seed(state: Path, n_skus: int, days: int, champion: bool) -> dict[str, object]:
    env = server_env(state)
    for key in ("MINIMARKET_VAR_DIR", "MINIMARKET_DATABASE_URL", "MINIMARKET_MLFLOW_URI"):
        os.environ[key] = env[key]
    from minimarket.config import get_settings

    get_settings.cache_clear()
    from decimal import Decimal

    from minimarket.store.db import session_scope
    from minimarket.store.models import Sale
    from minimarket.synth.sales import simulate_sales

    sales = simulate_sales(days=days, seed=3, n_skus=n_skus).sales
    with session_scope() as session:
        session.add_all(
            Sale(date=row.date.date(), sku=row.sku, quantity=Decimal(str(row.quantity)), unit_price=None)
            for row in sales.itertuples()
        )
    info: dict[str, object] = {"sales_rows": len(sales), "skus": int(sales["sku"].nunique())}
    if champion:
        from minimarket.forecast.demand_mlflow import train_and_register

        started = time.perf_counter()
        outcome = train_and_register(sales[["date", "sku", "quantity"]], horizon=28)
        info["champion_version"] = outcome.version
        info["train_seconds"] = round(time.perf_counter() - started, 1)
    return info


def _one(client: httpx.Client, sku: str) -> float:
    started = time.perf_counter()
    response = client.post("/api/v1/predict/demand", json={"skus": [sku], "horizon": 14})
    response.raise_for_status()
    return time.perf_counter() - started


def _run(url: str, token: str, skus: list[str], concurrency: int) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=300) as client:
        started = time.perf_counter()
        if concurrency <= 1:
            latencies = [_one(client, sku) for sku in skus]
        else:
            limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
            with (
                httpx.Client(base_url=url, headers=headers, timeout=300, limits=limits) as pooled,
                ThreadPoolExecutor(concurrency) as pool,
            ):
                latencies = list(pool.map(lambda sku: _one(pooled, sku), skus))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(skus),
        "seconds": round(elapsed, 2),
        "requests_per_second": round(len(skus) / elapsed, 2),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
        "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 1),
    }


def _batch_sizes(url: str) -> dict[str, float]:
    text = httpx.get(url + "/metrics").text
    total = count = 0.0
    for line in text.splitlines():
        if line.startswith("bentoml_service_adaptive_batch_size_") and 'method_name="forecast"' in line:
            value = float(line.rsplit(" ", 1)[1])
            if re.match(r"bentoml_service_adaptive_batch_size_sum", line):
                total += value
            elif re.match(r"bentoml_service_adaptive_batch_size_count", line):
                count += value
    return {"batches": count, "mean_batch_size": round(total / count, 2) if count else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--requests", type=int, default=1000, help="requests per run (the batched run lasts seconds: fewer are noise)"
    )
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--skus", type=int, default=60)
    parser.add_argument("--days", type=int, default=500)
    parser.add_argument("--no-champion", dest="champion", action="store_false")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mm-demand-") as tmp:
        state = Path(tmp)
        seeded = _seed(state, args.skus, args.days, args.champion)
        server = LocalServer(
            env=server_env(state, rate_limit_per_minute=10**6, rate_limit_per_minute_ip=10**6, reader_workers=1),
            log=state / "server.log",
        )
        with server:
            try:
                token = server.token("client")
                skus = [f"{sku}" for sku in _skus(server)]
                wanted = [skus[i % len(skus)] for i in range(args.requests)]
                _run(server.url, token, skus, 1)  # warm up: model loaded, every SKU's history cached, for both runs
                one_at_a_time = _run(server.url, token, wanted, 1)
                before = _batch_sizes(server.url)
                batched = _run(server.url, token, wanted, args.concurrency)
                after = _batch_sizes(server.url)
            except Exception:
                sys.stderr.write((state / "server.log").read_text(errors="replace")[-6000:])
                raise
    batches = after["batches"] - before["batches"]
    result = {
        "benchmark": "service_demand",
        **seeded,
        "one_at_a_time": one_at_a_time,
        "adaptive_batching": {
            **batched,
            "concurrency": args.concurrency,
            "server_batches": batches,
            "requests_per_server_batch": round(args.requests / batches, 1) if batches else None,
        },
        "throughput_ratio": round(batched["requests_per_second"] / one_at_a_time["requests_per_second"], 2),
        "goal_ratio": 5.0,
        "note": "shared 2-core machine; one server, same requests; each request is one SKU, 14 days",
    }
    figures = [
        figure("predict/demand req/s, batched vs one at a time", batched["requests_per_second"],
               one_at_a_time["requests_per_second"], goal=(">=", 5), on="ratio", unit="req/s", better="higher"),
        figure("predict/demand batched p95", batched["p95_ms"], unit="ms", better="lower"),
    ]  # fmt: skip
    emit(with_figures(result, figures))


def _skus(server: LocalServer) -> list[str]:
    from sqlalchemy import select

    from minimarket.store.db import session_scope
    from minimarket.store.models import Sale

    with session_scope(url=server.database_url) as session:
        return sorted(session.scalars(select(Sale.sku).distinct()))


if __name__ == "__main__":
    main()
