"""The HTTP API end to end against a real ``minimarket serve`` on loopback (one server for the session)."""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import psutil
import pytest
from sqlalchemy import func, select

from minimarket.client import ApiError, MinimarketClient
from minimarket.service.callbacks import SIGNATURE_HEADER, shop_secret, verify
from minimarket.store.db import session_scope
from minimarket.store.models import Sale, StockMovement

from .conftest import SAMPLES, LiveServer

TEXT_PDFS = [SAMPLES / "factura_a.pdf", SAMPLES / "factura_c.pdf"]


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[MinimarketClient]:
    with MinimarketClient(live_server.url, live_server.token("client")) as api:
        yield api


@pytest.fixture
def manager(live_server: LiveServer) -> Iterator[MinimarketClient]:
    with MinimarketClient(live_server.url, live_server.token("manager")) as api:
        yield api


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []
    fail_first = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        if type(self).fail_first > 0:
            type(self).fail_first -= 1
            self.send_response(500)
        else:
            self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    """A real HTTP server on loopback receiving callbacks (its first answer is a 500, to test the retry)."""

    class Handler(_Receiver):
        received: ClassVar[list[tuple[dict[str, str], bytes]]] = []
        fail_first = 1

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", Handler
    finally:
        server.shutdown()


def test_health_openapi_and_metrics_need_no_token(live_server: LiveServer) -> None:
    assert httpx.get(live_server.url + "/livez").status_code == 200
    assert httpx.get(live_server.url + "/readyz").status_code == 200
    spec = httpx.get(live_server.url + "/api/v1/openapi.json").json()
    paths = set(spec["paths"])
    assert {"/invoices/extract", "/invoices/batch", "/invoices", "/predict/demand", "/events"} <= paths
    assert httpx.get(live_server.url + "/api/v1/docs").status_code == 200


def test_an_idle_connection_outlives_a_client_pause(live_server: LiveServer) -> None:
    """A client program that pauses between requests (the load scenario's 6 s) reuses its connection: the server
    keeps it open past uvicorn's default of 5 s, so the client never writes into a connection the server has just
    closed (a connection reset under load)."""
    connection = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=10)
    try:
        connection.request("GET", "/livez")
        first = connection.getresponse()
        first.read()
        socket = connection.sock
        time.sleep(6)
        connection.request("GET", "/livez")  # on a closed connection: RemoteDisconnected
        second = connection.getresponse()
        second.read()
        assert first.status == second.status == 200 and connection.sock is socket
    finally:
        connection.close()


def test_readers_yield_the_cores_to_the_api(live_server: LiveServer) -> None:
    """The reader processes (OCR) run at a lower CPU priority than the API process, so a search or an alert is
    not stretched by bulk extraction; the forecaster (a short read too) keeps the API's."""
    assert live_server.process is not None
    processes = {}
    for process in psutil.Process(live_server.process.pid).children(recursive=True):
        command = process.cmdline()
        if "--service-name" in command:
            processes.setdefault(command[command.index("--service-name") + 1], []).append(process.nice())
    api = processes["minimarket"][0]
    assert processes["invoice_reader"] and all(nice == api + 10 for nice in processes["invoice_reader"])
    assert processes["demand_forecaster"] == [api]


def test_extract_is_the_json_the_cli_prints(client: MinimarketClient) -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "minimarket.cli", "extract", TEXT_PDFS[0].name, "--jsonl"],
        cwd=SAMPLES,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cli = json.loads(printed)
    api = client.extract(TEXT_PDFS[0])
    assert api == cli
    assert api["status"] == "accepted" and isinstance(api["total"], str)
    # JSON with base64 gives the same answer
    raw = TEXT_PDFS[0].read_bytes()
    answer = client.http.post(
        "/api/v1/invoices/extract",
        json={"filename": "factura_a.pdf", "content_base64": base64.b64encode(raw).decode()},
    )
    assert answer.status_code == 200 and answer.json() == cli


def _documents_read(live_server: LiveServer) -> float:
    metrics = httpx.get(live_server.url + "/metrics").text
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines() if line.startswith("minimarket_documents_total")
    )


def test_extract_save_is_idempotent_and_audited(live_server: LiveServer, client: MinimarketClient) -> None:
    first = client.extract(TEXT_PDFS[1], save=True)
    read = _documents_read(live_server)
    assert read >= 1
    again = client.extract(TEXT_PDFS[1], save=True)
    assert first["saved"]["invoice_id"] == again["saved"]["invoice_id"]
    assert again["saved"]["created"] is False and again["saved"]["duplicate_of"] == "sha256"
    # the same file again is answered from the store, not read again
    assert _documents_read(live_server) == read
    assert {k: v for k, v in again.items() if k != "saved"} == {k: v for k, v in first.items() if k != "saved"}
    invoice_id = first["saved"]["invoice_id"]
    with MinimarketClient(live_server.url, live_server.token("manager")) as manager:
        stored = manager.invoice(invoice_id)
        assert [e["kind"] for e in stored["events"]][:2] == ["created", "duplicate_seen"]
        assert stored["checks"] and stored["document"]["available"]
        png = manager.page_png(invoice_id, 1)
        assert png.startswith(b"\x89PNG")
        with pytest.raises(ApiError) as missing:
            manager.page_png(invoice_id, 9)
        assert missing.value.status == 404


