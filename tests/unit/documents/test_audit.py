"""The auditor's checks and the status they lead to."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from minimarket.documents.evidence import Evidence
from minimarket.documents.items import ItemsResult
from minimarket.documents.linetext import PageView
from minimarket.documents.pages import PageInfo, PageSelection
from minimarket.documents.reconcile import reconcile
from minimarket.documents.totals import TotalRole, Totals
from minimarket.domain.invoice import Status, TaxKind
from tests.unit.documents.reconcile_cases import (
    SETTINGS,
    TODAY,
    cand,
    check,
    default_items,
    header,
    items,
    qr_payload,
    run,
    totals,
)


def test_invalid_issuer_cuit_fails_the_check_digit_check() -> None:
    result = run(h=header(issuer_cuit="20315600448"))
    assert not check(result, "cuit_check_digit").ok
    assert result.status == Status.NEEDS_REVIEW


def test_same_cuit_for_issuer_and_receiver_is_flagged() -> None:
    result = run(h=header(receiver_doc_number="20315600449"))
    assert not check(result, "cuit_check_digit").ok


def test_items_that_do_not_add_up_to_the_net() -> None:
    result = run(it=items(("1", "178801.65", "178801.65")))
    c = check(result, "items_sum_net")
    assert not c.ok and "no coincide" in c.detail
    assert result.status == Status.NEEDS_REVIEW


def test_items_of_an_invoice_whose_net_did_not_read_are_not_accepted_unchecked() -> None:
    """A blurred photo: with neither the net nor the VAT read, two items of twenty would pass every check."""
    unread = Totals(net=None, vat=[], total=cand(TotalRole.TOTAL, "228250.00"))
    result = run(t=unread, it=items(("1", "9834.71", "9834.71")), qr=qr_payload())
    c = check(result, "items_sum_net")
    assert not c.ok and "no se leyó el neto" in c.detail
    assert result.status == Status.NEEDS_REVIEW


def test_an_item_read_with_its_amount_alone_among_priced_items_goes_to_review() -> None:
    """A photo whose quantity and price of one row did not read: its amount still adds up with the others,
    but the row lost what the table prints for it."""
    it = default_items()
    it.items[1].quantity = it.items[1].unit_price = None
    result = run(it=it)
    c = check(result, "items_arithmetic")
    assert not c.ok and "ítem 2: no se leyeron la cantidad ni el precio unitario" in c.detail
    assert check(result, "items_sum_net").ok
    assert result.status == Status.NEEDS_REVIEW


def test_a_price_read_with_more_decimals_than_money_has_goes_to_review_even_when_it_multiplies_out() -> None:
    """A photo: "1,500" kg read "1500" and "1.970,46" read "1.97046"; 1500 × 1,97046 = 2.955,69 as printed."""
    result = run(
        t=totals(net="181757.34", vat="38169.04", total="219926.38"),
        it=items(("1", "178801.65", "178801.65"), ("1500", "1.97046", "2955.69")),
    )
    c = check(result, "items_arithmetic")
    assert not c.ok and "ítem 2: el precio unitario se leyó con más de 4 decimales" in c.detail
    assert check(result, "items_sum_net").ok
    assert result.status == Status.NEEDS_REVIEW


def test_items_with_amounts_only_are_accepted_when_no_row_prints_a_quantity_and_price() -> None:
    """A ticket or a services invoice lists amounts alone: nothing is missing, nothing to multiply."""
    it = default_items()
    for item in it.items:
        item.quantity = item.unit_price = None
    result = run(it=it)
    assert check(result, "items_sum_net").ok
    assert not any(c.name == "items_arithmetic" for c in result.checks)
    assert result.status == Status.ACCEPTED


def test_vat_that_is_not_net_times_rate() -> None:
    result = run(t=totals(vat="39613.64", rate="10.5"))
    c = check(result, "vat_per_rate")
    assert not c.ok and "10.5 %" in c.detail


def test_total_that_is_not_the_sum() -> None:
    result = run(t=totals(total="228300.00"), qr=qr_payload(importe=Decimal("228300")))
    c = check(result, "total_arithmetic")
    assert not c.ok and "diferencia" in c.detail
    assert result.status == Status.NEEDS_REVIEW


def test_total_within_tolerance_passes() -> None:
    result = run(t=totals(total="228250.03"))
    assert check(result, "total_arithmetic").ok


def test_other_taxes_enter_the_total() -> None:
    t = totals(total="230250.00")
    t.other_taxes = [cand(TotalRole.OTHER_TAX, "2000.00", kind=TaxKind.PERCEPCION_IIBB)]
    result = run(t=t)
    assert check(result, "total_arithmetic").ok
    assert [(x.kind, x.amount) for x in result.other_taxes] == [("percepcion_iibb", Decimal("2000.00"))]


def test_other_taxes_known_only_from_their_total_beside_an_unread_tax_line_go_to_review() -> None:
    t = totals(total="230250.00")
    t.other_taxes_total = cand(TotalRole.OTHER_TAXES_TOTAL, "2000.00")
    t.unpaired_taxes = [("Perc", TaxKind.PERCEPCION_IIBB)]
    result = run(t=t)
    assert check(result, "total_arithmetic").ok
    assert [(x.kind, x.amount) for x in result.other_taxes] == [("percepcion_iibb", Decimal("2000.00"))]
    c = check(result, "other_taxes_detail")
    assert not c.ok and "«Perc»" in c.detail
    assert result.status == Status.NEEDS_REVIEW
    t.unpaired_taxes = []  # a text layer with only the total printed: nothing was lost, nothing to doubt
    assert all(c.name != "other_taxes_detail" for c in run(t=t).checks)


def test_other_taxes_known_only_from_their_total_with_no_tax_line_read_by_ocr_go_to_review() -> None:
    t = totals(total="230250.00")
    t.other_taxes_total = cand(TotalRole.OTHER_TAXES_TOTAL, "2000.00")
    result = run(t=t, ocr=True)  # a photo whose "Percepción IIBB ..." line was not read at all
    assert [(x.kind, x.amount) for x in result.other_taxes] == [("other", Decimal("2000.00"))]
    c = check(result, "other_taxes_detail")
    assert not c.ok and "ninguna línea" in c.detail
    assert result.status == Status.NEEDS_REVIEW


def test_factura_c_with_vat_breaks_the_type_rules() -> None:
    result = run(h=header(invoice_type="C", afip_code=11))
    c = check(result, "type_rules")
    assert not c.ok and "factura C no discrimina IVA" in c.detail


def test_factura_a_without_cae() -> None:
    result = run(h=header(cae=None, cae_due_date=None))
    c = check(result, "type_rules")
    assert not c.ok and "CAE" in c.detail


def test_letter_and_code_must_agree() -> None:
    result = run(h=header(invoice_type="B", afip_code=1))
    assert not check(result, "type_rules").ok


def test_monotributista_cannot_issue_a() -> None:
    h = header(issuer_iva_condition="monotributo")
    result = run(h=h)
    assert "no puede emitir factura A" in check(result, "type_rules").detail


def test_factura_b_items_add_up_to_the_total() -> None:
    t = Totals(net=cand(TotalRole.SUBTOTAL, "1210.00"), total=cand(TotalRole.TOTAL, "1210.00"), consistent=True)
    result = run(h=header(invoice_type="B", afip_code=6), t=t, it=items(("2", "605.00", "1210.00")))
    assert check(result, "items_sum_net").ok and check(result, "type_rules").ok
    assert result.status == Status.ACCEPTED


def test_future_issue_date() -> None:
    result = run(h=header(issue_date=dt.date(2023, 5, 1), cae_due_date=dt.date(2023, 5, 11)))
    assert not check(result, "date_not_future").ok


def test_cae_due_before_issue_and_short_cae() -> None:
    late = run(h=header(cae_due_date=dt.date(2023, 2, 1)))
    assert not check(late, "cae_format").ok and "antes de la fecha" in check(late, "cae_format").detail
    short = run(h=header(cae="7307956873920"))
    assert "14 dígitos" in check(short, "cae_format").detail


def test_missing_key_fields_need_review_and_say_which() -> None:
    result = run(h=header(number=None, issuer_cuit=None))
    c = check(result, "key_fields")
    assert not c.ok and "número" in c.detail and "CUIT del emisor" in c.detail
    assert result.status == Status.NEEDS_REVIEW


def test_page_selection_is_reported() -> None:
    selection = PageSelection(
        copies=[1, 2],
        extra=[3],
        infos={
            i: PageInfo(i, 5.0, marker, None, frozenset(), frozenset())
            for i, marker in enumerate(["ORIGINAL", "DUPLICADO", "TRIPLICADO", None])
        },
    )
    selection.views = [PageView(0, 595, 842, [])]
    ev = Evidence(header=header(), totals=totals(), items=default_items(), selection=selection, pages_total=4)
    result = reconcile(ev, SETTINGS, TODAY)
    detail = check(result, "page_selection").detail
    assert detail.startswith("Se leyó la página 1;")
    assert "DUPLICADO/TRIPLICADO" in detail and "no forman parte de la factura: páginas 4" in detail
    assert result.status == Status.ACCEPTED


def test_doubtful_ocr_reading_of_a_key_field_needs_review() -> None:
    h = header()
    assert h.issuer_cuit is not None
    h.issuer_cuit.confidence = 0.4  # a smudged OCR line
    result = run(h=h)
    c = check(result, "key_fields")
    assert not c.ok and "CUIT del emisor" in c.detail and "confianza baja" in c.detail
    assert result.status == Status.NEEDS_REVIEW
    confirmed = run(h=header(), qr=qr_payload())  # the QR confirms what OCR read
    assert confirmed.status == Status.ACCEPTED


def test_a_total_nothing_confirms_needs_review() -> None:
    unverified = run(t=Totals(total=cand(TotalRole.TOTAL, "228250.00")), it=ItemsResult())
    c = check(unverified, "total_verified")
    assert not c.ok and "no se leyó el neto" in c.detail
    assert unverified.status == Status.NEEDS_REVIEW
    by_qr = run(t=Totals(total=cand(TotalRole.TOTAL, "228250.00")), it=ItemsResult(), qr=qr_payload())
    # the QR verifies the total; what still holds the invoice back is its detail, of which no item was read
    assert {c.name for c in by_qr.checks if not c.ok} == {"items_present"}
    assert by_qr.status == Status.NEEDS_REVIEW


def test_an_invoice_whose_detail_was_not_read_needs_review() -> None:
    """A scan whose totals, QR and key all agree but whose item table was lost is not a complete invoice."""
    whole = run(qr=qr_payload())
    assert whole.items and whole.status == Status.ACCEPTED
    bare = run(it=ItemsResult(), qr=qr_payload())
    c = check(bare, "items_present")
    assert not c.ok and "ningún ítem" in c.detail
    assert bare.status == Status.NEEDS_REVIEW
