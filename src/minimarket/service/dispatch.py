"""Reads spread evenly over the reader processes.

BentoML's reader workers share one listening socket, and the API's client keeps its connections to them alive:
each connection stays with the worker that accepted it, so reads pile up behind one worker while another waits
for the API's next request (bentoml/BentoML#5426, measured here 3:1 over two readers). Two things together
make the spread even:

* :class:`CloseAfterResponse` on the reader service: every answer closes its connection, so each read is
  accepted anew, and a worker reads its batch on its event loop (blocking it on purpose), so while it reads
  it accepts nothing and the connection goes to an idle worker. (Read in a thread, as BentoML does with a
  synchronous API, the busy worker's loop went on accepting: reads queued behind a batch holding one long
  photo while the other worker sat idle, 31 s of idle workers in a 50-document batch of 102 s, against 7 s
  of 64 s read on the loop, measured side by side on the same machine);
* :class:`ReadSlots` in the API: at most as many reads in flight as the reader processes can batch
  (``reader_workers × extract_max_batch``); the others wait in the API (their documents already stored), so a
  long queue forms there, in order, rather than behind one reader.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

T = TypeVar("T")


class CloseAfterResponse:
    """ASGI middleware: every HTTP answer says ``Connection: close`` (the server closes it after the answer)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, closing)


class ReadSlots:
    """At most ``slots`` reads in flight; the rest wait their turn in order."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._semaphore = asyncio.Semaphore(slots)

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        async with self._semaphore:
            return await call()
