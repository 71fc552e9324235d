"""The API's calls to the demand forecaster: concurrent ``predict/demand`` requests of one API process go
together in one call.

While a call is in flight, the requests that arrive wait and leave together in the next one (at most
``max_batch`` a call). An idle forecaster gets a request at once: there is no batching window, so one request
alone is not slowed down, and under load a request costs one forecaster call's share instead of a call of its
own (its HTTP round trip, payload validation and the adaptive batcher's queue). The forecaster still batches
adaptively across API workers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

Request = dict[str, Any]
CallFn = Callable[[list[Request]], Awaitable[list[dict[str, Any]]]]


class DemandCalls:
    """``await calls(requests)`` -> one answer per request, as ``call`` gives them; see the module docstring."""

    def __init__(self, call: CallFn, max_batch: int) -> None:
        self._call = call
        self._max_batch = max(1, max_batch)
        self._pending: list[tuple[Request, asyncio.Future[dict[str, Any]]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def __call__(self, requests: list[Request]) -> list[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in requests]
        self._pending.extend(zip(requests, futures, strict=True))
        if self._sender is None or self._sender.done():
            self._sender = loop.create_task(self._send())
        return list(await asyncio.gather(*futures))

    async def _send(self) -> None:
        """Calls the forecaster until nothing is pending, one call at a time."""
        while self._pending:
            batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
            batch = [(request, future) for request, future in batch if not future.done()]  # callers gone
            if not batch:
                continue
            try:
                answers = await self._call([request for request, _ in batch])
            except Exception as exc:  # every request of the call gets the error, as it would alone
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), answer in zip(batch, answers, strict=True):
                if not future.done():
                    future.set_result(answer)
