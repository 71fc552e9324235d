"""`minimarket arca`, `iva`, `purchases`, `prices shelf`, `packs` and `synth arca-export` on a real SQLite store."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minimarket.catalog import bundled_catalog
from minimarket.cli import app
from minimarket.config import get_settings
from minimarket.store.db import session_scope
from minimarket.store.invoices import save_extracted
from minimarket.synth.arca import export_bytes, plant_cases, row_from_invoice
from minimarket.synth.invoices.sample import SampleOptions, sample_invoice

runner = CliRunner()


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """The bundled catalog, 60 days of sales of 40 products and 15 invoices of September 2026 (truths, stored)."""
    assert runner.invoke(app, ["catalog", "import"]).exit_code == 0
    sales = tmp_path / "ventas.csv"
    assert runner.invoke(app, ["demand", "synth", "--out", str(sales), "--days", "60", "--skus", "40"]).exit_code == 0
    assert runner.invoke(app, ["sales", "import", str(sales)]).exit_code == 0
    catalog = bundled_catalog()
    rng = random.Random(11)
    truths = []
    with session_scope() as session:
        for _ in range(15):
            spec = sample_invoice(rng, catalog, SampleOptions(letter="A"))
            spec.issue_date = dt.date(2026, 9, rng.randint(1, 30))
            truth = spec.truth()
            truth = truth.model_copy(update={"sha256": hashlib.sha256(truth.model_dump_json().encode()).hexdigest()})
            save_extracted(session, truth)
            truths.append(truth)
    others = [sample_invoice(rng, catalog, SampleOptions(letter="A")).truth() for _ in range(2)]
    rows, planted = plant_cases(
        [row_from_invoice(t) for t in truths],
        [row_from_invoice(o.model_copy(update={"issue_date": dt.date(2026, 9, 20)})) for o in others],
        rng,
        missing=1,
        altered=1,
        duplicated=1,
    )
    (tmp_path / "recibidos.csv").write_bytes(export_bytes(rows, generation="G2"))
    (tmp_path / "planted.json").write_text(json.dumps([p.as_dict() for p in planted]))
    return tmp_path


def test_arca_reconcile_json_csv_and_stored_runs(shop: Path) -> None:
    result = runner.invoke(
        app,
        [
            "arca",
            "reconcile",
            str(shop / "recibidos.csv"),
            "--period",
            "2026-09",
            "--json",
            "--csv",
            str(shop / "h.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    planted = json.loads((shop / "planted.json").read_text())
    found = {
        (kind, e["number"])
        for kind in ("missing_in_store", "missing_in_arca", "amount_mismatch", "duplicates", "key_mismatch")
        for e in report[kind]
    }
    assert found == {(p["kind"], p["number"]) for p in planted}
    assert report["matched"] == 14 and report["run_id"] == 1
    assert {"issuer_cuit", "afip_code", "point_of_sale", "number", "detail"} <= set(report["missing_in_arca"][0])
    assert (shop / "h.csv").read_text(encoding="utf-8-sig").startswith("hallazgo;")
    text = runner.invoke(app, ["arca", "show", "1"])
    assert text.exit_code == 0 and "Cargada, no está en ARCA (1)" in text.stdout
    runs = json.loads(runner.invoke(app, ["arca", "runs"]).stdout)
    assert runs[0]["counts"]["missing_in_store"] == 2


def test_arca_reconcile_refuses_a_file_that_is_not_an_export(tmp_path: Path) -> None:
    bad = tmp_path / "ventas.csv"
    bad.write_text("date,sku,quantity\n2026-09-01,YER-0001,2\n", encoding="utf-8")
    result = runner.invoke(app, ["arca", "reconcile", str(bad)])
    assert result.exit_code == 2
    assert "no es una exportación de Mis Comprobantes" in result.output and "Traceback" not in result.output
    assert runner.invoke(app, ["arca", "reconcile", str(bad), "--period", "sept"]).exit_code == 2


def test_iva_libro_writes_both_files(shop: Path) -> None:
    result = runner.invoke(app, ["iva", "libro", "--period", "2026-09", "--out", str(shop / "libro")])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["invoices_written"] == 15 and summary["pending_review"] == []
    lines = (shop / "libro" / "LIBRO_IVA_DIGITAL_COMPRAS_CBTE.txt").read_bytes().split(b"\r\n")
    assert len(lines) == 16 and all(len(line) == 325 for line in lines[:-1])


def test_purchase_drafts_shelf_prices_and_packs(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    drafts = runner.invoke(app, ["purchases", "drafts", "--budget", "500.000,00", "--today", "2026-09-14"])
    assert drafts.exit_code == 0, drafts.output
    plan = json.loads(drafts.stdout)
    assert plan["budget"] == "500000.00" and plan["priority"].startswith("margen")
    assert float(plan["spent"]) <= 500000
    for draft in plan["drafts"]:
        assert dt.date.fromisoformat(draft["order_date"]) >= dt.date(2026, 9, 14)
        assert all(line["units"] % line["pack_size"] == 0 for line in draft["lines"])
    assert runner.invoke(app, ["purchases", "drafts", "--budget", "mucho"]).exit_code == 2

    shelf = runner.invoke(app, ["prices", "shelf", "--rule", "90", "--min-margin", "Almacén=20"])
    assert shelf.exit_code == 0, shelf.output
    report = json.loads(shelf.stdout)
    for item in report["suggestions"]:
        assert item["shelf_price"].endswith("90.00") and float(item["shelf_price"]) >= float(item["floor_price"])
    assert runner.invoke(app, ["prices", "shelf", "--rule", "7"]).exit_code == 2
    monkeypatch.setenv("MINIMARKET_SHELF_PRICE_RULE", "99")  # the shop's own rule, without --rule
    get_settings.cache_clear()
    house = json.loads(runner.invoke(app, ["prices", "shelf"]).stdout)
    assert house["rounding_rule"] == "terminado en 99" and house["suggestions"]
    assert all(item["shelf_price"].endswith("99.00") for item in house["suggestions"])

    packs = json.loads(runner.invoke(app, ["packs", "report"]).stdout)
    assert packs["lines"] > 0 and packs["implausible"] == 0
    confirmed = runner.invoke(
        app, ["packs", "confirm", "--supplier", "30119039416", "--sku", "YER-0001", "--units", "12"]
    )
    assert confirmed.exit_code == 0 and json.loads(confirmed.stdout)["units"] == 12
    refused = runner.invoke(app, ["packs", "confirm", "--supplier", "30119039416", "--sku", "NOPE", "--units", "12"])
    assert refused.exit_code == 2 and "no está en el catálogo" in refused.output


def test_synth_arca_export_from_a_synthetic_folder(tmp_path: Path) -> None:
    folder = tmp_path / "facturas"
    folder.mkdir()
    for n, truth in enumerate(sample_invoice(random.Random(n), bundled_catalog()).truth() for n in range(6)):
        (folder / f"invoice_{n:05d}.truth.json").write_text(truth.model_dump_json(), encoding="utf-8")
    out = tmp_path / "mc.xlsx"
    result = runner.invoke(
        app, ["synth", "arca-export", "--truth", str(folder), "--out", str(out), "--extra", "1", "--missing", "1"]
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["rows"] == 6 and {p["kind"] for p in answer["planted"]} == {"missing_in_store", "missing_in_arca"}
    assert out.read_bytes().startswith(b"PK")
