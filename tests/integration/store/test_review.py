"""Reviews on a real SQLite file: corrections re-run the checks and move the status, implausible values are refused,
confirming moves stock exactly once (also when reviews race), rejecting takes it out again."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from minimarket.cli import app
from minimarket.domain.invoice import Check, ExtractedInvoice, LineItem, Status, VatLine
from minimarket.store.corrections import CorrectionError, ReviewRefused, review_invoice
from minimarket.store.db import session_scope
from minimarket.store.invoices import get_invoice, save_extracted
from minimarket.store.models import InvoiceEvent, StockMovement
from minimarket.store.stock import stock_levels

runner = CliRunner()


def invoice(
    sha: str = "a" * 64, number: int = 11643, status: Status = Status.ACCEPTED, **extra: object
) -> ExtractedInvoice:
    """A factura A whose figures add up: 2 × 500 = 1000 net, 21 % IVA, 1210 total."""
    fields: dict[str, object] = {
        "source_file": "factura.pdf",
        "sha256": sha,
        "invoice_type": "A",
        "afip_code": 1,
        "point_of_sale": 5,
        "number": number,
        "issue_date": dt.date(2026, 10, 14),
        "issuer_cuit": "30517583231",
        "issuer_name": "Distribuidora Norte SA",
        "cae": "73074974187800",
        "net_amount": Decimal("1000.00"),
        "vat": [VatLine(rate=Decimal("21"), base=Decimal("1000"), amount=Decimal("210"))],
        "total": Decimal("1210.00"),
        "items": [
            LineItem(
                description="YERBA PLAYAD.1KG",
                quantity=Decimal("2"),
                unit_price=Decimal("500"),
                amount=Decimal("1000"),
                sku="YER-0001",
                sku_confidence=0.97,
            )
        ],
        "status": status,
    }
    fields.update(extra)
    return ExtractedInvoice.model_validate(fields)


def stored(extracted: ExtractedInvoice, shop: str | None = None) -> int:
    with session_scope(shop) as session:
        return save_extracted(session, extracted).invoice_id


def review(invoice_id: int, action: str = "correct", shop: str | None = None, **corrections: str) -> dict[str, object]:
    with session_scope(shop) as session:
        pairs = [(name.replace("__", "."), value) for name, value in corrections.items()]
        return review_invoice(session, invoice_id, corrections=pairs, action=action, author="ana").as_dict()


def stock() -> dict[str, Decimal]:
    with session_scope() as session:
        return {sku: qty for sku, qty in stock_levels(session).items() if qty}


def checks_of(invoice_id: int) -> dict[str, bool]:
    with session_scope() as session:
        return {c.name: c.ok for c in get_invoice(session, invoice_id).checks}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("total", "-5", "total: -5 no es plausible"),
        ("total", "1" + "0" * 32, "no es plausible"),
        ("issue_date", "2099-01-01", "fecha de emisión: 01/01/2099 no es plausible"),
        ("issue_date", "0001-01-01", "no es plausible"),
        ("cae_due_date", "9999-12-31", "vencimiento del CAE"),
        ("items.1.quantity", "0", "cantidad: 0 no es plausible"),
        ("items.1.quantity", "123456789012345678901234567890", "no es plausible"),
        ("items.1.unit_price", "0.0000001", "decimales"),
        ("net_amount", "NaN", "no es un importe"),
        ("vat.1.rate", "22", "alícuota"),
        ("vat.2.amount", "10", "no existe la número 2"),
        ("number", "0", "número"),
    ],
)
def test_values_no_invoice_can_have_are_refused_and_nothing_changes(field: str, value: str, message: str) -> None:
    invoice_id = stored(invoice())
    with session_scope() as session:
        before = get_invoice(session, invoice_id)
        with pytest.raises(CorrectionError, match=message):
            review_invoice(session, invoice_id, corrections=[(field, value)], action="correct", author="ana")
    with session_scope() as session:
        assert get_invoice(session, invoice_id) == before


def test_a_correction_reruns_the_checks_and_moves_the_status_and_the_stock() -> None:
    invoice_id = stored(invoice())
    assert stock() == {"YER-0001": Decimal("2")}

    outcome = review(invoice_id, total="5")
    assert (outcome["previous_status"], outcome["status"]) == ("accepted", "needs_review")
    assert checks_of(invoice_id)["total_arithmetic"] is False
    assert stock() == {}, "an invoice under review has nothing in stock"

    outcome = review(invoice_id, total="1.210,00")
    assert outcome["status"] == "accepted" and all(checks_of(invoice_id).values())
    assert stock() == {"YER-0001": Decimal("2")}

    outcome = review(
        invoice_id,
        items__1__quantity="3",
        items__1__amount="1500",
        net_amount="1500",
        total="1815",
        vat__1__base="1500",
        vat__1__amount="315",
    )
    assert outcome["status"] == "accepted", outcome["checks"]
    assert stock() == {"YER-0001": Decimal("3")}
    with session_scope() as session:
        row = session.get_one(__import__("minimarket.store.models", fromlist=["Invoice"]).Invoice, invoice_id)
        assert row.total == Decimal("1815.00") and row.vat_amount == Decimal("315.00")
        assert row.items[0].quantity == Decimal("3")
        kinds = [e.kind for e in session.scalars(select(InvoiceEvent).where(InvoiceEvent.invoice_id == invoice_id))]
    assert kinds.count("reviewed") == 3 and kinds.count("corrected") == 8


def test_confirm_is_refused_while_the_figures_do_not_add_up() -> None:
    invoice_id = stored(invoice(total=Decimal("1300"), status=Status.NEEDS_REVIEW))
    with session_scope() as session, pytest.raises(ReviewRefused, match="no se puede confirmar"):
        review_invoice(session, invoice_id, action="confirm", author="ana")
    assert stock() == {}
    outcome = review(invoice_id, "confirm", total="1210")
    assert outcome["status"] == "accepted" and outcome["stock_movements"] == 1
    assert stock() == {"YER-0001": Decimal("2")}


def test_confirm_overrides_a_failed_check_against_the_document_and_says_so() -> None:
    mismatch = Check(name="qr_matches_printed", ok=False, detail="El QR no coincide con lo impreso — total.")
    invoice_id = stored(invoice(status=Status.NEEDS_REVIEW, checks=[mismatch]))

    outcome = review(invoice_id, issuer_name="Distribuidora Norte S.A.")
    assert outcome["status"] == "needs_review", "a correction does not make the QR agree"

    outcome = review(invoice_id, "confirm")
    assert outcome["status"] == "accepted" and outcome["overridden"] == ["qr_matches_printed"]
    qr = next(c for c in outcome["checks"] if c["name"] == "qr_matches_printed")  # type: ignore[union-attr]
    assert qr["ok"] and "confirmado por ana" in qr["detail"]
    assert stock() == {"YER-0001": Decimal("2")}


def test_confirming_twice_and_rejecting_move_stock_once_and_back() -> None:
    invoice_id = stored(invoice(status=Status.NEEDS_REVIEW))
    assert review(invoice_id, "confirm")["stock_movements"] == 1
    assert review(invoice_id, "confirm")["stock_movements"] == 0
    assert stock() == {"YER-0001": Decimal("2")}
    outcome = review(invoice_id, "reject")
    assert outcome["status"] == "rejected" and stock() == {}
    assert review(invoice_id, issuer_name="Otro nombre")["status"] == "rejected", "a correction does not un-reject"
    with session_scope() as session:
        movements = session.scalars(select(StockMovement).order_by(StockMovement.id)).all()
    assert [m.quantity for m in movements] == [Decimal("2"), Decimal("-2")], "the ledger is compensated, not rewritten"


def test_a_correction_onto_another_invoices_fiscal_key_is_a_clear_error() -> None:
    first = stored(invoice(sha="a" * 64, number=1))
    second = stored(invoice(sha="b" * 64, number=2))
    with session_scope() as session, pytest.raises(CorrectionError, match=f"clave fiscal .* la factura {first}"):
        review_invoice(session, second, corrections=[("number", "1")], author="ana")
    with session_scope() as session:
        assert get_invoice(session, second).number == 2


def test_another_shops_invoice_cannot_be_reviewed() -> None:
    invoice_id = stored(invoice(status=Status.NEEDS_REVIEW), shop="almacen-norte")
    with session_scope("almacen-sur") as session, pytest.raises(LookupError):
        review_invoice(session, invoice_id, action="confirm", author="intruso")
    with session_scope("almacen-norte") as session:
        assert get_invoice(session, invoice_id).status == Status.NEEDS_REVIEW


def test_cli_review_and_correct_give_clear_errors_and_json() -> None:
    invoice_id = stored(invoice())
    result = runner.invoke(app, ["invoices", "correct", str(invoice_id), "--total", "-5"])
    assert result.exit_code == 2 and "no es plausible" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["invoices", "correct", str(invoice_id), "--issue-date", "2099-01-01"])
    assert result.exit_code == 2 and "01/01/2099" in result.output

    result = runner.invoke(app, ["invoices", "review", str(invoice_id), "correct", "--set", "total=5"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] == "needs_review"
    result = runner.invoke(app, ["invoices", "review", str(invoice_id), "confirm", "--author", "ana"])
    assert result.exit_code == 1 and "no se puede confirmar" in result.output
    result = runner.invoke(app, ["invoices", "review", str(invoice_id), "reject", "--reason", "duplicada en papel"])
    assert result.exit_code == 0 and json.loads(result.output)["status"] == "rejected"
    result = runner.invoke(app, ["invoices", "review", str(invoice_id), "archive"])
    assert result.exit_code == 2 and "correct, confirm o reject" in result.output
    result = runner.invoke(app, ["invoices", "review", "999", "confirm"])
    assert result.exit_code == 1 and "999" in result.output
