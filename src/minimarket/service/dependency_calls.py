"""Calls from the API to its BentoML dependencies (the reader, the demand forecaster).

BentoML's client keeps connections to a dependency in a pool that can outlive the dependency server's
keep-alive, so a request may be written to a connection the server has just closed and fail with
"Server disconnected" although the dependency is up (bentoml/BentoML#4971, fixed upstream only in an open
pull request). Both calls only read, so such a request is sent once more on a fresh connection.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp
import httpx

log = logging.getLogger(__name__)
T = TypeVar("T")


def dropped_connection(exc: BaseException) -> bool:
    """Whether ``exc`` is a connection lost or refused before an answer (not an error the dependency answered)."""
    return isinstance(exc, aiohttp.ClientConnectionError | httpx.TransportError | ConnectionError)


async def call_once_more_if_dropped(call: Callable[[], Awaitable[T]], what: str) -> T:
    """``await call()``; when its connection was dropped, once more (a second drop is raised to the caller)."""
    try:
        return await call()
    except Exception as exc:
        if not dropped_connection(exc):
            raise
        log.warning("%s: connection dropped (%s); sending the request once more", what, type(exc).__name__)
    return await call()
