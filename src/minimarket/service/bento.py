"""The BentoML services (``bentoml serve minimarket.service.bento:MinimarketApi``; ``minimarket serve``).

* :class:`InvoiceReaderService` — ``Settings.reader_workers`` processes, one reader each (built at start-up,
  rebuilt when the ``invoice-extractor`` champion changes). Its ``read`` API is batchable: concurrent
  extractions and batch documents are grouped by BentoML's adaptive batching and share the workers; each answer
  closes its connection and the API keeps at most ``reader_workers × extract_max_batch`` reads in flight, so
  the reads spread over the workers (:mod:`minimarket.service.dispatch`).
* :class:`DemandForecasterService` — the demand model; its batchable ``forecast`` serves concurrent
  ``predict/demand`` requests with one model call.
* :class:`MinimarketApi` — the HTTP API (FastAPI mounted at ``/api/v1``; one process, which also runs the
  batch jobs and the callbacks). ``/livez``, ``/readyz`` and ``/metrics`` are BentoML's; ``minimarket_*``
  metrics are appended to ``/metrics``.

The services are the door: they build Settings and the objects the endpoints use, and pass them down.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import bentoml
from pydantic import BaseModel

from minimarket import redact
from minimarket.config import get_settings
from minimarket.service.app import PrintablePath, create_app
from minimarket.service.bento_models import packing
from minimarket.service.dependency_calls import call_once_more_if_dropped, dropped_connection
from minimarket.service.dispatch import CloseAfterResponse, ReadSlots

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
redact.install()  # every process of the service imports this module: no token or secret reaches its logs

log = logging.getLogger(__name__)
SETTINGS = get_settings()


class ReadRequest(BaseModel):
    """A stored document for a reader: its path and the name it was sent with."""

    path: str
    name: str


class DemandItem(BaseModel):
    shop: str
    skus: list[str]
    horizon: int


@bentoml.service(
    name="invoice_reader",
    workers=SETTINGS.reader_workers,
    traffic={"timeout": SETTINGS.extract_timeout_seconds * SETTINGS.extract_max_batch + 60},
    # every read has a connection of its own (CloseAfterResponse): the API's client need not renew its session
    # every 100 requests, which closed the connections of the reads in flight (read twice, after a drop)
    runner_connection={"max_requests": 2**31 - 1, "max_age": 365 * 24 * 3600.0},
    logging={"access": {"enabled": False}},  # the API's hop: the API's own access log names the request
)
@packing("invoice-extractor")
class InvoiceReaderService:
    def __init__(self) -> None:
        from minimarket.documents.worker_process import one_core_per_process
        from minimarket.service.readers import ReaderHolder

        settings = get_settings()
        one_core_per_process()  # one reader worker per core
        os.nice(settings.reader_niceness)  # bulk OCR must not stretch the API's short reads
        self.holder = ReaderHolder(settings, watch=True)

    @bentoml.api(
        batchable=True,
        max_batch_size=SETTINGS.extract_max_batch,
        max_latency_ms=SETTINGS.extract_max_latency_ms,
    )
    async def read(self, requests: list[ReadRequest]) -> list[dict[str, Any]]:
        """The batch read on the worker's event loop, which it blocks on purpose: a worker that is reading
        accepts no connection, so the next reads go to an idle worker (:mod:`~minimarket.service.dispatch`)."""
        return [self.holder.read(r.path, r.name) for r in requests]


@bentoml.service(name="demand_forecaster", workers=1, traffic={"timeout": 300})
@packing("demand-forecaster")
class DemandForecasterService:
    def __init__(self) -> None:
        from minimarket.service.demand import DemandHolder

        self.holder = DemandHolder(get_settings())

    @bentoml.api(
        batchable=True,
        max_batch_size=SETTINGS.demand_max_batch,
        max_latency_ms=SETTINGS.demand_max_latency_ms,
    )
    def forecast(self, requests: list[DemandItem]) -> list[dict[str, Any]]:
        from minimarket.service.demand import answer

        return answer([r.model_dump() for r in requests], self.holder)


api_app = create_app()


@bentoml.service(
    name="minimarket",
    workers=1,
    traffic={"timeout": SETTINGS.request_timeout_seconds + 60},
)
@bentoml.asgi_app(api_app, path="/api/v1")
@packing("inflation-forecaster")
class MinimarketApi:
    reader = bentoml.depends(InvoiceReaderService)
    forecaster = bentoml.depends(DemandForecasterService)

    def __init__(self) -> None:
        self.settings = get_settings()
        self.runtime: Any = None
        # as many reads in flight as the readers can batch: a queue forms in the API, not behind one reader
        self.read_slots = ReadSlots(self.settings.reader_workers * self.settings.extract_max_batch)

    @bentoml.on_startup
    async def start(self) -> None:
        from minimarket.service.demand_calls import DemandCalls
        from minimarket.service.runtime import ApiRuntime

        forecast = DemandCalls(self._forecast, self.settings.demand_max_batch)  # concurrent requests, one call
        self.runtime = ApiRuntime.build(self.settings, self._read, forecast, self._reader_ready)
        await self.runtime.start()
        api_app.state.runtime = self.runtime

    @bentoml.on_shutdown
    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()

    async def _reader_ready(self) -> bool:
        """Whether the reader service answers (the batch runner waits for it after a restart)."""
        try:
            return hasattr(self.reader.to_async, "read") and bool(await self.reader.is_ready(2))
        except Exception:
            return False

    async def _read(self, path: str, name: str) -> dict[str, Any]:
        from minimarket.service.batch_runner import ReaderBusy

        request = [ReadRequest(path=path, name=name)]
        try:
            answers = await self.read_slots.run(
                lambda: call_once_more_if_dropped(lambda: self.reader.to_async.read(request), "reader")
            )
        except Exception as exc:
            if _unavailable(exc):
                raise ReaderBusy(str(exc)) from exc
            raise
        return dict(answers[0])

    async def _forecast(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        from minimarket.service.errors import ApiError

        items = [DemandItem(**r) for r in requests]
        try:
            answers = await call_once_more_if_dropped(lambda: self.forecaster.to_async.forecast(items), "forecaster")
        except Exception as exc:
            if _unavailable(exc):
                raise ApiError(
                    503,
                    "busy",
                    "El pronóstico de demanda está ocupado; reintente en unos segundos.",
                    {"Retry-After": "2"},
                ) from exc
            raise
        return [dict(a) for a in answers]

    def __is_ready__(self) -> bool:
        return self.runtime is not None


# the reader's answers say the media type BentoML would work out for them: otherwise it builds the output's JSON
# schema again for every answer to find it (IOMixin.mime_type, ~2 % of a reader's CPU on a text-layer PDF)
InvoiceReaderService.apis["read"].output_spec.media_type = "application/json"  # type: ignore[attr-defined]
MinimarketApi.add_asgi_middleware(PrintablePath)  # type: ignore[attr-defined]  # the decorator made it a Service
InvoiceReaderService.add_asgi_middleware(CloseAfterResponse)  # type: ignore[attr-defined]  # reads spread evenly


def _unavailable(exc: Exception) -> bool:
    """Whether the reader could not take the request (starting: its client has no endpoints yet; overloaded;
    connection refused)."""
    from bentoml.exceptions import ServiceUnavailable

    if isinstance(exc, ServiceUnavailable | AttributeError) or dropped_connection(exc):
        return True
    status = getattr(exc, "error_code", None)
    return getattr(status, "value", status) in (502, 503)
