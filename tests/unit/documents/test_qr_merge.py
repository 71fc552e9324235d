"""The QR and the CAE barcode merged with the print: gaps filled, mismatches flagged, OCR slips and an
outvoted total repaired."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from minimarket.documents.fields import Found
from minimarket.documents.items import ItemsResult
from minimarket.domain.barcode import build_cae_barcode, parse_cae_barcode
from minimarket.domain.invoice import Status
from tests.unit.documents.reconcile_cases import (
    check,
    header,
    qr_payload,
    run,
    totals,
)


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


def test_a_doubtful_ocr_reading_is_outvoted_by_a_qr_the_print_corroborates() -> None:
    """A smudged date read "02/04/2023" with little confidence: the QR, which agrees with the print on the
    CUIT, point of sale, number..., says 14/02/2023."""
    h = header()
    h.issue_date = Found(dt.date(2023, 4, 2), 0.55, 0, 100.0)
    result = run(h=h, qr=qr_payload(), ocr=True)
    assert result.issue_date == dt.date(2023, 2, 14) and result.sources["issue_date"] == "qr"
    repair = check(result, "repair_issue_date")
    assert repair.ok and "con poca confianza" in repair.detail and "punto de venta" in repair.detail
    assert check(result, "qr_matches_printed").ok


def test_a_confident_or_uncorroborated_reading_is_not_outvoted() -> None:
    confident = header(issue_date=dt.date(2023, 4, 2))  # read with confidence 0.95
    result = run(h=confident, qr=qr_payload(), ocr=True)
    assert result.issue_date == dt.date(2023, 4, 2) and not check(result, "qr_matches_printed").ok
    doubtful = header()
    doubtful.issue_date = Found(dt.date(2023, 4, 2), 0.55, 0, 100.0)
    # a QR that agrees with the print on one other field only (the type) may be another invoice's
    stranger = qr_payload(cuit="30500017704", pto_vta=9, nro_cmp=77, importe=Decimal("1000"), cod_aut="71234567890123")
    result = run(h=doubtful, qr=stranger, ocr=True)
    assert result.issue_date == dt.date(2023, 4, 2) and result.status == Status.NEEDS_REVIEW


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
