"""reconcile: the evidence merged, repaired and checked into one invoice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minimarket.domain.invoice import Status
from tests.unit.documents.reconcile_cases import (
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
