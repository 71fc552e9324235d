"""recheck: the auditor's checks run again on corrected values, without repairs, keeping the document checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from minimarket.documents.reconcile import is_evidence_check, recheck
from minimarket.domain.invoice import Check, ExtractedInvoice, LineItem, Status, VatLine

TODAY = dt.date(2026, 12, 4)


def _invoice(**extra: object) -> ExtractedInvoice:
    fields: dict[str, object] = {
        "invoice_type": "A",
        "afip_code": 1,
        "point_of_sale": 5,
        "number": 7,
        "issue_date": dt.date(2026, 10, 14),
        "issuer_cuit": "30517583231",
        "cae": "73074974187800",
        "net_amount": Decimal("1000"),
        "vat": [VatLine(rate=Decimal("21"), base=Decimal("1000"), amount=Decimal("210"))],
        "total": Decimal("1210"),
        "items": [LineItem(description="X", quantity=Decimal(2), unit_price=Decimal(500), amount=Decimal(1000))],
        "status": Status.ACCEPTED,
    }
    fields.update(extra)
    return ExtractedInvoice.model_validate(fields)


def test_figures_that_add_up_are_accepted_and_a_wrong_total_is_not() -> None:
    ok = recheck(_invoice(), today=TODAY)
    assert ok.status == Status.ACCEPTED and all(c.ok for c in ok.checks)
    bad = recheck(_invoice(total=Decimal("5")), today=TODAY)
    assert bad.status == Status.NEEDS_REVIEW
    assert {c.name for c in bad.failed_checks} == {"total_arithmetic"}
    assert bad.total == Decimal("5"), "a person's value is never repaired"


def test_a_future_date_and_a_doubtful_key_field_send_it_to_review_unless_a_person_checked_it() -> None:
    future = recheck(_invoice(issue_date=dt.date(2026, 12, 20)), today=TODAY)
    assert "date_not_future" in {c.name for c in future.failed_checks}
    doubtful = _invoice(confidence={"number": 0.3})
    assert recheck(doubtful, today=TODAY).status == Status.NEEDS_REVIEW
    assert recheck(doubtful, today=TODAY, reviewed=True).status == Status.ACCEPTED


def test_checks_against_the_document_are_kept_and_a_failing_one_keeps_it_in_review() -> None:
    qr = Check(name="qr_matches_printed", ok=False, detail="El QR dice otro total.")
    repair = Check(name="repair_total", ok=True, detail="Se corrigió un dígito.")
    again = recheck(_invoice(checks=[qr, repair]), today=TODAY)
    assert again.status == Status.NEEDS_REVIEW
    assert [c for c in again.checks if is_evidence_check(c.name)] == [qr, repair]


def test_a_total_without_net_counts_as_verified_when_the_qr_or_a_person_confirmed_it() -> None:
    c = _invoice(invoice_type="C", afip_code=11, net_amount=None, vat=[], cae=None, items=[])
    failed = {x.name for x in recheck(c, today=TODAY).checks if not x.ok}
    assert failed == {"items_present"}, "no total_verified check: the QR had confirmed it (only the items lack)"
    unverified = c.model_copy(update={"checks": [Check(name="total_verified", ok=False, detail="-")]})
    assert {x.name for x in recheck(unverified, today=TODAY).checks if not x.ok} == {"items_present", "total_verified"}
    assert recheck(unverified, today=TODAY).status == Status.NEEDS_REVIEW
    typed = unverified.model_copy(update={"sources": {"total": "manual"}})
    assert {x.name for x in recheck(typed, today=TODAY).checks if not x.ok} == {"items_present"}
