"""Bad input against the real server: the right status, a clear message, nothing stored, no traceback."""

from __future__ import annotations

import base64
import datetime as dt
import json

import httpx
import jwt
import pytest
from sqlalchemy import func, select

from minimarket.service.auth import KeyRing
from minimarket.store.db import find_shop, session_scope
from minimarket.store.models import Batch, BatchDocument, Invoice

from .conftest import SAMPLES, LiveServer, create_shop

PDF = (SAMPLES / "factura_a.pdf").read_bytes()


def _error(response: httpx.Response, status: int, code: str | None = None) -> str:
    assert response.status_code == status, response.text[:500]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert "Traceback" not in response.text and 'File "' not in response.text
    if code is not None:
        assert body["error"]["code"] == code, body
    return str(body["error"]["message"])


def _counts(server: LiveServer) -> tuple[int, int, int]:
    with session_scope(url=server.database_url, all_shops=True) as session:
        return (
            int(session.scalar(select(func.count(Batch.id))) or 0),
            int(session.scalar(select(func.count(BatchDocument.id))) or 0),
            int(session.scalar(select(func.count(Invoice.id))) or 0),
        )


@pytest.fixture
def api(live_server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=live_server.url + "/api/v1", timeout=120)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _claims(**changes: object) -> dict[str, object]:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims: dict[str, object] = {
        "sub": "x",
        "role": "manager",
        "shop": "default",
        "aud": "minimarket-api",
        "iat": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return claims


def test_tokens_refused(live_server: LiveServer, api: httpx.Client) -> None:
    assert "Bearer" in _error(api.get("/invoices"), 401, "missing_token")
    assert "Bearer" in _error(api.get("/invoices", headers={"Authorization": "Basic abc"}), 401, "missing_token")
    ring = KeyRing.load_or_create(live_server.settings)
    key = ring.current
    now = int(dt.datetime.now(dt.UTC).timestamp())
    expired = jwt.encode(_claims(iat=now - 7200, exp=now - 3600), key.secret, "HS256", headers={"kid": key.kid})
    assert "venció" in _error(api.get("/invoices", headers=_auth(expired)), 401, "token_expired")
    forged = jwt.encode(_claims(), b"x" * 32, "HS256", headers={"kid": key.kid})
    assert "firma" in _error(api.get("/invoices", headers=_auth(forged)), 401)
    unsigned = jwt.encode(_claims(), None, "none", headers={"kid": key.kid})
    assert "none" in _error(api.get("/invoices", headers=_auth(unsigned)), 401)
    wrong_aud = jwt.encode(_claims(aud="other"), key.secret, "HS256", headers={"kid": key.kid})
    _error(api.get("/invoices", headers=_auth(wrong_aud)), 401)
    unknown_kid = jwt.encode(_claims(), key.secret, "HS256", headers={"kid": "nope"})
    _error(api.get("/invoices", headers=_auth(unknown_kid)), 401)
    _error(api.get("/invoices", headers=_auth("not.a.jwt")), 401)


def test_roles_and_shops(live_server: LiveServer, api: httpx.Client) -> None:
    client = _auth(live_server.token("client"))
    assert "manager" in _error(api.get("/invoices", headers=client), 403, "forbidden")
    manager = _auth(live_server.token("manager"))
    _error(api.post("/inflation/update", headers=manager, json={"month": "2026-09", "pct": 2}), 403, "forbidden")
    saved = api.post("/invoices/extract?save=true", headers=client, files={"file": ("a.pdf", PDF)}).json()
    invoice_id = saved["saved"]["invoice_id"]
    unknown = _auth(live_server.token("manager", shop="otro-comercio"))
    assert "shop create" in _error(api.get("/invoices", headers=unknown), 403, "unknown_shop")
    with session_scope(url=live_server.database_url, all_shops=True) as session:
        assert find_shop(session, "otro-comercio") is None  # the API never creates a shop
    create_shop(live_server, "otro-comercio")
    create_shop(live_server, "otro")
    other = _auth(live_server.token("manager", shop="otro-comercio"))
    _error(api.get(f"/invoices/{invoice_id}", headers=other), 404, "not_found")
    _error(api.get(f"/invoices/{invoice_id}/page/1", headers=other), 404, "not_found")
    assert api.get("/invoices", headers=other).json()["invoices"] == []
    batch = api.post(
        "/invoices/batch", headers=client, json={"invoices": [{"image": base64.b64encode(PDF).decode()}]}
    ).json()
    _error(api.get(f"/invoices/batch/{batch['batch_id']}", headers=_auth(live_server.token("client", "otro"))), 404)


def test_uploads_refused(live_server: LiveServer, api: httpx.Client) -> None:
    headers = _auth(live_server.token("client"))
    before = _counts(live_server)
    big = b"%PDF-1.4\n" + b"0" * (25 * 1024 * 1024 + 10)
    assert "MB" in _error(api.post("/invoices/extract", headers=headers, files={"file": ("big.pdf", big)}), 413)
    huge = b"0" * (40 * 1024 * 1024)
    _error(api.post("/invoices/extract", headers=headers, files={"file": ("huge.pdf", huge)}), 413, "too_large")
    text = _error(api.post("/invoices/extract", headers=headers, files={"file": ("a.txt", b"hola")}), 415)
    assert "PDF" in text
    _error(api.post("/invoices/extract", headers={**headers, "Content-Type": "text/plain"}, content=b"x"), 415)
    _error(api.post("/invoices/extract", headers=headers, files={"other": ("", b"")}), 422)
    bad_json = {**headers, "Content-Type": "application/json"}
    assert "JSON" in _error(api.post("/invoices/extract", headers=bad_json, content=b"{nope"), 422, "invalid_json")
    body = {"filename": "a.pdf", "content_base64": "%%%not base64%%%"}
    assert "base64" in _error(api.post("/invoices/extract", headers=headers, json=body), 422, "invalid_base64")
    assert _counts(live_server) == before


def test_batches_refused_store_nothing(live_server: LiveServer, api: httpx.Client) -> None:
    headers = _auth(live_server.token("client"))
    before = _counts(live_server)
    doc = {"image": base64.b64encode(PDF).decode()}
    message = _error(api.post("/invoices/batch", headers=headers, json={"invoices": [doc] * 51}), 422)
    assert "51" in message and "50" in message
    _error(api.post("/invoices/batch", headers=headers, json={"invoices": []}), 422, "empty_batch")
    _error(api.post("/invoices/batch", headers=headers, json={"documents": [doc]}), 422)
    mixed = {"invoices": [doc, {"image": "@@@"}]}
    assert "invoices[2]" in _error(api.post("/invoices/batch", headers=headers, json=mixed), 422, "invalid_base64")
    not_a_doc = {"invoices": [doc, {"image": base64.b64encode(b"just text").decode()}]}
    _error(api.post("/invoices/batch", headers=headers, json=not_a_doc), 415)
    for url in ("http://10.0.0.7/hook", "http://169.254.169.254/latest", "http://[::1]:9/x", "ftp://example.com/x"):
        refused = api.post("/invoices/batch", headers=headers, json={"invoices": [doc], "callback_url": url})
        assert "callback_url" in _error(refused, 422, "invalid_callback_url")
    raw = {**headers, "Content-Type": "application/json"}
    _error(api.post("/invoices/batch", headers=raw, content=json.dumps({"invoices": [doc]})[:-3]), 422, "invalid_json")
    assert _counts(live_server) == before


def test_unknown_ids_and_routes(live_server: LiveServer, api: httpx.Client) -> None:
    headers = _auth(live_server.token("manager"))
    _error(api.get("/invoices/999999", headers=headers), 404, "not_found")
    _error(api.get("/invoices/batch/0123456789abcdef", headers=headers), 404, "not_found")
    _error(api.get("/invoices/batch/0123456789abcdef/events", headers=headers), 404, "not_found")
    _error(api.post("/invoices/999999/review", headers=headers, json={"action": "confirm"}), 404, "not_found")
    _error(api.get("/invoices/abc", headers=headers), 422, "invalid_request")
    _error(api.get("/no/such/route", headers=headers), 404)
    _error(api.delete("/invoices", headers=headers), 405)


def test_search_input_is_text(live_server: LiveServer, api: httpx.Client) -> None:
    headers = _auth(live_server.token("manager"))
    for text in ("'; DROP TABLE invoices; --", '" OR 1=1 --', "NEAR(a b)", "a* OR b", "%_%", "\\"):
        answer = api.get("/invoices", headers=headers, params={"text": text})
        assert answer.status_code == 200, answer.text
        assert answer.json()["invoices"] == []
    for long_text in ("ñ" * 5_000, "a" * 60_000):  # 10 kB of UTF-8; 60,000 characters
        message = _error(api.get("/invoices", headers=headers, params={"text": long_text}), 422, "invalid_request")
        assert f"{len(long_text)} caracteres" in message and "hasta 200" in message
    _error(api.get("/invoices", headers=headers, params={"status": "lost"}), 422)
    _error(api.get("/invoices", headers=headers, params={"date_from": "31/02/2026"}), 422)
    _error(api.get("/invoices", headers=headers, params={"min_total": "mucho"}), 422)
    _error(api.get("/invoices", headers=headers, params={"issuer_cuit": "123"}), 422)
    assert api.get("/invoices", headers=headers).status_code == 200  # the table is still there


def test_rate_limit_answers_429_with_retry_after(live_server: LiveServer, api: httpx.Client) -> None:
    headers = _auth(live_server.token("client"))
    statuses = [api.get("/invoices/batch/missing", headers=headers).status_code for _ in range(61)]
    assert statuses[:60] == [404] * 60
    limited = api.get("/invoices/batch/missing", headers=headers)
    assert "reintente" in _error(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1
    other = _auth(live_server.token("client"))
    assert api.get("/invoices/batch/missing", headers=other).status_code == 404


def test_what_the_schema_fuzzing_found(live_server: LiveServer, api: httpx.Client) -> None:
    """Regressions of schemathesis's findings: ids past 64 bits were a 500, unknown query parameters were
    ignored, a non-JSON body without a token was a 422, a newline in a path got the server's plain-text 404."""
    headers = _auth(live_server.token("admin"))
    assert "9223372036854775807" in _error(api.get(f"/invoices/{10**24}/page/1", headers=headers), 422)
    _error(api.get(f"/invoices/{10**24}", headers=headers), 422, "invalid_request")
    _error(api.get("/invoices", headers=headers, params={"cursor": 10**24}), 422, "invalid_request")
    typo = _error(api.get("/invoices", headers=headers, params={"stauts": "accepted"}), 422, "invalid_request")
    assert "stauts" in typo and "status" in typo
    _error(api.get("/events", params={"shop": "otro"}), 401, "missing_token")
    _error(api.post("/invoices/1/review", content=b"{not json", headers={"Content-Type": "application/json"}), 401)
    bad_json = api.post(
        "/invoices/1/review", content=b"{not json", headers={**headers, "Content-Type": "application/json"}
    )
    _error(bad_json, 422, "invalid_json")
    _error(api.post("/models/a%0Ab/promote", json={"version": "1", "reason": "abc"}), 401, "missing_token")
    _error(api.post("/models/a%0Ab/promote", headers=headers, json={"version": "1", "reason": "abc"}), 404)
    _error(api.get("/events", headers={**headers, "Last-Event-ID": str(10**24)}), 422, "invalid_request")
