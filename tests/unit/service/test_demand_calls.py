"""Concurrent demand requests of the API leave together: one forecaster call while another is in flight."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from minimarket.service.demand_calls import DemandCalls


class Forecaster:
    """Answers each request with its SKUs after yielding to the loop, recording the calls it got."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.calls: list[list[str]] = []
        self.fail_on = fail_on

    async def __call__(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.calls.append([r["skus"][0] for r in requests])
        await asyncio.sleep(0.01)
        if self.fail_on and any(r["skus"][0] == self.fail_on for r in requests):
            raise RuntimeError("forecaster busy")
        return [{"skus": r["skus"], "call": len(self.calls)} for r in requests]


def _request(sku: str) -> dict[str, Any]:
    return {"shop": "default", "skus": [sku], "horizon": 7}


def test_requests_arriving_during_a_call_go_together_in_order() -> None:
    forecaster = Forecaster()
    calls = DemandCalls(forecaster, max_batch=4)

    async def run() -> list[list[dict[str, Any]]]:
        first = asyncio.create_task(calls([_request("S0")]))
        await asyncio.sleep(0.001)  # S0's call is in flight
        rest = await asyncio.gather(*(calls([_request(f"S{i}")]) for i in range(1, 10)))
        return [await first, *rest]

    answers = asyncio.run(run())
    assert [a[0]["skus"] for a in answers] == [[f"S{i}"] for i in range(10)]
    assert forecaster.calls == [["S0"], ["S1", "S2", "S3", "S4"], ["S5", "S6", "S7", "S8"], ["S9"]]


def test_a_lone_request_is_sent_at_once_and_errors_reach_every_request_of_the_call() -> None:
    forecaster = Forecaster(fail_on="BAD")
    calls = DemandCalls(forecaster, max_batch=8)

    async def run() -> list[Any]:
        alone = await calls([_request("A")])
        together = await asyncio.gather(calls([_request("B")]), calls([_request("BAD")]), return_exceptions=True)
        return [alone, *together]

    alone, first, second = asyncio.run(run())
    assert alone == [{"skus": ["A"], "call": 1}]
    assert isinstance(first, RuntimeError)  # one call for both: its failure is each request's
    assert isinstance(second, RuntimeError)
    assert forecaster.calls == [["A"], ["B", "BAD"]]
    with pytest.raises(RuntimeError):
        asyncio.run(DemandCalls(Forecaster(fail_on="X"), 2)([_request("X")]))
