"""The corrections loop on a real SQLite store: `minimarket invoices correct`, audit events, labels for training."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from minimarket.catalog import bundled_catalog
from minimarket.cli import app
from minimarket.documents.extract import extract
from minimarket.learning.matching import Alias, ProductMatcher, catalog_entries
from minimarket.store.db import session_scope
from minimarket.store.invoices import save_extracted
from minimarket.store.models import InvoiceEvent, InvoiceItem

runner = CliRunner()


@pytest.fixture
def stored(tmp_path: Path) -> tuple[int, Path]:
    """A synthetic invoice read by the rules (no SKUs) and stored; returns (id, file)."""
    from minimarket.synth.invoices import SampleOptions, make_document

    document = make_document(bundled_catalog(), 41, 0, "pdf", options=SampleOptions(layout="erp_plain", max_items=4))
    path = tmp_path / document.name
    path.write_bytes(document.data)
    extracted = extract(path)
    assert extracted.items and extracted.items[0].sku is None
    with session_scope() as session:
        outcome = save_extracted(session, extracted)
    return outcome.invoice_id, path


def _show(invoice_id: int) -> dict[str, object]:
    result = runner.invoke(app, ["invoices", "show", str(invoice_id)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_correct_updates_payload_items_and_audit_trail(stored: tuple[int, Path]) -> None:
    invoice_id, _ = stored
    before = _show(invoice_id)
    result = runner.invoke(
        app,
        [
            "invoices", "correct", str(invoice_id), "--total", "1.234,56", "--issue-date", "01/10/2026",
            "--item-sku", "1=YER-0001", "--author", "ana",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    changes = json.loads(result.output)["corrected"]
    assert {c["field"] for c in changes} == {"total", "issue_date", "items.1.sku"}
    after = _show(invoice_id)
    assert after["total"] == "1234.56" and after["issue_date"] == "2026-10-01"
    assert after["sources"]["total"] == "manual" and after["sources"]["items.1.sku"] == "manual"
    items = after["items"]
    assert isinstance(items, list) and items[0]["sku"] == "YER-0001" and items[0]["sku_confidence"] == 1.0
    with session_scope() as session:
        events = session.scalars(select(InvoiceEvent).where(InvoiceEvent.kind == "corrected")).all()
        assert {e.author for e in events} == {"ana"}
        assert {e.detail["field"]: e.detail["old"] for e in events}["total"] == before["total"]
        row = session.scalars(select(InvoiceItem).where(InvoiceItem.line_no == 1)).one()
        assert row.sku == "YER-0001"
    listed = json.loads(runner.invoke(app, ["invoices", "list"]).output)
    assert listed["invoices"][0]["total"] == "1234.56"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--total", "mil pesos"], "importe"),
        (["--issue-date", "31/02/2026"], "fecha"),
        (["--issuer-cuit", "30-11903941-5"], "CUIT"),
        (["--item-sku", "1=NO-EXISTE"], "catálogo"),
        (["--item-sku", "99=YER-0001"], "no existe el ítem 99"),
        (["--item-sku", "YER-0001"], "N=VALOR"),
        (["--set", "color=rojo"], "desconocido"),
    ],
)
def test_bad_values_change_nothing(stored: tuple[int, Path], args: list[str], message: str) -> None:
    invoice_id, _ = stored
    before = _show(invoice_id)
    result = runner.invoke(app, ["invoices", "correct", str(invoice_id), "--total", "10", *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert _show(invoice_id) == before


def test_unknown_invoice_is_a_clear_error(stored: tuple[int, Path]) -> None:
    result = runner.invoke(app, ["invoices", "correct", "999", "--total", "10"])
    assert result.exit_code == 1 and "999" in result.output


def test_corrections_come_back_as_labels_for_the_next_training(stored: tuple[int, Path]) -> None:
    from minimarket.learning.train import store_labels

    invoice_id, path = stored
    weird = "YERBA ROJA ESPECIAL 1/2 X 10"
    result = runner.invoke(
        app,
        [
            "invoices", "correct", str(invoice_id), "--item-sku", "2=YER-0002", "--item-description", f"2={weird}",
            "--accept", "--author", "ana",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] == "accepted"
    refs, aliases = store_labels()
    assert [r.path for r in refs] == [path] and refs[0].kind == "real"
    assert refs[0].truth.items[1].sku == "YER-0002"
    assert "items.2.sku" in refs[0].corrected_fields
    alias = next(a for a in aliases if a.sku == "YER-0002")
    assert alias.description == weird
    # the next matcher knows this supplier's way of naming the product, and only this supplier's
    matcher = ProductMatcher.fit(catalog_entries(bundled_catalog().products), aliases)
    supplier = refs[0].truth.issuer_cuit
    assert matcher.match(weird, supplier).method == "alias"
    without = ProductMatcher.fit(catalog_entries(bundled_catalog().products), [a for a in aliases if a is not alias])
    assert without.match(weird, supplier).sku != "YER-0002" or without.match(weird, supplier).method != "alias"
    assert isinstance(alias, Alias)
