"""Repairs of the totals by net + VAT + other taxes = total, and a lost net deduced."""

from __future__ import annotations

from decimal import Decimal

from minimarket.documents.items import ItemsResult
from minimarket.documents.totals import TotalRole, Totals
from minimarket.domain.invoice import Status, TaxKind
from tests.unit.documents.reconcile_cases import (
    cand,
    check,
    header,
    items,
    qr_payload,
    run,
    totals,
)


def test_a_vat_with_two_blurred_digits_is_repaired_when_the_qr_confirms_the_total() -> None:
    """'39.618,04' for 39.613,64: beyond one slip, so only with the total confirmed by the QR (and the VAT
    by base × rate) is it repaired; without the QR it stays for review."""
    t = totals(vat="39618.04")
    with_qr = run(t=t, qr=qr_payload(), ocr=True)
    assert [v.amount for v in with_qr.vat] == [Decimal("39613.64")]
    assert "dígitos mal leídos" in check(with_qr, "repair_vat").detail
    assert with_qr.status == Status.ACCEPTED
    alone = run(t=totals(vat="39618.04"), ocr=True)
    assert [v.amount for v in alone.vat] == [Decimal("39618.04")] and alone.status == Status.NEEDS_REVIEW


def test_a_net_with_a_dropped_digit_is_repaired_when_the_qr_and_the_items_confirm_it() -> None:
    with_qr = run(t=totals(net="18863.36"), qr=qr_payload(), ocr=True)
    assert with_qr.net_amount == Decimal("188636.36")
    assert check(with_qr, "repair_net_amount").ok and with_qr.status == Status.ACCEPTED
    alone = run(t=totals(net="18863.36"), ocr=True)
    assert alone.net_amount == Decimal("18863.36") and alone.status == Status.NEEDS_REVIEW


def test_a_lost_net_is_total_less_vat_when_the_vat_confirms_it() -> None:
    t = totals()
    t.net = None  # the subtotal was a smudge
    result = run(t=t, it=ItemsResult())
    assert result.net_amount == Decimal("188636.36") and result.sources["net_amount"] == "computed"
    assert "se calculó" in check(result, "repair_net_amount").detail
    wrong_vat = totals(vat="39000.00", total="227636.36")
    wrong_vat.net = None
    assert run(t=wrong_vat, it=ItemsResult()).net_amount is None  # 188636.36 × 21 % is not 39000


def test_repair_total_with_a_dropped_separator() -> None:
    result = run(t=totals(total="22825000"))
    assert result.total == Decimal("228250.00")
    assert "separador decimal" in check(result, "repair_total").detail
    assert result.sources["total"] == "computed"
    assert check(result, "total_arithmetic").ok


def test_repair_one_misread_digit_in_the_total() -> None:
    result = run(t=totals(total="228850.00"))
    assert result.total == Decimal("228250.00")
    assert "un dígito mal leído" in check(result, "repair_total").detail


def test_no_repair_when_the_qr_confirms_the_printed_total() -> None:
    result = run(t=totals(total="228850.00"), qr=qr_payload(importe=Decimal("228850")))
    assert result.total == Decimal("228850.00")
    assert not [c for c in result.checks if c.name.startswith("repair")]
    assert not check(result, "total_arithmetic").ok


def test_repair_clipped_last_decimal_of_the_vat() -> None:
    result = run(t=totals(net="14049.59", vat="2950.4", total="17000.00"), it=items(("1", "14049.59", "14049.59")))
    assert [v.amount for v in result.vat] == [Decimal("2950.41")]
    assert "último decimal" in check(result, "repair_vat").detail


