"""Reads spread over the reader processes: one read in flight per slot, and every answer closes its connection."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from minimarket.service.dispatch import CloseAfterResponse, ReadSlots


def test_no_more_reads_in_flight_than_slots_and_all_answered_in_order() -> None:
    in_flight, most = 0, 0

    async def read(n: int) -> int:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return n

    async def main() -> list[int]:
        slots = ReadSlots(2)
        return list(await asyncio.gather(*(slots.run(functools.partial(read, n)) for n in range(7))))

    assert asyncio.run(main()) == list(range(7))
    assert most == 2


def test_an_error_frees_its_slot() -> None:
    async def fails() -> None:
        raise ValueError("unreadable")

    async def main() -> str:
        slots = ReadSlots(1)
        with contextlib.suppress(ValueError):
            await slots.run(fails)
        return await asyncio.wait_for(slots.run(lambda: asyncio.sleep(0, "next")), timeout=5)

    assert asyncio.run(main()) == "next"


def test_every_answer_closes_its_connection() -> None:
    async def answer(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True}, headers={"Connection": "keep-alive"})

    app = CloseAfterResponse(Starlette(routes=[Route("/read", answer, methods=["POST"])]))
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/read", "headers": [], "query_string": b""}
    asyncio.run(app(scope, receive, send))
    start = sent[0]
    assert start["type"] == "http.response.start" and start["status"] == 200
    assert [v for k, v in start["headers"] if k.lower() == b"connection"] == [b"close"]
    assert sent[-1]["body"] == b'{"ok":true}'
