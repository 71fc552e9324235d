"""The product plan's load scenarios with Locust (headless, bounded users and time, loopback only) against a real
``minimarket serve`` on a seeded demo shop. Prints JSON with a ``figures`` list.

    .venv/bin/python benchmarks/load.py [--quick | --full] [--scenarios a,b,c]

* (a) 50 users × 10 requests a minute: mixed reads (search, one invoice, stock alerts, demand predictions) and
  single extractions of text-layer PDFs — 10 minutes with ``--full`` (``make load``), 2 by default (``make
  bench``);
* (b) a spike of the same users 0 → 100 → 0 — over 5 minutes with ``--full``, 90 s by default;
* (c) 10 users each sending one batch of 20 invoices and following it until finished (``--full``: scans and
  phone photos among them; by default text-layer PDFs).

For each: p50/p95/p99 per endpoint and overall, throughput, error rate; the server's RSS (its whole process
tree) at the start, after the warm-up and at the end; whether the server still answers afterwards. Goals
(issue 21): non-OCR p95 < 300 ms under (a), error rate < 0.5 % in every scenario, no crash, RSS growth < 10 %
after warm-up over (a).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

from minimarket.bench.figures import Figure, emit, figure, quick_arg, with_figures
from minimarket.service.local import LocalServer, server_env

LOCUST = Path(__file__).with_name("locust")
OCR_ENDPOINTS = ("POST invoices/extract", "POST invoices/batch", "batch of")


@dataclass(frozen=True)
class Sizes:
    users: int = 50
    mixed_seconds: float = 120.0
    peak: int = 100
    spike_seconds: float = 90.0
    batch_users: int = 10
    batch_size: int = 20
    batch_kind: str = "pdf"
    invoices: int = 3000
    sales_days: int = 365


QUICK = Sizes(users=20, mixed_seconds=40.0, peak=30, spike_seconds=40.0, batch_users=3, batch_size=5,
              invoices=300, sales_days=120)  # fmt: skip
FULL = Sizes(mixed_seconds=600.0, spike_seconds=300.0, batch_kind="mixed", invoices=10_000, sales_days=730)


class RssSampler(threading.Thread):
    """The resident memory of a process and its children, every ``every`` seconds."""

    def __init__(self, pid: int, every: float = 2.0) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()

    def rss(self) -> int:
        try:
            root = psutil.Process(self.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0
        total = 0
        for proc in procs:
            try:
                total += proc.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total

    def run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), self.rss()))
            self._stop.wait(self.every)

    def stop(self) -> None:
        self._stop.set()

    def at(self, moment: float) -> int:
        """The last sample taken at or before ``moment``."""
        before = [rss for t, rss in self.samples if t <= moment]
        return before[-1] if before else (self.samples[0][1] if self.samples else 0)


def _seed(state: Path, sizes: Sizes) -> dict[str, Any]:
    from minimarket.catalog import bundled_products
    from minimarket.config import Settings
    from minimarket.demo import seed_demo_shop

    settings = Settings(
        var_dir=state,
        database_url=f"sqlite:///{state / 'minimarket.db'}",
        mlflow_uri=f"sqlite:///{state / 'mlflow.db'}",
    )
    report = seed_demo_shop(settings, invoices=sizes.invoices, samples=False, sales_days=sizes.sales_days)
    products = bundled_products()
    words = sorted({w for p in products for w in p.name.lower().split() if len(w) >= 4 and w.isalpha()})
    return {
        "invoices": sizes.invoices,
        "sales_rows": report.sales_rows,
        "skus": [p.sku for p in products][:120],
        "words": words[:200],
    }


def _documents(folder: Path, n: int, kind: str, seed: int) -> Path:
    command = [sys.executable, "-m", "minimarket.cli", "synth", "invoices", "--n", str(n), "--kind", kind,
               "--seed", str(seed), "--out", str(folder)]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    return folder


def _locust(
    server: LocalServer, token: str, seeded: dict[str, Any], docs: Path, work: Path, name: str, args: list[str]
) -> dict[str, Any]:
    stats = work / f"{name}.json"
    command = [
        str(Path(sys.executable).with_name("locust")), *args, "--headless", "--only-summary",
        "--host", server.url, "--json-file", str(stats.with_suffix("")), "--logfile", str(work / f"{name}.log"),
        "--stop-timeout", "30", "--csv", str(work / name), "--token", token, "--skus", ",".join(seeded["skus"]),
        "--words", ",".join(seeded["words"]), "--documents", str(docs),
        "--max-invoice-id", str(seeded["invoices"]),
    ]  # fmt: skip
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if not stats.is_file():
        raise RuntimeError(f"locust wrote no stats (exit {done.returncode}): {done.stderr[-2000:]}")
    failures = work / f"{name}_failures.csv"
    errors = list(csv.DictReader(failures.open())) if failures.is_file() else []
    return {"entries": json.loads(stats.read_text()), "seconds": seconds, "started": started, "errors": errors[:10]}


def _percentile(histogram: dict[float, int], q: float) -> float | None:
    total = sum(histogram.values())
    if not total:
        return None
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= q * total:
            return value
    return max(histogram)


def _summary(entries: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """Per endpoint and overall: requests, failures, p50/p95/p99 (ms), and the non-OCR endpoints merged."""

    def merged(selected: list[dict[str, Any]]) -> dict[str, Any]:
        histogram: dict[float, int] = {}
        for entry in selected:
            for value, count in entry.get("response_times", {}).items():
                histogram[float(value)] = histogram.get(float(value), 0) + int(count)
        requests = sum(int(e.get("num_requests", 0)) for e in selected)
        failures = sum(int(e.get("num_failures", 0)) for e in selected)
        return {
            "requests": requests,
            "failures": failures,
            "error_rate_pct": round(100 * failures / requests, 3) if requests else None,
            "p50_ms": _percentile(histogram, 0.50),
            "p95_ms": _percentile(histogram, 0.95),
            "p99_ms": _percentile(histogram, 0.99),
        }

    endpoints = {e["name"]: merged([e]) for e in entries}
    non_ocr = [e for e in entries if not e["name"].startswith(OCR_ENDPOINTS) and e.get("method") != "BATCH"]
    overall = merged(entries)
    overall["throughput_rps"] = round(overall["requests"] / max(seconds, 1e-6), 2)
    return {"overall": overall, "non_ocr": merged(non_ocr), "endpoints": endpoints, "seconds": round(seconds, 1)}


def _memory(sampler: RssSampler, started: float, seconds: float, warmup: float) -> dict[str, float]:
    mib = 1024 * 1024
    start = sampler.at(started)
    warm = sampler.at(started + warmup)
    end = sampler.at(started + seconds)
    return {
        "rss_start_mib": round(start / mib, 1),
        "rss_after_warmup_mib": round(warm / mib, 1),
        "rss_end_mib": round(end / mib, 1),
        "rss_growth_after_warmup_pct": round(100 * (end / warm - 1), 2) if warm else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the plan's durations (make load)")
    parser.add_argument("--scenarios", default="a,b,c")
    parser.add_argument("--seed", type=int, default=31)
    quick_arg(parser)
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL if args.full else Sizes()
    wanted = set(args.scenarios.split(","))
    result: dict[str, Any] = {"benchmark": "load", "mode": "quick" if args.quick else "full" if args.full else "short"}
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="mm-load-") as tmp:
        root = Path(tmp)
        state = root / "state"
        state.mkdir()
        seeded = _seed(state, sizes)
        extract_docs = _documents(root / "extract", 12, "pdf", args.seed)
        batch_docs = _documents(root / "batch", sizes.batch_size + 4, sizes.batch_kind, args.seed + 1)
        env = server_env(state, rate_limit_per_minute=10**6, rate_limit_per_minute_ip=10**6,
                         batch_budget_seconds=3600)  # fmt: skip
        server = LocalServer(env=env, log=state / "server.log")
        with server:
            assert server.process is not None
            sampler = RssSampler(server.process.pid)
            sampler.start()
            token = server.token("manager")
            common = (server, token, seeded)
            if "a" in wanted:
                run = _locust(*common, extract_docs, root, "a", [
                    "-f", str(LOCUST / "shop_users.py"), "ShopUser", "-u", str(sizes.users),
                    "-r", str(max(1, sizes.users // 10)), "-t", f"{int(sizes.mixed_seconds)}s",
                ])  # fmt: skip
                a = _summary(run["entries"], run["seconds"])
                a["errors"] = run["errors"]
                a["memory"] = _memory(sampler, run["started"], run["seconds"], min(60.0, run["seconds"] / 4))
                a["users"], a["offered_rps"] = sizes.users, round(sizes.users * 10 / 60, 2)
                result["a_mixed"] = a
                figures += [
                    figure(f"(a) {sizes.users} users: non-OCR p95", a["non_ocr"]["p95_ms"], goal=("<", 300),
                           unit="ms", better="lower"),
                    figure("(a) error rate", a["overall"]["error_rate_pct"], goal=("<", 0.5), unit="%",
                           better="lower"),
                    figure("(a) throughput vs offered", a["overall"]["throughput_rps"], a["offered_rps"],
                           unit="req/s", better="higher"),
                    figure("(a) RSS growth after warm-up", a["memory"]["rss_growth_after_warmup_pct"],
                           goal=("<", 10), unit="%", better="lower"),
                ]  # fmt: skip
            if "b" in wanted:
                run = _locust(*common, extract_docs, root, "b", [
                    "-f", str(LOCUST / "spike.py"), "--peak", str(sizes.peak),
                    "--spike-seconds", str(sizes.spike_seconds), "-t", f"{int(sizes.spike_seconds) + 30}s",
                ])  # fmt: skip
                b = _summary(run["entries"], run["seconds"])
                b["errors"] = run["errors"]
                b["memory"] = _memory(sampler, run["started"], run["seconds"], run["seconds"] / 4)
                b["peak_users"] = sizes.peak
                result["b_spike"] = b
                figures += [
                    figure(f"(b) spike to {sizes.peak}: error rate", b["overall"]["error_rate_pct"], goal=("<", 0.5),
                           unit="%", better="lower"),
                    figure(f"(b) spike to {sizes.peak}: non-OCR p95", b["non_ocr"]["p95_ms"], unit="ms",
                           better="lower"),
                ]  # fmt: skip
            if "c" in wanted:
                run = _locust(*common, batch_docs, root, "c", [
                    "-f", str(LOCUST / "shop_users.py"), "BatchUser", "-u", str(sizes.batch_users),
                    "-r", str(sizes.batch_users), "--batch-size", str(sizes.batch_size),
                    "-t", "40m" if args.full else "15m",
                ])  # fmt: skip
                c = _summary(run["entries"], run["seconds"])
                c["errors"] = run["errors"]
                c["memory"] = _memory(sampler, run["started"], run["seconds"], run["seconds"] / 4)
                c["users"], c["batch_size"], c["kind"] = sizes.batch_users, sizes.batch_size, sizes.batch_kind
                batch = next((v for k, v in c["endpoints"].items() if k.startswith("batch of")), {})
                docs = sizes.batch_users * sizes.batch_size
                c["documents_per_second"] = round(docs / max(run["seconds"], 1e-6), 2)
                result["c_batches"] = c
                figures += [
                    figure(f"(c) {sizes.batch_users} batches of {sizes.batch_size}: error rate",
                           c["overall"]["error_rate_pct"], goal=("<", 0.5), unit="%", better="lower"),
                    figure(f"(c) batch of {sizes.batch_size} end to end p95", batch.get("p95_ms"), unit="ms",
                           better="lower"),
                ]  # fmt: skip
            alive = server.process.poll() is None and httpx.get(server.url + "/readyz", timeout=10).status_code == 200
            sampler.stop()
            result["server_alive_at_end"] = alive
            figures.append(figure("server still answers after the scenarios", float(alive), goal=(">=", 1)))
    result["seeded"] = {"invoices": seeded["invoices"], "sales_rows": seeded["sales_rows"]}
    result["load_average_1min"] = round(os.getloadavg()[0], 1)
    result["note"] = "shared 2-core machine; Locust runs on the same cores as the server (loopback)"
    emit(with_figures(result, figures))


if __name__ == "__main__":
    main()
