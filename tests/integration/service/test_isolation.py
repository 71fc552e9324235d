"""The isolation matrix against the real server: every route of the API × every way a caller can be wrong.

The routes are enumerated from the application itself, so a new route without a row in :data:`MATRIX` fails
the test. For each route: no token, a malformed token, a forged signature, an expired token, a wrong audience,
a retired key → 401; a role below the route's → 403; a shop that does not exist → 403; the token of shop B
asking for shop A's invoice or batch → 404, and everything B reads holds none of A's data; a ``shop``
parameter is refused (the shop comes from the token only). Shop A's own token gets through (the control that
shows each row really reaches its route).
"""

from __future__ import annotations

import base64
import datetime as dt
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import pytest

from minimarket.catalog import bundled_catalog
from minimarket.service.app import api_routes, create_app
from minimarket.service.auth import KeyRing
from minimarket.store.chains import create_chain, join_chain
from minimarket.store.db import session_scope
from minimarket.synth.arca import export_bytes, row_from_invoice
from minimarket.synth.invoices.sample import SampleOptions, sample_invoice

from .conftest import SAMPLES, LiveServer, create_shop

SHOP_A, SHOP_B = "iso-a", "iso-b"
CHAIN_X, CHAIN_Y = "iso-x", "iso-y"
"""Shop A is in chain X, shop B in chain Y."""
ROLES = ("client", "manager", "admin")
STREAM_SECONDS = 1.0
A_PDF, A_BATCH_PDF = SAMPLES / "factura_a.pdf", SAMPLES / "factura_c.pdf"
NOT_A_PDF = base64.b64encode(b"%PDF-1.4 not really a pdf").decode()
A_MONTH = "2026-07"
"""The month of shop A's invoice (factura_a.pdf): its Libro IVA and its ARCA reconciliation."""


@dataclass(frozen=True)
class Row:
    """How to call a route: the least role it needs, and what the call sends (``{invoice_id}`` and ``{batch_id}``
    are shop A's). ``by_id``: the route names one of A's objects, so shop B gets a 404."""

    role: str
    json: dict[str, Any] | None = None
    multipart: bool = False
    by_id: bool = False
    stream: bool = False
    shows_a: bool = False
    """Shop A's own answer holds A's markers: the control that the leak check would see a leak."""
    query: dict[str, str] = field(default_factory=dict)
    chain: bool = False
    """A chain route: a chain token's only, a shop token gets 403."""


MATRIX: dict[str, Row] = {
    "POST /invoices/extract": Row("client", multipart=True),
    "POST /invoices/batch": Row("client", json={"invoices": [{"image": NOT_A_PDF}]}),
    "GET /invoices/batch/{batch_id}": Row("client", by_id=True, shows_a=True),
    "GET /invoices/batch/{batch_id}/events": Row("client", by_id=True, stream=True),
    "GET /invoices": Row("manager", shows_a=True),
    "GET /invoices/{invoice_id}": Row("manager", by_id=True, shows_a=True),
    "GET /invoices/{invoice_id}/page/{page}": Row("manager", by_id=True),
    "POST /invoices/{invoice_id}/review": Row("manager", json={"action": "correct"}, by_id=True),
    "GET /events": Row("manager", stream=True, shows_a=True),
    "POST /predict/demand": Row("client", json={"skus": ["ISO-0001"], "horizon": 7}),
    "GET /stock/alerts": Row("manager"),
    "GET /inflation": Row("manager"),
    "POST /inflation/update": Row(
        "admin", json={"month": "2031-01", "pct": 1000, "refit": False}
    ),  # refused: stores nothing
    "POST /prices/suggest": Row("manager", json={}),
    "GET /models": Row("manager"),
    "POST /models/{name}/promote": Row("admin", json={"version": "999999", "reason": "matriz de aislamiento"}),
    "POST /accounting/arca/reconcile": Row("manager", multipart=True),  # refused: not an ARCA export
    "GET /accounting/arca/runs": Row("manager"),
    "GET /accounting/arca/runs/{run_id}": Row("manager", by_id=True, shows_a=True),
    "GET /accounting/iva/libro": Row("manager", query={"period": A_MONTH}, shows_a=True),
    "POST /purchases/drafts": Row("manager", json={}),
    "POST /prices/shelf": Row("manager", json={}),
    "GET /packs/conversions": Row("manager"),
    "POST /packs/conversions": Row("manager", json={"supplier_cuit": "30-00000000-0", "sku": "ISO-0001", "units": 6}),
    "GET /chain/shops": Row("manager", chain=True),
    "GET /chain/summary": Row("manager", chain=True),
}
"""One row per route of the API (``METHOD path`` under /api/v1)."""