def test_batch_with_progress_events_and_signed_callback(
    live_server: LiveServer, client: MinimarketClient, receiver: tuple[str, type[_Receiver]]
) -> None:
    url, handler = receiver
    photo_like = (SAMPLES / "factura_escaneada.pdf").read_bytes()
    docs: list[Any] = [*TEXT_PDFS, ("nota.pdf", b"%PDF-1.4 not really a pdf"), ("escaneada.pdf", photo_like)]
    accepted = client.submit_batch(docs, callback_url=url, metadata=[{"n": i} for i in range(len(docs))])
    assert accepted["status"] == "queued" and accepted["progress_url"].endswith(accepted["batch_id"])
    events = list(client.batch_events(accepted["batch_id"]))
    assert events[-1].event == "finished"
    assert sum(len(e.data["new_results"]) for e in events) == len(docs)
    view = client.wait_batch(accepted["batch_id"], timeout=120)
    assert (view["done"], view["failed"], view["pending"]) == (4, 0, 0)
    by_position = {r["position"]: r for r in view["results"]}
    assert by_position[3]["invoice"]["status"] == "rejected" and "error" in by_position[3]["invoice"]
    assert by_position[1]["metadata"] == {"n": 0} and "saved" in by_position[1]
    # resuming after the last event gives nothing new but the final state
    resumed = list(client.batch_events(accepted["batch_id"], last_event_id=len(docs)))
    assert [e.event for e in resumed] == ["finished"]
    # the callback: retried after a 500, signed with the shop's key
    deadline = dt.datetime.now() + dt.timedelta(seconds=30)
    while len(handler.received) < 2 and dt.datetime.now() < deadline:
        threading.Event().wait(0.2)
    assert len(handler.received) == 2
    headers, body = handler.received[-1]
    assert verify(shop_secret(live_server.settings, "default"), body, headers[SIGNATURE_HEADER])
    assert json.loads(body)["batch_id"] == accepted["batch_id"]
    assert client.batch(accepted["batch_id"])["callback"]["status"] == "delivered"


def test_search_filters_and_cursor(
    live_server: LiveServer, client: MinimarketClient, manager: MinimarketClient
) -> None:
    for path in TEXT_PDFS:
        client.extract(path, save=True)
    everything = list(manager.iter_invoices(limit=1))
    assert len(everything) >= 2 and len({i["id"] for i in everything}) == len(everything)
    assert [i["id"] for i in everything] == sorted((i["id"] for i in everything), reverse=True)
    frio = manager.invoices(text="frio sur")
    assert frio["invoices"] and all("FRÍO" in i["issuer_name"] for i in frio["invoices"])
    assert manager.invoices(text="%")["invoices"] == []
    assert manager.invoices(text="_")["invoices"] == []
    cuit = frio["invoices"][0]["issuer_cuit"]
    dashed = f"{cuit[:2]}-{cuit[2:10]}-{cuit[10]}"
    assert {i["id"] for i in manager.invoices(text=dashed)["invoices"]} == {i["id"] for i in frio["invoices"]}
    total = Decimal(frio["invoices"][0]["total"])
    exact = manager.invoices(min_total=str(total), max_total=str(total))["invoices"]
    assert {i["total"] for i in exact} == {str(total)}
    assert manager.invoices(status="accepted", issuer_cuit=cuit)["invoices"]


def test_review_rechecks_confirms_once_with_author(live_server: LiveServer, client: MinimarketClient) -> None:
    saved = client.extract(TEXT_PDFS[0], save=True)
    invoice_id, total = saved["saved"]["invoice_id"], saved["total"]
    with MinimarketClient(live_server.url, live_server.token("manager", subject="ana")) as manager:
        assert manager.invoice(invoice_id)["status"] == "accepted"
        moves = _stock_moves(live_server, invoice_id)
        broken = manager.review(invoice_id, {"total": "1.00"})
        assert broken["status"] == "needs_review" and broken["author"] == "ana"  # the checks ran again
        with pytest.raises(ApiError) as refused:
            manager.review(invoice_id, action="confirm")
        assert refused.value.status == 409 and refused.value.code == "review_refused"
        assert "confirmar" in refused.value.message
        fixed = manager.review(invoice_id, {"total": total}, action="confirm")
        assert fixed["status"] == "accepted"
        assert _stock_moves(live_server, invoice_id) == moves  # stock entered once, when first accepted
        after = manager.invoice(invoice_id)
        assert [e["author"] for e in after["events"] if e["kind"] == "corrected"][-2:] == ["ana", "ana"]
        with pytest.raises(ApiError) as bad:
            manager.review(invoice_id, {"total": "mil pesos"})
        assert bad.value.status == 422 and "importe" in bad.value.message