def test_no_repair_when_two_readings_could_explain_the_difference() -> None:
    # 100 + 10 = 110 printed as 120: the total, the percepción or the net could each be one digit off.
    t = Totals(net=cand(TotalRole.SUBTOTAL, "100.00"), total=cand(TotalRole.TOTAL, "120.00"))
    t.other_taxes = [cand(TotalRole.OTHER_TAX, "10.00", kind=TaxKind.PERCEPCION_IIBB)]
    result = run(h=header(invoice_type="C", afip_code=11), t=t, it=ItemsResult())
    assert result.total == Decimal("120.00") and result.net_amount == Decimal("100.00")
    assert not [c for c in result.checks if c.name.startswith("repair")]
    assert not check(result, "total_arithmetic").ok


def test_a_lost_net_of_a_b_invoice_is_its_total() -> None:
    """A B invoice states no VAT: with its subtotal unreadable and no items read, the net is the total."""
    t = totals(net="228250.00", vat=None)
    t.net = None
    result = run(h=header(invoice_type="B", afip_code=6), t=t, it=ItemsResult())
    assert result.net_amount == Decimal("228250.00") and result.sources["net_amount"] == "computed"
    assert "no discrimina IVA" in check(result, "repair_net_amount").detail
    a = run(t=t, it=ItemsResult())  # an A invoice's VAT was lost with it: nothing to deduce
    assert a.net_amount is None


def test_a_b_invoice_s_net_with_a_lost_digit_is_repaired_though_an_item_is_misread() -> None:
    """'$10.237,58' for 510.237,58 on a B invoice (no VAT): the net is the total; an item misread beyond
    repair does not veto it."""
    it = items(("1", "460237.58", "460237.58"), ("3318", "1142321", "7811.87"))
    result = run(h=header(invoice_type="B", afip_code=6), t=totals(net="10237.58", vat=None, total="510237.58"), it=it)
    assert result.net_amount == Decimal("510237.58")
    assert "dígito inicial perdido" in check(result, "repair_net_amount").detail


def test_a_net_repair_must_agree_with_the_items() -> None:
    # the difference could be one digit of the net, but the items confirm the net: no repair
    result = run(t=totals(total="228300.00"), qr=qr_payload(importe=Decimal("228300")))
    assert result.net_amount == Decimal("188636.36")
    assert not [c for c in result.checks if c.name.startswith("repair")]


def test_the_vat_says_whether_the_net_or_the_total_was_misread() -> None:
    """Net "88.636,36" (its first digit lost) + VAT 39.613,64 = 128.250,00, printed total 228.250,00: the total
    one digit off or the net one digit short both fit the sum; 21 % of 188.636,36 is the VAT read, so the net."""
    result = run(t=totals(net="88636.36"), it=ItemsResult())
    assert result.net_amount == Decimal("188636.36") and result.total == Decimal("228250.00")
    assert "dígito inicial perdido" in check(result, "repair_net_amount").detail
    assert check(result, "vat_per_rate").ok


def test_misread_items_do_not_veto_a_net_the_vat_confirms() -> None:
    misread = items(("1", "178801.65", "178801.65"), ("1", "9834.71", "98347.10"))
    result = run(t=totals(net="88636.36"), it=misread)
    assert result.net_amount == Decimal("188636.36")
    assert result.status == Status.NEEDS_REVIEW  # the items still do not add up


def test_a_b_invoice_s_garbled_net_is_its_total_when_the_items_confirm_it() -> None:
    """ "066 .213.46" read as 0,46 on a B invoice: its net is the total, which the items add up to."""
    b = header(invoice_type="B", afip_code=6)
    it = items(("1", "600000.00", "600000.00"), ("2", "33106.73", "66213.46"))
    result = run(h=b, t=totals(net="0.46", vat=None, total="666213.46"), it=it)
    assert result.net_amount == Decimal("666213.46")
    assert "no discrimina IVA" in check(result, "repair_net_amount").detail
    alone = run(h=b, t=totals(net="0.46", vat=None, total="666213.46"), it=ItemsResult())
    assert alone.net_amount == Decimal("0.46") and alone.status == Status.NEEDS_REVIEW