def routes() -> set[str]:
    """Every route the application answers (``METHOD path``), as its 405 fallback enumerates them."""
    return {f"{method} {prefix}{route.path}" for prefix, route in api_routes(create_app()) for method in route.methods}


@dataclass
class ShopA:
    invoice_id: int
    batch_id: str
    run_id: int
    markers: tuple[str, ...]
    """Strings only shop A's data holds (CAE and CUIT of its invoices, its batch id)."""


def _wait_batch(api: httpx.Client, live_server: LiveServer, batch_id: str) -> None:
    """Poll the batch until nothing is pending (a new token each time: the per-token rate limit stays away)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        answer = api.get(f"/invoices/batch/{batch_id}", headers=_bearer(live_server.token("client", shop=SHOP_A)))
        assert answer.status_code == 200, answer.text[:300]
        if not answer.json()["pending"]:
            return
        time.sleep(0.5)
    raise AssertionError(f"batch {batch_id} did not finish: {answer.text[:300]}")


@pytest.fixture(scope="module")
def api(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url + "/api/v1", timeout=120) as client:
        yield client


@pytest.fixture(scope="module")
def shop_a(live_server: LiveServer, api: httpx.Client) -> ShopA:
    """Shop A with a stored invoice, a finished batch and its notification; shop B exists and is empty."""
    create_shop(live_server, SHOP_A)
    create_shop(live_server, SHOP_B)
    with session_scope(url=live_server.database_url, all_shops=True) as session:
        for chain, shop in ((CHAIN_X, SHOP_A), (CHAIN_Y, SHOP_B)):
            create_chain(session, chain)
            join_chain(session, shop, chain)
    client = live_server.token("client", shop=SHOP_A)
    saved = api.post(
        "/invoices/extract",
        params={"save": "true"},
        headers=_bearer(client),
        files={"file": ("a.pdf", A_PDF.read_bytes())},
    )
    assert saved.status_code == 200, saved.text
    record = saved.json()
    batch = api.post(
        "/invoices/batch",
        headers=_bearer(client),
        json={"invoices": [{"image": base64.b64encode(A_BATCH_PDF.read_bytes()).decode(), "filename": "c.pdf"}]},
    )
    assert batch.status_code == 202, batch.text
    batch_id = batch.json()["batch_id"]
    _wait_batch(api, live_server, batch_id)
    markers = (record["cae"], record["issuer_cuit"], "76097607367870", "27256107479", batch_id)
    return ShopA(
        invoice_id=record["saved"]["invoice_id"], batch_id=batch_id, run_id=_arca_run(api, live_server), markers=markers
    )


def _arca_run(api: httpx.Client, live_server: LiveServer) -> int:
    """A stored ARCA reconciliation of shop A's month: an export without A's invoice, which the run then lists
    as missing in ARCA (so the run's report holds A's markers)."""
    rng = random.Random(19)
    row = row_from_invoice(sample_invoice(rng, bundled_catalog(), SampleOptions(letter="A")).truth())
    export = export_bytes([row], generation="G3", file_type="xlsx")
    answer = api.post(
        "/accounting/arca/reconcile",
        params={"period": A_MONTH},
        headers=_bearer(live_server.token("manager", shop=SHOP_A)),
        files={"file": ("Mis Comprobantes Recibidos.xlsx", export)},
    )
    assert answer.status_code == 200, answer.text[:300]
    return int(answer.json()["run_id"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _signed(live_server: LiveServer, *, retired: bool = False, secret: bytes | None = None, **claims: Any) -> str:
    """A token made by hand: the current key (or the retired one, or ``secret``) over manager claims of shop A."""
    ring = KeyRing.load_or_create(live_server.settings)
    key = next(k for k in ring.keys if k.retired_at is not None) if retired else ring.current
    now = int(dt.datetime.now(dt.UTC).timestamp())
    body = {"sub": "iso", "role": "admin", "shop": SHOP_A, "aud": live_server.settings.jwt_audience}
    body |= {"iat": now, "exp": now + 600, **claims}
    return jwt.encode(body, secret or key.secret, "HS256", headers={"kid": key.kid})


def _call(
    api: httpx.Client, key: str, row: Row, a: ShopA, token: str | None, header: str | None = None, **query: str
) -> httpx.Response:
    """Call the route of ``key`` as ``row`` says; a stream is read for :data:`STREAM_SECONDS` at most."""
    method, template = key.split(" ", 1)
    path = template.format(
        invoice_id=a.invoice_id, batch_id=a.batch_id, run_id=a.run_id, page=1, name="demand-forecaster"
    )
    request = api.build_request(
        method,
        path,
        headers={**(_bearer(token) if token else {}), **({"X-Minimarket-Shop": header} if header else {})},
        params={**row.query, **query},
        json=row.json,
        files={"file": ("doc.pdf", b"%PDF-1.4 not really a pdf")} if row.multipart else None,
        timeout=httpx.Timeout(120, read=STREAM_SECONDS) if row.stream else httpx.USE_CLIENT_DEFAULT,
    )
    if not (row.stream and token):
        return api.send(request)
    response = api.send(request, stream=True)
    chunks: list[bytes] = []
    deadline = time.monotonic() + STREAM_SECONDS
    try:
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            if time.monotonic() > deadline:
                break
    except httpx.ReadTimeout:
        pass  # the stream stays open: what came within the time is the answer
    finally:
        response.close()
    return httpx.Response(response.status_code, headers=response.headers, content=b"".join(chunks), request=request)


def _refused(response: httpx.Response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text[:300]
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"], body
    if code is not None:
        assert body["error"]["code"] == code, body


def _no_data_of_a(response: httpx.Response, a: ShopA) -> None:
    """None of A's markers in B's answer (but those B itself sent in the URL, which a 404 may repeat)."""
    text = response.text
    leaked = [marker for marker in a.markers if marker in text and marker not in str(response.request.url)]
    assert not leaked, f"shop B saw shop A's {leaked}: {text[:300]}"


def test_the_matrix_has_a_row_for_every_route() -> None:
    assert set(MATRIX) == routes()


@pytest.mark.parametrize("key", sorted(MATRIX))
def test_isolation(key: str, live_server: LiveServer, api: httpx.Client, shop_a: ShopA) -> None:
    row = MATRIX[key]
    role = ROLES.index(row.role)
    _refused(_call(api, key, row, shop_a, None), 401, "missing_token")
    _refused(_call(api, key, row, shop_a, "not.a.jwt"), 401)
    _refused(_call(api, key, row, shop_a, _signed(live_server, secret=b"f" * 32)), 401)
    now = int(dt.datetime.now(dt.UTC).timestamp())
    _refused(_call(api, key, row, shop_a, _signed(live_server, iat=now - 7200, exp=now - 3600)), 401, "token_expired")
    _refused(_call(api, key, row, shop_a, _signed(live_server, aud="otra-api")), 401)
    _refused(_call(api, key, row, shop_a, _signed(live_server, retired=True)), 401)
    if role > 0:
        below = live_server.token(ROLES[role - 1], shop=SHOP_A)
        _refused(_call(api, key, row, shop_a, below), 403, "forbidden")
    _refused(_call(api, key, row, shop_a, live_server.token(row.role, shop="iso-nadie")), 403, "unknown_shop")
    if row.chain:
        _chain_route(api, key, row, shop_a, live_server)
        return

    other = _call(api, key, row, shop_a, live_server.token(row.role, shop=SHOP_B))
    if row.by_id:
        _refused(other, 404, "not_found")
    else:
        assert other.status_code < 500 and other.status_code not in (401, 403, 404), other.text[:300]
    _no_data_of_a(other, shop_a)
    crossing = _call(api, key, row, shop_a, live_server.token(row.role, shop=SHOP_B), shop=SHOP_A)
    _refused(crossing, 422, "invalid_request")
    assert "shop" in crossing.json()["error"]["message"]

    own = _call(api, key, row, shop_a, live_server.token(row.role, shop=SHOP_A))
    assert own.status_code < 500 and own.status_code not in (401, 403, 404), own.text[:300]
    if row.shows_a:
        assert any(marker in own.text for marker in shop_a.markers), own.text[:300]


def _chain_route(api: httpx.Client, key: str, row: Row, a: ShopA, live_server: LiveServer) -> None:
    """A chain route: shop tokens are refused (even A's, even with the header); chain X sees shop A, chain Y
    does not; a chain that does not exist is refused."""
    for shop in (SHOP_A, SHOP_B):
        _refused(_call(api, key, row, a, live_server.token("admin", shop=shop)), 403, "chain_only")
    _refused(_call(api, key, row, a, live_server.token("manager", chain="iso-nadie")), 403, "unknown_chain")
    crossing = _call(api, key, row, a, live_server.token("manager", chain=CHAIN_Y), header=SHOP_A)
    assert crossing.status_code == 200, crossing.text[:300]
    assert SHOP_A not in crossing.text and CHAIN_X not in crossing.text, crossing.text[:300]
    _no_data_of_a(crossing, a)
    own = _call(api, key, row, a, live_server.token("manager", chain=CHAIN_X))
    assert own.status_code == 200 and SHOP_B not in own.text, own.text[:300]
    assert SHOP_A in own.text or any(marker in own.text for marker in a.markers), own.text[:300]


SHOP_ROUTES = sorted(k for k, row in MATRIX.items() if not row.chain)


@pytest.mark.parametrize("key", SHOP_ROUTES)
def test_chain_tokens(key: str, live_server: LiveServer, api: httpx.Client, shop_a: ShopA) -> None:
    """A chain token reads (GET) one of its shops chosen by X-Minimarket-Shop and never writes; another chain's
    token cannot reach shop A through the header; a shop token cannot point the header elsewhere."""
    row = MATRIX[key]
    role = "admin" if row.role == "admin" else "manager"
    x, y = live_server.token(role, chain=CHAIN_X), live_server.token(role, chain=CHAIN_Y)
    _refused(
        _call(api, key, row, shop_a, live_server.token(row.role, shop=SHOP_B), header=SHOP_A),
        403,
        "shop_header_refused",
    )
    if not key.startswith("GET "):
        _refused(_call(api, key, row, shop_a, x, header=SHOP_A), 403, "chain_read_only")
        return
    missing = _call(api, key, row, shop_a, x)
    _refused(missing, 400, "shop_header_missing")
    assert "X-Minimarket-Shop" in missing.json()["error"]["message"]
    outside = _call(api, key, row, shop_a, y, header=SHOP_A)
    nowhere = _call(api, key, row, shop_a, y, header="iso-nadie")
    _refused(outside, 404, "not_found")
    _refused(nowhere, 404, "not_found")
    assert outside.json()["error"]["message"].replace(SHOP_A, "?") == nowhere.json()["error"]["message"].replace(
        "iso-nadie", "?"
    )  # the answer does not say whether the shop exists
    _no_data_of_a(outside, shop_a)
    _refused(_call(api, key, row, shop_a, x, header=SHOP_B), 404, "not_found")
    own = _call(api, key, row, shop_a, x, header=SHOP_A)
    assert own.status_code < 500 and own.status_code not in (400, 401, 403, 404), own.text[:300]
    if row.shows_a:
        assert any(marker in own.text for marker in shop_a.markers), own.text[:300]
