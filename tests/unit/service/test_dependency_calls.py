"""A request to a dependency that met a dropped pooled connection is sent once more, and only then."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from minimarket.service.dependency_calls import call_once_more_if_dropped, dropped_connection


class Flaky:
    """A dependency call that fails with ``errors`` in turn, then answers."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "answer"


def test_a_dropped_connection_is_retried_once() -> None:
    call = Flaky(aiohttp.ServerDisconnectedError())
    assert asyncio.run(call_once_more_if_dropped(call, "forecaster")) == "answer"
    assert call.calls == 2


def test_a_second_drop_reaches_the_caller() -> None:
    call = Flaky(aiohttp.ServerDisconnectedError(), aiohttp.ServerDisconnectedError())
    with pytest.raises(aiohttp.ServerDisconnectedError):
        asyncio.run(call_once_more_if_dropped(call, "forecaster"))
    assert call.calls == 2


def test_an_error_the_dependency_answered_is_not_retried() -> None:
    call = Flaky(ValueError("bad request"))
    with pytest.raises(ValueError):
        asyncio.run(call_once_more_if_dropped(call, "reader"))
    assert call.calls == 1
    assert not dropped_connection(ValueError("x")) and dropped_connection(ConnectionResetError())
