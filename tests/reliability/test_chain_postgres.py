"""The chain views of a real ``minimarket serve`` whose store is PostgreSQL: per-shop and whole-chain figures
for a chain token, a member shop's reads through ``X-Minimarket-Shop``, another chain's shop refused."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from minimarket.service.local import LocalServer, server_env
from minimarket.store.chains import create_chain, join_chain
from minimarket.store.db import ensure_shop, session_scope, upgrade_database
from minimarket.store.models import Invoice


def _seed(url: str) -> None:
    upgrade_database(url)
    with session_scope(url=url, all_shops=True) as session:
        for chain, shops in (("pg-sur", ("pg-sur-1", "pg-sur-2")), ("pg-norte", ("pg-norte-1",))):
            create_chain(session, chain)
            for shop in shops:
                ensure_shop(session, shop)
                join_chain(session, shop, chain)
    for shop, total in (("pg-sur-1", "1000.10"), ("pg-sur-2", "250.00"), ("pg-norte-1", "9.99")):
        with session_scope(shop, url=url) as session:
            session.add(
                Invoice(
                    sha256=uuid.uuid4().hex * 2,
                    status="accepted",
                    payload={},
                    total=Decimal(total),
                    issue_date=dt.date(2026, 10, 1),
                    issuer_cuit="30500010912",
                    issuer_name="Proveedor de la cadena",
                )
            )


@pytest.mark.postgres
def test_chain_views_on_postgresql(pg_database: str, tmp_path: Path) -> None:
    _seed(pg_database)
    env = server_env(tmp_path, database_url=pg_database, reader_workers=1, rate_limit_per_minute_ip=100000)
    server = LocalServer(env=env, log=tmp_path / "server.log")
    server.start()
    try:
        sur = {"Authorization": f"Bearer {server.token('manager', chain='pg-sur')}"}
        norte = {"Authorization": f"Bearer {server.token('manager', chain='pg-norte')}"}
        with httpx.Client(base_url=server.url + "/api/v1", timeout=60) as api:
            shops = api.get("/chain/shops", headers=sur)
            assert shops.status_code == 200, shops.text
            assert {s["code"]: s["purchases_total"] for s in shops.json()["shops"]} == {
                "pg-sur-1": "1000.10",
                "pg-sur-2": "250.00",
            }
            summary = api.get("/chain/summary", headers=sur).json()
            assert summary["purchases_total"] == "1250.10" and summary["shops"] == 2
            assert summary["top_suppliers"][0]["shops"] == 2
            listed = api.get("/invoices", headers={**sur, "X-Minimarket-Shop": "pg-sur-2"})
            assert listed.status_code == 200, listed.text
            assert "250.00" in listed.text and "1000.10" not in listed.text
            refused = api.get("/invoices", headers={**norte, "X-Minimarket-Shop": "pg-sur-2"})
            assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
    finally:
        server.stop()
