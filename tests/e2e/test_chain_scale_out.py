"""Issue 23's "done": a chain of 3 shops on one PostgreSQL, served by 2 API replicas, with a backfill on a Dask
LocalCluster. Each shop's invoices arrive through a different door (Dask bulk extraction, a replica's extract,
the other replica's batch); a chain manager then sees the same per-shop and whole-chain figures on both
replicas, reads one shop through ``X-Minimarket-Shop``, and a second Dask run stores nothing new."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from minimarket.client import MinimarketClient
from minimarket.service.local import LocalServer, server_env
from minimarket.store.chains import create_chain, join_chain
from minimarket.store.db import ensure_shop, session_scope, upgrade_database

pytestmark = pytest.mark.postgres

CHAIN = "cadena-e2e"
SHOPS = ("e2e-centro", "e2e-norte", "e2e-sur")
PER_SHOP = 3


def _replica(state: Path, name: str, database: str, redis: str) -> LocalServer:
    env = server_env(
        state,
        reader_workers=1,
        rate_limit_per_minute=100000,
        rate_limit_per_minute_ip=100000,
        rate_limit_storage=redis,
        db_pool_size=3,
    )
    env["MINIMARKET_DATABASE_URL"] = database
    env["BENTOML_HOME"] = str(state / f"bentoml-{name}")
    return LocalServer(env=env, log=state / f"server-{name}.log")


def _dask_extract(env: dict[str, str], files: list[Path], shop: str) -> list[dict[str, object]]:
    command = [sys.executable, "-m", "minimarket.cli", "extract", "--save", "--dask", "--workers", "2"]
    done = subprocess.run(
        [*command, "--shop", shop, "--no-progress", *map(str, files)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def test_chain_of_three_shops_on_postgresql_two_replicas_and_dask(
    tmp_path_factory: pytest.TempPathFactory, pg_database: str, redis_url: str
) -> None:
    state = tmp_path_factory.mktemp("scale-out")
    pdfs = state / "pdfs"
    synth = [sys.executable, "-m", "minimarket.cli", "synth", "invoices", "--n", str(3 * PER_SHOP), "--kind", "pdf"]
    subprocess.run([*synth, "--seed", "29", "--out", str(pdfs)], check=True, capture_output=True, timeout=600)
    files = sorted(pdfs.glob("*.pdf"))
    assert len(files) == 3 * PER_SHOP
    by_shop = {shop: files[n * PER_SHOP : (n + 1) * PER_SHOP] for n, shop in enumerate(SHOPS)}

    upgrade_database(pg_database)
    with session_scope(url=pg_database, all_shops=True) as session:
        create_chain(session, CHAIN)
        for shop in SHOPS:
            ensure_shop(session, shop)
            join_chain(session, shop, CHAIN)

    a = _replica(state, "a", pg_database, redis_url)
    b = _replica(state, "b", pg_database, redis_url)
    with ThreadPoolExecutor(2) as pool:
        for started in [pool.submit(a.start), pool.submit(b.start)]:
            started.result()
    try:
        records = _dask_extract(a.env, by_shop["e2e-centro"], "e2e-centro")
        assert [r["source_file"] for r in records] == [str(f) for f in by_shop["e2e-centro"]]
        assert all(r["saved"]["created"] for r in records)  # type: ignore[index]

        with MinimarketClient(a.url, a.token("client", shop="e2e-norte")) as norte_on_a:
            norte_numbers = set()
            for pdf in by_shop["e2e-norte"]:
                read = norte_on_a.extract(pdf, save=True)
                assert read["saved"]["created"]
                norte_numbers.add(read["number"])
        with MinimarketClient(b.url, b.token("client", shop="e2e-sur")) as sur_on_b:
            batch = sur_on_b.submit_batch(by_shop["e2e-sur"])
            view = sur_on_b.wait_batch(batch["batch_id"], timeout=300)
            assert (view["done"], view["failed"]) == (PER_SHOP, 0)

        chain_token = a.token("manager", chain=CHAIN)
        headers = {"Authorization": f"Bearer {chain_token}"}
        seen = []
        for server in (a, b):
            with httpx.Client(base_url=server.url + "/api/v1", headers=headers, timeout=60) as api:
                shops = api.get("/chain/shops")
                assert shops.status_code == 200, shops.text
                counts = {s["code"]: s["invoices"] for s in shops.json()["shops"]}
                assert counts == dict.fromkeys(SHOPS, PER_SHOP)
                summary = api.get("/chain/summary").json()
                assert (summary["shops"], summary["invoices"]) == (3, 3 * PER_SHOP)
                seen.append(summary["purchases_total"])
                listed = api.get("/invoices", headers={"X-Minimarket-Shop": "e2e-norte"})
                assert listed.status_code == 200, listed.text
                assert {i["number"] for i in listed.json()["invoices"]} == norte_numbers
                refused = api.post("/invoices/extract", files={"file": ("x.pdf", b"%PDF-1.4")})
                assert refused.status_code == 403
        assert seen[0] == seen[1]

        again = _dask_extract(a.env, by_shop["e2e-centro"], "e2e-centro")
        assert not any(r["saved"]["created"] for r in again)  # type: ignore[index]
    finally:
        a.stop()
        b.stop()
