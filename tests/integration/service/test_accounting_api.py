"""The accountant's and the buyer's endpoints against the session's real server, on a shop of their own."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import random
import zipfile
from collections.abc import Iterator
from decimal import Decimal

import pytest

from minimarket.catalog import bundled_catalog
from minimarket.client import ApiError, MinimarketClient
from minimarket.store.catalog import upsert_catalog
from minimarket.store.db import session_scope
from minimarket.store.invoices import save_extracted
from minimarket.store.models import Sale
from minimarket.synth.arca import export_bytes, plant_cases, row_from_invoice
from minimarket.synth.invoices.sample import SampleOptions, sample_invoice

from .conftest import LiveServer

SHOP = "contaduria"


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> dict[str, object]:
    """Catalog, 60 days of sales of the yerbas and 12 accepted invoices of September 2026 in the shop; and the
    ARCA export of those invoices with one missing, one extra, one altered and one duplicated row."""
    catalog = bundled_catalog()
    rng = random.Random(22)
    truths = []
    with session_scope(SHOP, url=live_server.database_url) as session:
        upsert_catalog(session, catalog.suppliers, catalog.products)
        for day in range(60):
            for sku in ("YER-0001", "YER-0002", "YER-0003"):
                session.add(Sale(date=dt.date(2026, 7, 15) + dt.timedelta(days=day), sku=sku, quantity=Decimal(4)))
        for _ in range(12):
            spec = sample_invoice(rng, catalog, SampleOptions(letter="A"))
            spec.issue_date = dt.date(2026, 9, rng.randint(1, 30))
            truth = spec.truth()
            digest = hashlib.sha256(truth.model_dump_json().encode()).hexdigest()
            save_extracted(session, truth.model_copy(update={"sha256": digest}))
            truths.append(truth)
    extra = sample_invoice(rng, catalog, SampleOptions(letter="A")).truth()
    rows, planted = plant_cases(
        [row_from_invoice(t) for t in truths],
        [row_from_invoice(extra.model_copy(update={"issue_date": dt.date(2026, 9, 9)}))],
        rng,
        missing=1,
        altered=1,
        duplicated=1,
    )
    return {"xlsx": export_bytes(rows, generation="G3", file_type="xlsx"), "planted": planted}


@pytest.fixture
def manager(live_server: LiveServer) -> Iterator[MinimarketClient]:
    with MinimarketClient(live_server.url, live_server.token("manager", shop=SHOP)) as api:
        yield api


def test_reconcile_an_xlsx_export_keep_the_run_and_export_it(
    live_server: LiveServer, manager: MinimarketClient, seeded: dict[str, object]
) -> None:
    report = manager.reconcile_arca(("Mis Comprobantes Recibidos.xlsx", seeded["xlsx"]), period="2026-09")  # type: ignore[arg-type]
    found = {
        (kind, e["number"])
        for kind in ("missing_in_store", "missing_in_arca", "amount_mismatch", "duplicates", "key_mismatch")
        for e in report[kind]
    }
    assert found == {(case.kind, case.key[3]) for case in seeded["planted"]}  # type: ignore[attr-defined]
    assert report["matched"] == 11 and report["export"]["generation"] == "G3"
    (run,) = manager.arca_runs()
    assert run["run_id"] == report["run_id"] and run["author"]
    assert manager.arca_run(report["run_id"])["summary"]["flags"] == 4
    assert manager.arca_run_csv(report["run_id"]).startswith("hallazgo;cuit_emisor")
    with pytest.raises(ApiError) as bad:
        manager.reconcile_arca(("ventas.csv", b"fecha,sku,cantidad\n2026-09-01,YER-0001,2\n"))
    assert bad.value.status == 422 and bad.value.code == "invalid_export" and "Mis Comprobantes" in str(bad.value)
    with pytest.raises(ApiError) as missing:
        manager.arca_run(9999)
    assert missing.value.status == 404
    with (
        MinimarketClient(live_server.url, live_server.token("client", shop=SHOP)) as client,
        pytest.raises(ApiError) as forbidden,
    ):
        client.arca_runs()
    assert forbidden.value.status == 403


def test_libro_iva_as_json_and_zip(manager: MinimarketClient, seeded: dict[str, object]) -> None:
    book = manager.libro_iva("2026-09")
    assert book["invoices_written"] == 12 and book["pending_review"] == []
    cbte = book["contents"]["LIBRO_IVA_DIGITAL_COMPRAS_CBTE.txt"].split("\r\n")
    assert len(cbte) == 13 and all(len(line) == 325 for line in cbte[:-1])
    archive = zipfile.ZipFile(io.BytesIO(manager.libro_iva_zip("2026-09")))
    assert sorted(archive.namelist()) == [
        "LIBRO_IVA_DIGITAL_COMPRAS_ALICUOTAS.txt",
        "LIBRO_IVA_DIGITAL_COMPRAS_CBTE.txt",
    ]
    with pytest.raises(ApiError) as bad:
        manager.libro_iva("2026-13")
    assert bad.value.status == 422


def test_drafts_shelf_prices_and_pack_conversions(manager: MinimarketClient, seeded: dict[str, object]) -> None:
    plan = manager.purchase_drafts(budget="200.000", today="2026-09-14")
    assert plan["budget"] == "200000.00" and Decimal(plan["spent"]) <= 200000
    assert plan["drafts"] or plan["not_fitted"] or plan["postponed"]
    for draft in plan["drafts"]:
        assert all(line["units"] % line["pack_size"] == 0 for line in draft["lines"])
    with pytest.raises(ApiError) as bad_budget:
        manager.purchase_drafts(budget="un montón")
    assert bad_budget.value.status == 422
    shelf = manager.shelf_prices(rule="99", min_margins={"Yerba e infusiones": 20})
    priced = [s for s in shelf["suggestions"] if s["category"] == "Yerba e infusiones"]
    assert priced and all(s["shelf_price"].endswith("99.00") and s["min_margin_pct"] == "20.00" for s in priced)
    assert manager.shelf_prices()["rounding_rule"] == "múltiplo de $ 10"  # the server's MINIMARKET_SHELF_PRICE_RULE
    packs = manager.pack_conversions()
    assert packs["lines"] > 0
    confirmed = manager.confirm_pack("30119039416", "YER-0001", 12)
    assert confirmed["units"] == 12
    with pytest.raises(ApiError) as unknown:
        manager.confirm_pack("30119039416", "NO-SKU", 12)
    assert unknown.value.status == 422 and json.dumps(unknown.value.message, ensure_ascii=False)
