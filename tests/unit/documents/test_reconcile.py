"""Reconciliation: every check passing and failing, every repair, QR/barcode merge, status rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from minimarket.config import Settings
from minimarket.documents.fields import Found, HeaderFields
from minimarket.documents.items import ItemsResult
from minimarket.documents.linetext import PageView
from minimarket.documents.pages import PageInfo, PageSelection
from minimarket.documents.reconcile import Evidence, reconcile
from minimarket.documents.totals import TotalCandidate, TotalRole, Totals
from minimarket.domain.barcode import build_cae_barcode, parse_cae_barcode
from minimarket.domain.invoice import ExtractedInvoice, LineItem, Status, TaxKind
from minimarket.domain.qr import QrPayload

TODAY = dt.date(2023, 3, 1)
SETTINGS = Settings(total_tolerance="0.05")


def cand(
    role: TotalRole, value: str, rate: str | None = None, y: float = 600, kind: TaxKind | None = None
) -> TotalCandidate:
    return TotalCandidate(
        role, Decimal(value), 0, y, 400, 0.95, value, role.value, kind=kind, rate=Decimal(rate) if rate else None
    )


def header(**overrides: Any) -> HeaderFields:
    values: dict[str, Any] = {
        "invoice_type": "A",
        "afip_code": 1,
        "point_of_sale": 3,
        "number": 1360,
        "issue_date": dt.date(2023, 2, 14),
        "issuer_cuit": "20315600449",
        "cae": "73079568739200",
        "cae_due_date": dt.date(2023, 2, 24),
        "receiver_doc_type": 80,
        "receiver_doc_number": "30500017704",
    }
    values.update(overrides)
    h = HeaderFields()
    for name, value in values.items():
        setattr(h, name, None if value is None else Found(value, 0.95, 0, 100.0))
    return h


def items(*rows: tuple[str, str, str]) -> ItemsResult:
    return ItemsResult(
        items=[
            LineItem(description=f"item {n}", quantity=Decimal(q), unit_price=Decimal(p), amount=Decimal(a),
                     vat_rate=Decimal("21"))
            for n, (q, p, a) in enumerate(rows, start=1)
        ],
        confidence=0.95,
    )  # fmt: skip


def default_items() -> ItemsResult:
    return items(("1", "178801.65", "178801.65"), ("1", "9834.71", "9834.71"))


def totals(net: str = "188636.36", vat: str | None = "39613.64", total: str = "228250.00", rate: str = "21") -> Totals:
    return Totals(
        net=cand(TotalRole.NET, net),
        vat=[cand(TotalRole.VAT, vat, rate=rate)] if vat is not None else [],
        total=cand(TotalRole.TOTAL, total, y=650),
        consistent=True,
    )


def run(
    h: HeaderFields | None = None,
    t: Totals | None = None,
    it: ItemsResult | None = None,
    qr: QrPayload | None = None,
    **kw: Any,
) -> ExtractedInvoice:
    ev = Evidence(
        header=h or header(),
        totals=t or totals(),
        items=it if it is not None else default_items(),
        selection=PageSelection(),
        qr=qr,
        pages_total=1,
        **kw,
    )
    return reconcile(ev, SETTINGS, TODAY)


def check(result: ExtractedInvoice, name: str) -> Any:
    found = [c for c in result.checks if c.name == name]
    assert found, f"no {name} check in {[c.name for c in result.checks]}"
    return found[0]


def qr_payload(**overrides: Any) -> QrPayload:
    values: dict[str, Any] = {
        "ver": 1,
        "fecha": dt.date(2023, 2, 14),
        "cuit": "20315600449",
        "pto_vta": 3,
        "tipo_cmp": 1,
        "nro_cmp": 1360,
        "importe": Decimal("228250"),
        "moneda": "PES",
        "ctz": Decimal("1"),
        "tipo_doc_rec": 80,
        "nro_doc_rec": "30500017704",
        "tipo_cod_aut": "E",
        "cod_aut": "73079568739200",
    }
    values.update(overrides)
    return QrPayload(**values)


# --- the happy path ----------------------------------------------------------------


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


# --- QR and barcode ----------------------------------------------------------------


def test_qr_agreeing_with_print_raises_confidence() -> None:
    result = run(qr=qr_payload())
    assert result.status == Status.ACCEPTED
    assert check(result, "qr_matches_printed").ok
    assert result.confidence["number"] == pytest.approx(0.99)


def test_qr_mismatch_is_a_red_flag_naming_field_and_values() -> None:
    result = run(qr=qr_payload(nro_cmp=1361, importe=Decimal("228350")))
    qr_check = check(result, "qr_matches_printed")
    assert not qr_check.ok
    assert "número: impreso 1360, QR 1361" in qr_check.detail
    assert "importe total" in qr_check.detail
    assert result.number == 1360  # the printed value is kept
    assert result.status == Status.NEEDS_REVIEW


def test_ocr_slips_are_settled_by_the_qr_and_said_so() -> None:
    h = header(invoice_type="E", afip_code=19, number=1380, cae="73079568789200")  # B/E, 6/8 confusions
    result = run(h=h, qr=qr_payload(), ocr=True)
    assert (result.invoice_type, result.afip_code, result.number, result.cae) == ("A", 1, 1360, "73079568739200")
    assert result.sources["number"] == "qr"
    assert check(result, "qr_matches_printed").ok
    assert check(result, "repair_number").ok and "el OCR leyó 1380" in check(result, "repair_number").detail
    assert check(result, "repair_invoice_type").ok
    assert result.status == Status.ACCEPTED


def test_a_text_layer_that_disagrees_with_the_qr_stays_a_red_flag() -> None:
    result = run(h=header(number=1380), qr=qr_payload())
    assert result.number == 1380 and not check(result, "qr_matches_printed").ok


def test_ocr_reading_far_from_the_qr_stays_a_red_flag() -> None:
    result = run(h=header(number=9871), qr=qr_payload(), ocr=True)
    assert result.number == 9871 and not check(result, "qr_matches_printed").ok
    assert result.status == Status.NEEDS_REVIEW


def test_qr_and_arithmetic_outvote_an_ocr_reading_of_the_total() -> None:
    """'$ 223.850,00' read for 228.250,00 (two digits off: no single slip explains it): the QR and net + VAT
    both say 228.250,00, so the OCR reading is the one repaired, and the checks say so."""
    result = run(t=totals(total="223850.00"), qr=qr_payload(), ocr=True)
    assert result.total == Decimal("228250.00") and result.sources["total"] == "qr"
    repair = check(result, "repair_total")
    assert repair.ok and "el OCR leyó $ 223.850,00" in repair.detail and "el QR y la suma" in repair.detail
    assert check(result, "qr_matches_printed").ok and check(result, "total_arithmetic").ok
    assert result.status == Status.ACCEPTED


def test_no_outvote_when_the_qr_and_the_arithmetic_disagree() -> None:
    result = run(t=totals(total="223850.00"), qr=qr_payload(importe=Decimal("228300")), ocr=True)
    assert result.total == Decimal("223850.00")
    assert not [c for c in result.checks if c.name.startswith("repair")]
    assert not check(result, "qr_matches_printed").ok and result.status == Status.NEEDS_REVIEW


def test_no_outvote_of_a_text_layer_total_nor_without_a_net() -> None:
    text = run(t=totals(total="223850.00"), qr=qr_payload())  # a text layer does not misread
    assert text.total == Decimal("223850.00") and text.status == Status.NEEDS_REVIEW
    no_net = totals(total="223850.00")
    no_net.net = None
    result = run(t=no_net, it=ItemsResult(), qr=qr_payload(), ocr=True)
    assert result.total == Decimal("223850.00") and result.status == Status.NEEDS_REVIEW


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


def test_qr_fills_what_the_print_lacks() -> None:
    result = run(h=header(issuer_cuit=None, cae=None), qr=qr_payload())
    assert result.issuer_cuit == "20315600449" and result.sources["issuer_cuit"] == "qr"
    assert result.cae == "73079568739200" and result.sources["cae"] == "qr"
    assert result.status == Status.ACCEPTED


def test_truncated_qr_is_noted() -> None:
    result = run(qr=qr_payload(truncated=True, nro_doc_rec=None, tipo_cod_aut=None, cod_aut=None))
    qr_check = check(result, "qr_matches_printed")
    assert qr_check.ok and "cortado" in qr_check.detail


def test_barcode_fills_and_is_compared() -> None:
    digits = build_cae_barcode("20315600449", 1, 3, "73079568739200", dt.date(2023, 2, 24))
    result = run(h=header(cae=None), barcode=parse_cae_barcode(digits))
    assert result.cae == "73079568739200" and result.sources["cae"] == "barcode"
    assert check(result, "barcode_matches_printed").ok
    other = build_cae_barcode("20315600449", 1, 3, "73079568739201", dt.date(2023, 2, 24))
    mismatch = check(run(barcode=parse_cae_barcode(other)), "barcode_matches_printed")
    assert not mismatch.ok and "CAE: impreso 73079568739200, código de barras 73079568739201" in mismatch.detail
    bad_digit = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    assert not check(run(barcode=parse_cae_barcode(bad_digit)), "barcode_matches_printed").ok


# --- CUIT ----------------------------------------------------------------


def test_invalid_issuer_cuit_fails_the_check_digit_check() -> None:
    result = run(h=header(issuer_cuit="20315600448"))
    assert not check(result, "cuit_check_digit").ok
    assert result.status == Status.NEEDS_REVIEW


def test_same_cuit_for_issuer_and_receiver_is_flagged() -> None:
    result = run(h=header(receiver_doc_number="20315600449"))
    assert not check(result, "cuit_check_digit").ok


# --- arithmetic ----------------------------------------------------------------


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


def test_an_item_whose_price_and_amount_both_lost_their_comma_gets_its_cents_back() -> None:
    """3 × "1459674" = "4379022" adds up as read, but the table prints its other figures with cents."""
    it = items(("3", "1459674", "4379022"), ("1", "178801.65", "178801.65"), ("1", "9834.71", "9834.71"))
    it.amounts_text = [
        (0, "unit_price", "1459674"), (0, "amount", "4379022"),
        (1, "unit_price", "178.801,65"), (1, "amount", "178.801,65"),
        (2, "unit_price", "9.834,71"), (2, "amount", "9.834,71"),
    ]  # fmt: skip
    result = run(t=totals(net="232426.58", vat="48809.58", total="281236.16"), it=it)
    first = result.items[0]
    assert (first.unit_price, first.amount) == (Decimal("14596.74"), Decimal("43790.22"))
    assert check(result, "repair_item_1_cents").ok and check(result, "items_sum_net").ok


def test_an_amount_that_lost_its_comma_gets_its_cents_back_before_the_missing_price_is_deduced() -> None:
    """The price did not read and the amount read "85634" in a table of amounts with cents: the price is
    deduced from 856,34, not from 85.634."""
    it = items(("1", "178801.65", "178801.65"), ("1", "9834.71", "9834.71"), ("1", "0", "85634"))
    it.items[2].unit_price = None
    it.amounts_text = [
        (0, "unit_price", "178.801,65"), (0, "amount", "178.801,65"),
        (1, "unit_price", "9.834,71"), (1, "amount", "9.834,71"), (2, "amount", "85634"),
    ]  # fmt: skip
    result = run(t=totals(net="189492.70", vat="39793.47", total="229286.17"), it=it)
    last = result.items[2]
    assert (last.unit_price, last.amount) == (Decimal("856.34"), Decimal("856.34"))
    assert check(result, "repair_item_3_amount").ok and check(result, "items_sum_net").ok


def test_figures_joined_at_a_space_keep_their_cents() -> None:
    """ "1.444 99" (cut at its comma by OCR and joined again) and "12.040,88" both have cents: nothing to restore."""
    it = items(("12", "1444.99", "17339.88"), ("1", "178801.65", "178801.65"))
    it.amounts_text = [
        (0, "unit_price", "1.444 99"), (0, "amount", "17 339 88"),
        (1, "unit_price", "178.801,65"), (1, "amount", "178.801,65"),
    ]  # fmt: skip
    result = run(t=totals(net="196141.53", vat="41189.72", total="237331.25"), it=it)
    assert (result.items[0].unit_price, result.items[0].amount) == (Decimal("1444.99"), Decimal("17339.88"))
    assert not [c for c in result.checks if c.name.startswith("repair_")]


def test_a_price_and_amount_that_lost_their_commas_give_back_the_lost_quantity() -> None:
    """A photo: the quantity lost, the price read "275370" and the amount "1101480": with their cents back
    (2.753,70 and 11.014,80) the quantity is 4 units exactly."""
    it = items(("1", "178801.65", "178801.65"), ("1", "9834.71", "9834.71"), ("4", "275370", "1101480"))
    it.items[2].quantity = None
    it.amounts_text = [
        (0, "unit_price", "178.801,65"), (0, "amount", "178.801,65"),
        (1, "unit_price", "9.834,71"), (1, "amount", "9.834,71"),
        (2, "unit_price", "275370"), (2, "amount", "1101480"),
    ]  # fmt: skip
    result = run(t=totals(net="199651.16", vat="41926.74", total="241577.90"), it=it)
    last = result.items[2]
    assert (last.quantity, last.unit_price, last.amount) == (Decimal("4"), Decimal("2753.70"), Decimal("11014.80"))
    assert check(result, "repair_item_3_unit_price").ok and check(result, "items_arithmetic").ok


def test_item_with_wrong_arithmetic_that_no_single_misreading_explains() -> None:
    result = run(it=items(("3", "100.00", "250.00"), ("1", "188336.36", "188336.36")))
    assert not check(result, "items_arithmetic").ok


def test_price_and_amount_both_misreadable_the_items_sum_decides() -> None:
    # 6 × 514,21 = 3.085,26: the price was read without its comma ("51421"); changing the amount instead
    # ("308.526,00") would also satisfy the row, but then the items would not add up to the net
    it = items(("1", "185551.10", "185551.10"), ("6", "51421", "3085.26"))
    result = run(it=it)
    assert result.items[1].unit_price == Decimal("514.21") and result.items[1].amount == Decimal("3085.26")
    assert check(result, "repair_item_2_unit_price").ok


def test_a_digit_read_as_two_is_repaired_when_the_arithmetic_fixes_it() -> None:
    it = items(("1", "117783.89", "27783.89"), ("1", "160852.47", "160852.47"))  # "2" read as "11"
    result = run(it=it)
    assert result.items[0].unit_price == Decimal("27783.89")
    assert "dígitos mal leídos" in check(result, "repair_item_1_unit_price").detail


def test_a_lost_digit_and_a_misplaced_separator_are_repaired_when_the_arithmetic_fixes_them() -> None:
    """'$9.18234' for 59.182,34: the '5' read as '$' and the separator misplaced; quantity × price fixes it."""
    it = items(("8.361", "7078.38", "9.18234"), ("1", "169067.66", "169067.66"))
    result = run(it=it)
    assert result.items[0].amount == Decimal("59182.34")
    assert "dígitos mal leídos" in check(result, "repair_item_1_amount").detail


def test_an_amount_that_lost_its_comma_and_gained_a_digit_is_repaired_when_the_arithmetic_fixes_it() -> None:
    """'12.037.560' for 12.037,56: the comma read as a point and a 0 added at the end; 3 × 4.012,52 fixes it
    (the price, printed with its cents, is not taken for one that lost its comma)."""
    it = items(("3", "4012.52", "12037560.00"), ("1", "169067.66", "169067.66"))
    it.amounts_text = [
        (0, "unit_price", "4.012,52"), (0, "amount", "12.037.560"),
        (1, "unit_price", "169.067,66"), (1, "amount", "169.067,66"),
    ]  # fmt: skip
    result = run(it=it)
    assert (result.items[0].unit_price, result.items[0].amount) == (Decimal("4012.52"), Decimal("12037.56"))
    assert "se corrigió a 12.037,56" in check(result, "repair_item_1_amount").detail


def test_two_blurred_digits_of_an_amount_are_repaired_when_the_arithmetic_fixes_them() -> None:
    """A photo: '27708,16' for 27.788,15 (an 8 read as 0, a 5 as 6); 5,302 kg × 5.241,07 fixes it."""
    it = items(("5.302", "5241.07", "27708.16"), ("1", "169067.66", "169067.66"))
    result = run(it=it)
    assert result.items[0].amount == Decimal("27788.15")
    assert "dígitos mal leídos" in check(result, "repair_item_1_amount").detail


@pytest.mark.parametrize(
    ("price", "amount"),
    [("10.50", "29.00"), ("1355.08", "2730.26")],  # a short figure; 2710,16 read with a 3 and a 2, not blur's
)
def test_two_digits_off_are_not_a_misreading_unless_blur_explains_them(price: str, amount: str) -> None:
    it = items(("2", price, amount), ("1", "169067.66", "169067.66"))
    result = run(it=it)
    assert result.items[0].amount == Decimal(amount)


def test_a_quantity_with_a_wrong_digit_and_no_separator_is_repaired_from_the_arithmetic() -> None:
    """'1871' for 1,571 kg: quantity × price must be the amount to the cent, and only 1,571 makes it."""
    it = items(("1871", "11922.42", "18730.12"), ("1", "209519.83", "209519.83"))
    result = run(it=it)
    assert result.items[0].quantity == Decimal("1.571")
    assert "dígitos mal leídos" in check(result, "repair_item_1_quantity").detail


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


# --- repairs ----------------------------------------------------------------


def test_repair_item_amount_with_a_misplaced_separator() -> None:
    """``7.29505`` must be ``7.295,05`` because quantity × price = amount."""
    result = run(
        t=totals(net="7295.05", vat="1531.96", total="8827.01"),
        it=items(("1", "7295.05", "7.29505")),
    )
    assert result.items[0].amount == Decimal("7295.05")
    repair = check(result, "repair_item_1_amount")
    assert repair.ok and "separador decimal" in repair.detail
    assert check(result, "items_sum_net").ok


def test_the_figure_printed_without_its_separator_is_the_one_repaired() -> None:
    """12 × 246032 ≠ 29523,84: the price lost its comma or the amount gained digits — both fit the
    arithmetic, and the net is not read; the price is the figure printed without the separator its column's
    other figures have."""
    it = items(("12", "246032", "29523.84"), ("1", "1500.00", "1500.00"), ("2", "10.50", "21.00"))
    it.amounts_text = [
        (0, "quantity", "12"),
        (0, "unit_price", "246032"),
        (0, "amount", "29.523,84"),
        (1, "quantity", "1"),
        (1, "unit_price", "1.500,00"),
        (1, "amount", "1.500,00"),
        (2, "quantity", "2"),
        (2, "unit_price", "10,50"),
        (2, "amount", "21,00"),
    ]
    t = totals()
    t.net = None
    result = run(t=t, it=it)
    assert result.items[0].unit_price == Decimal("2460.32")
    assert result.items[0].amount == Decimal("29523.84")
    assert "separador decimal" in check(result, "repair_item_1_unit_price").detail
    it.amounts_text = []  # without the printed text, nothing tells which figure is wrong
    assert run(t=t, it=it).items[0].unit_price == Decimal("246032")


def test_a_quantity_repaired_from_the_arithmetic_has_its_printed_decimals() -> None:
    """767 kg × 5700,10 ≠ 43719,77: the quantity is 7,67 (43719,77 ÷ 5700,10 is 7,670000526… to the cent)."""
    t = totals(net="43719.77", vat="9181.15", total="52900.92")
    result = run(t=t, it=items(("767", "5700.10", "43719.77")))
    assert result.items[0].quantity == Decimal("7.67")
    assert check(result, "repair_item_1_quantity").ok


def test_a_lost_quantity_is_deduced_when_it_is_a_whole_number_of_units() -> None:
    it = items(("1", "178801.65", "178801.65"), ("1", "9834.71", "9834.71"))
    it.items[0].quantity = None  # a lone "1" next to a table rule, lost by the OCR
    it.items[1].quantity = None
    it.items[1].unit_price = Decimal("3000.00")  # 9834.71 / 3000 is not a whole number
    result = run(it=it)
    assert result.items[0].quantity == Decimal("1") and result.items[1].quantity is None
    assert "se dedujo 1" in check(result, "repair_item_1_quantity").detail
    assert not [c for c in result.checks if c.name == "repair_item_2_quantity"]


def test_a_lost_weighed_quantity_is_deduced_when_the_division_is_exact_to_the_gram() -> None:
    """8,220 kg at $ 20.267,55 = $ 166.599,26: the quantity is deduced to the gram; from a cheap price, where
    any amount divides to some weight, it is not."""
    it = items(("8.22", "20267.55", "166599.26"), ("1", "22202.39", "22202.39"))
    it.items[0].quantity = None
    result = run(t=totals(net="188801.65", vat="39648.35", total="228450.00"), it=it)
    assert result.items[0].quantity == Decimal("8.220")
    assert "se dedujo 8,220" in check(result, "repair_item_1_quantity").detail
    cheap = items(("2.469", "50.00", "123.45"))
    cheap.items[0].quantity = None
    assert run(it=cheap).items[0].quantity is None


def test_an_item_whose_quantity_did_not_read_nor_could_be_deduced_is_not_accepted() -> None:
    """A photo: a quantity lost and the price misread (4.339,73 for 4.839,73), while the amounts add up to
    the net: nothing checks that row, so the invoice goes to review instead of being accepted."""
    it = items(("1", "178801.65", "178801.65"), ("3.096", "4839.73", "9834.71"))
    it.items[1].quantity = None
    it.items[1].unit_price = Decimal("4339.73")
    result = run(it=it)
    c = check(result, "items_arithmetic")
    assert not c.ok and "ítem 2: no se leyó la cantidad" in c.detail
    assert check(result, "items_sum_net").ok
    assert result.status == Status.NEEDS_REVIEW


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


# --- type rules, dates, CAE ----------------------------------------------------------------


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


# --- status ----------------------------------------------------------------


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
    assert by_qr.status == Status.ACCEPTED


def test_the_receiver_s_cuit_taken_for_the_issuer_s_is_settled_by_the_qr() -> None:
    """The issuer's CUIT line is unreadable in a photo and the only CUIT read is the receiver's: the QR's
    issuer CUIT is taken, and said so (a text layer's reading stays a red flag)."""
    h = header(issuer_cuit="30500017704")  # the receiver's document
    result = run(h=h, qr=qr_payload(), ocr=True)
    assert result.issuer_cuit == "20315600449" and result.sources["issuer_cuit"] == "qr"
    assert "otra parte" in check(result, "repair_issuer_cuit").detail
    assert run(h=h, qr=qr_payload()).issuer_cuit == "30500017704"


def test_the_issuer_s_cuit_taken_for_the_receiver_s_is_settled_by_the_qr() -> None:
    h = header(receiver_doc_number="20315600449")  # the issuer's CUIT
    result = run(h=h, qr=qr_payload(), ocr=True)
    assert result.receiver_doc_number == "30500017704"
    assert check(result, "repair_receiver_doc_number").ok


def test_a_lost_unit_price_is_deduced_when_the_division_is_exact_to_the_cent() -> None:
    it = items(("12", "3846.19", "46154.28"), ("3", "1000.00", "3100.00"))
    it.items[0].unit_price = None  # "B846.19": not a figure
    it.items[1].unit_price = None  # 3100 / 3 = 1033.33…: not exact, left alone
    t = totals(net="49254.28", vat="10343.40", total="59597.68")
    result = run(t=t, it=it)
    assert result.items[0].unit_price == Decimal("3846.19") and result.items[1].unit_price is None
    assert "se dedujo $ 3.846,19" in check(result, "repair_item_1_unit_price").detail
