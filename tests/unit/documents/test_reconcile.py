"""reconcile: the evidence merged, repaired and checked into one invoice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from minimarket.documents.fields import Found
from minimarket.domain.invoice import Status
from tests.unit.documents.reconcile_cases import (
    header,
    qr_payload,
    run,
)


def test_consistent_invoice_is_accepted_with_every_check_passing() -> None:
    result = run()
    assert result.status == Status.ACCEPTED
    assert all(c.ok for c in result.checks), result.failed_checks
    names = {c.name for c in result.checks}
    assert {"cuit_check_digit", "items_arithmetic", "items_sum_net", "vat_per_rate", "total_arithmetic",
            "type_rules", "date_not_future", "cae_format"} <= names  # fmt: skip
    assert result.sources["number"] == "text" and result.confidence["number"] == pytest.approx(0.95)
    assert [(v.rate, v.base, v.amount) for v in result.vat] == [
        (Decimal("21"), Decimal("188636.36"), Decimal("39613.64"))
    ]
    assert result.currency == "PES" and result.exchange_rate == Decimal("1")


def test_a_due_date_below_the_items_is_the_cae_s_within_its_validity_after_the_qr_s_date() -> None:
    h = header(issue_date=None, cae_due_date=None)
    h.due_below_items = [Found(dt.date(2023, 2, 24), 0.7, 0, 700.0)]
    assert run(h=h, qr=qr_payload(), ocr=True).cae_due_date == dt.date(2023, 2, 24)
    h.due_below_items = [Found(dt.date(2023, 3, 16), 0.7, 0, 700.0)]  # 30 days on: a payment's
    assert run(h=h, qr=qr_payload(), ocr=True).cae_due_date is None