def _stock_moves(live_server: LiveServer, invoice_id: int) -> int:
    with session_scope(url=live_server.database_url) as session:
        return int(
            session.scalar(
                select(func.count(StockMovement.id)).where(StockMovement.reference == f"invoice:{invoice_id}")
            )
            or 0
        )


def test_notifications_resume_with_last_event_id(live_server: LiveServer, manager: MinimarketClient) -> None:
    first = next(manager.events())
    assert first.id is not None and first.event in ("invoice_needs_review", "batch_finished")
    resumed = next(manager.events(last_event_id=int(first.id)))
    assert resumed.id is not None and int(resumed.id) > int(first.id)


def test_predict_demand_alerts_inflation_prices_models(live_server: LiveServer, client: MinimarketClient) -> None:
    start = dt.date(2026, 6, 1)
    with session_scope(url=live_server.database_url) as session:
        for day in range(90):
            session.add(Sale(date=start + dt.timedelta(days=day), sku="YER-0001", quantity=Decimal(3 + day % 7)))
    answer = client.predict_demand(["YER-0001", "NO-SUCH"], horizon=7)
    first, unknown = answer["forecasts"]
    assert first["method"] == "baseline" and len(first["daily"]) == 7
    assert all(d["p10"] <= d["p50"] <= d["p90"] for d in first["daily"])
    assert first["reorder_point"] > 0 and unknown["daily"] == [] and "message" in unknown
    with pytest.raises(ApiError) as too_long:
        client.predict_demand(["YER-0001"], horizon=60)
    assert too_long.value.status == 422
    with MinimarketClient(live_server.url, live_server.token("manager")) as manager:
        assert "suppliers" in manager.stock_alerts()
        inflation = manager.inflation()
        assert inflation["observed"] and len(inflation["forecast"]) == 6 and inflation["applied"]["month"]
        assert all(row["lower"] <= row["pct"] <= row["upper"] for row in inflation["forecast"])
        prices = manager.suggest_prices(review_days=7)
        assert "suggestions" in prices
        models = manager.models()
        assert models["in_use"]["invoice-extractor"] == "rules"


def test_metrics_name_every_family(live_server: LiveServer, client: MinimarketClient) -> None:
    """Every family the Grafana dashboards and alert rules read, after the requests that feed them (made here, so
    that the test does not depend on the order of the others)."""
    saved = client.extract(TEXT_PDFS[0], save=True)["saved"]
    batch = client.submit_batch([TEXT_PDFS[1]])
    assert client.wait_batch(batch["batch_id"], timeout=120)["done"] == 1
    with MinimarketClient(live_server.url, live_server.token("manager")) as manager:
        manager.invoice(saved["invoice_id"])
        manager.inflation()
    assert httpx.get(live_server.url + "/api/v1/models", headers={"Authorization": "Bearer nope"}).status_code == 401
    metrics = httpx.get(live_server.url + "/metrics").text
    for name in (
        "minimarket_http_requests_total",
        "minimarket_http_request_duration_seconds_bucket",
        "minimarket_extraction_duration_seconds_bucket",
        "minimarket_documents_total",
        "minimarket_field_confidence_bucket",
        "minimarket_batch_size_bucket",
        "minimarket_batch_duration_seconds_bucket",
        "minimarket_batch_backlog_documents",
        "minimarket_model_version_info",
        "minimarket_inflation_applied_pct",
        "minimarket_auth_failures_total",
    ):
        assert name in metrics, name
    assert 'endpoint="/api/v1/invoices/{invoice_id}"' in metrics


def test_inflation_update_needs_admin_and_notifies(live_server: LiveServer, manager: MinimarketClient) -> None:
    with pytest.raises(ApiError) as forbidden:
        manager.update_inflation("2026-09", 2.0, refit=False)
    assert forbidden.value.status == 403
    last = manager.inflation()["applied"]["month"]
    nxt = (dt.date.fromisoformat(last + "-01") + dt.timedelta(days=32)).strftime("%Y-%m")
    with MinimarketClient(live_server.url, live_server.token("admin")) as admin:
        with pytest.raises(ApiError) as refused:
            admin.update_inflation(nxt, 45.0, refit=False)
        assert refused.value.status == 422
        done = admin.update_inflation(nxt, 45.0, refit=False, force=True, reason="prueba de la API")
        assert done["month"] == nxt
    assert manager.inflation()["applied"] == {"month": nxt, "pct": 45.0, "source": "INDEC"}
    kinds = [e.event for e in _take(manager.events(kinds=["cpi_applied"]), 1)]
    assert kinds == ["cpi_applied"]


def _take(events: Iterator[Any], n: int) -> list[Any]:
    out = []
    for event in events:
        out.append(event)
        if len(out) >= n:
            break
    return out
