"""Libro IVA Digital, purchases: the record design, and the cases an accountant cares about."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from minimarket.accounting.libro_iva import (
    ALICUOTAS_FILE,
    ALICUOTAS_RECORD,
    CBTE_FILE,
    CBTE_RECORD,
    LibroIvaError,
    format_record,
    parse_record,
    purchases_book,
    read_book,
    write_book,
)
from minimarket.accounting.periods import PeriodError, parse_period
from minimarket.domain.invoice import ExtractedInvoice, OtherTax, Status, TaxKind, VatLine

PERIOD = parse_period("2026-09")


def _invoice(**fields: object) -> ExtractedInvoice:
    base: dict[str, object] = {
        "invoice_type": "A",
        "afip_code": 1,
        "point_of_sale": 4,
        "number": 206682,
        "issue_date": dt.date(2026, 9, 14),
        "issuer_cuit": "30675763824",
        "issuer_name": "Distribuidora Del Parque S.A. — Sucursal Ñuñoa",
        "net_amount": Decimal("1000.00"),
        "vat": [VatLine(rate=Decimal("21"), base=Decimal("1000.00"), amount=Decimal("210.00"))],
        "total": Decimal("1210.00"),
        "status": Status.ACCEPTED,
    }
    base.update(fields)
    return ExtractedInvoice.model_validate(base)


def test_the_designs_have_arca_widths() -> None:
    assert sum(f.width for f in CBTE_RECORD) == 325 and len(CBTE_RECORD) == 25
    assert sum(f.width for f in ALICUOTAS_RECORD) == 84 and len(ALICUOTAS_RECORD) == 8


def test_a_factura_a_with_two_rates_perceptions_and_internal_taxes() -> None:
    invoice = _invoice(
        net_amount=Decimal("1500.00"),
        vat=[
            VatLine(rate=Decimal("21"), base=Decimal("1000.00"), amount=Decimal("210.00")),
            VatLine(rate=Decimal("10.5"), base=Decimal("500.00"), amount=Decimal("52.50")),
        ],
        other_taxes=[
            OtherTax(kind=TaxKind.PERCEPCION_IVA, amount=Decimal("45.00")),
            OtherTax(kind=TaxKind.PERCEPCION_IIBB, amount=Decimal("30.00")),
            OtherTax(kind=TaxKind.IMPUESTOS_INTERNOS, amount=Decimal("80.00")),
            OtherTax(kind=TaxKind.OTHER, amount=Decimal("5.00"), description="Tasa municipal"),
        ],
        total=Decimal("1922.50"),
    )
    book = purchases_book([(1, invoice)], PERIOD)
    (line,) = book.cbte
    assert len(line) == 325 and line.startswith("20260914001000040000000000000020668")
    record = parse_record(CBTE_RECORD, line)
    assert record["seller_doc"] == 30675763824 and record["seller_name"] == "Distribuidora Del Parque S.A."
    assert (record["vat_perceptions"], record["iibb_perceptions"], record["internal_taxes"]) == (
        Decimal("45.00"),
        Decimal("30.00"),
        Decimal("80.00"),
    )
    assert record["municipal_perceptions"] == Decimal("5.00") and record["other_taxes"] == 0
    assert (record["vat_count"], record["operation_code"], record["fiscal_credit"]) == (2, "0", Decimal("262.50"))
    aliquots = [parse_record(ALICUOTAS_RECORD, a) for a in book.alicuotas]
    assert [(a["vat_aliquot"], a["net_taxed"], a["vat_amount"]) for a in aliquots] == [
        (4, Decimal("500.00"), Decimal("52.50")),
        (5, Decimal("1000.00"), Decimal("210.00")),
    ]


def test_b_and_c_have_no_aliquots_and_no_fiscal_credit() -> None:
    b = _invoice(invoice_type="B", afip_code=6, vat=[], net_amount=Decimal("1210.00"))
    c = _invoice(invoice_type="C", afip_code=11, vat=[], net_amount=Decimal("1210.00"), number=7)
    book = purchases_book([(1, b), (2, c)], PERIOD)
    assert book.alicuotas == []
    for line in book.cbte:
        record = parse_record(CBTE_RECORD, line)
        assert (record["vat_count"], record["fiscal_credit"], record["total"]) == (0, 0, Decimal("1210.00"))


def test_a_credit_note_is_positive_and_told_by_its_type() -> None:
    (line,) = purchases_book([(1, _invoice(invoice_type="A", afip_code=3))], PERIOD).cbte
    record = parse_record(CBTE_RECORD, line)
    assert record["afip_code"] == 3 and record["total"] == Decimal("1210.00")


def test_an_exempt_only_factura_a_gets_one_zero_rate_record_and_code_e() -> None:
    invoice = _invoice(vat=[], net_amount=Decimal("0"), exempt_amount=Decimal("2850.00"), total=Decimal("2850.00"))
    book = purchases_book([(1, invoice)], PERIOD)
    record = parse_record(CBTE_RECORD, book.cbte[0])
    assert (record["operation_code"], record["vat_count"], record["exempt"]) == ("E", 1, Decimal("2850.00"))
    assert parse_record(ALICUOTAS_RECORD, book.alicuotas[0])["vat_aliquot"] == 3


def test_dollars_are_written_in_pesos_with_the_rate() -> None:
    invoice = _invoice(currency="DOL", exchange_rate=Decimal("1450.5"))
    record = parse_record(CBTE_RECORD, purchases_book([(1, invoice)], PERIOD).cbte[0])
    assert record["currency"] == "DOL" and record["exchange_rate"] == Decimal("1450.5")
    assert record["total"] == Decimal("1755105.00") and record["fiscal_credit"] == Decimal("304605.00")


def test_invoices_in_review_are_listed_not_written_and_other_months_ignored() -> None:
    pending = _invoice(status=Status.NEEDS_REVIEW, number=1)
    october = _invoice(issue_date=dt.date(2026, 10, 1), number=2)
    rejected = _invoice(status=Status.REJECTED, number=3)
    incomplete = _invoice(issuer_cuit=None, number=4)
    book = purchases_book([(1, pending), (2, october), (3, rejected), (4, incomplete)], PERIOD)
    assert book.cbte == [] and [e.invoice_id for e in book.pending] == [1]
    assert [(e.invoice_id, e.reason) for e in book.skipped] == [(4, "le falta CUIT del emisor")]
    assert "confírmela" in str(book.pending[0].reason)


def test_files_are_latin1_crlf_and_read_back(tmp_path: Path) -> None:
    book = purchases_book([(1, _invoice()), (2, _invoice(number=9, issuer_name="Panadería Ñandú"))], PERIOD)
    paths = write_book(book, tmp_path / "libro")
    assert sorted(p.name for p in paths) == sorted([CBTE_FILE, ALICUOTAS_FILE])
    raw = (tmp_path / "libro" / CBTE_FILE).read_bytes()
    assert raw.count(b"\r\n") == 2 and "Ñandú".encode("iso-8859-1") in raw
    cbte, alicuotas = read_book(tmp_path / "libro")
    assert [r["number"] for r in cbte] == [9, 206682] and len(alicuotas) == 2
    assert not list((tmp_path / "libro").glob(".*"))


def test_values_that_do_not_fit_are_refused() -> None:
    with pytest.raises(LibroIvaError, match="no cabe"):
        format_record(ALICUOTAS_RECORD[:1], {"afip_code": 1000})
    with pytest.raises(LibroIvaError, match="caracteres"):
        parse_record(CBTE_RECORD, "2026")
    assert format_record(CBTE_RECORD[8:9], {"total": Decimal("-12.34")}) == "-00000000001234"


@pytest.mark.parametrize("text", ["2026-13", "sept", "26-09", ""])
def test_bad_periods_say_what_is_accepted(text: str) -> None:
    with pytest.raises(PeriodError, match="AAAA-MM"):
        parse_period(text)
