"""Locust users of the product plan's load scenarios (``benchmarks/load.py`` runs them headless on loopback).

The driver passes what the users need through Locust's own command line (``--token``, ``--skus``, ``--words``,
``--documents``): a manager token, SKUs and search words of the seeded shop, and a folder of invoices.

* :class:`ShopUser` — a shop's client program: 10 requests a minute, mixed reads (search, one invoice, stock
  alerts, demand predictions) and single extractions;
* :class:`BatchUser` — sends one batch of invoices, follows it until finished, reports its end-to-end time.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import gevent
from locust import HttpUser, constant_throughput, events, task
from locust.exception import StopUser


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument("--token", default="", help="bearer token (manager)")
    parser.add_argument("--skus", default="", help="comma-separated SKUs to predict")
    parser.add_argument("--words", default="", help="comma-separated search words")
    parser.add_argument("--documents", default="", help="folder of invoices to extract or batch")
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--max-invoice-id", type=int, default=1)


def _documents(folder: str) -> list[tuple[str, bytes]]:
    paths = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in (".pdf", ".png", ".jpg", ".jpeg"))
    return [(p.name, p.read_bytes()) for p in paths]


class _Authorised(HttpUser):
    abstract = True

    def on_start(self) -> None:
        options = self.environment.parsed_options
        self.client.headers["Authorization"] = f"Bearer {options.token}"
        self.skus = [s for s in options.skus.split(",") if s]
        self.words = [w for w in options.words.split(",") if w]
        self.files = _documents(options.documents)
        self.max_id = max(1, options.max_invoice_id)


class ShopUser(_Authorised):
    """10 requests a minute: reads (search, invoice, alerts, predictions) and extractions."""

    wait_time = constant_throughput(10 / 60)

    @task(30)
    def search(self) -> None:
        self.client.get("/api/v1/invoices", params={"text": random.choice(self.words)}, name="GET invoices?text=")

    @task(20)
    def invoice(self) -> None:
        self.client.get(f"/api/v1/invoices/{random.randint(1, self.max_id)}", name="GET invoices/{id}")

    @task(10)
    def alerts(self) -> None:
        self.client.get("/api/v1/stock/alerts", name="GET stock/alerts")

    @task(20)
    def predict(self) -> None:
        body = {"skus": random.sample(self.skus, k=min(3, len(self.skus))), "horizon": 14}
        self.client.post("/api/v1/predict/demand", json=body, name="POST predict/demand")

    @task(20)
    def extract(self) -> None:
        name, data = random.choice(self.files)
        self.client.post("/api/v1/invoices/extract", files={"file": (name, data)}, name="POST invoices/extract")


class BatchUser(_Authorised):
    """One batch of ``--batch-size`` invoices, followed until finished (then the user stops)."""

    started = 0
    finished = 0

    def wait_time(self) -> float:
        return 0.0

    @task
    def one_batch(self) -> None:
        size = self.environment.parsed_options.batch_size
        chosen = [self.files[(self.greenlet_index() + i) % len(self.files)] for i in range(size)]
        started = time.perf_counter()
        answer = self.client.post(
            "/api/v1/invoices/batch", files=[("files", doc) for doc in chosen], name="POST invoices/batch"
        )
        error: Exception | None = None
        if answer.status_code != 202:
            error = RuntimeError(f"batch refused: {answer.status_code}")
        else:
            batch_id = answer.json()["batch_id"]
            while True:
                time.sleep(2.0)
                view = self.client.get(f"/api/v1/invoices/batch/{batch_id}", name="GET invoices/batch/{id}")
                data = view.json() if view.status_code == 200 else {}
                if data.get("status") == "finished":
                    if data.get("failed"):
                        error = RuntimeError(f"{data['failed']} of {size} documents failed")
                    break
        events.request.fire(
            request_type="BATCH",
            name=f"batch of {size}, end to end",
            response_time=1000 * (time.perf_counter() - started),
            response_length=0,
            exception=error,
            context={},
        )
        BatchUser.finished += 1
        if BatchUser.finished >= self.environment.parsed_options.num_users:
            gevent.spawn_later(0.5, self.environment.runner.quit)  # every batch is in: the scenario is over
        raise StopUser

    def greenlet_index(self) -> int:
        BatchUser.started += 1
        return BatchUser.started * 7
