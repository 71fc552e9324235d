"""Reading ARCA's "Mis Comprobantes Recibidos": every generation, CSV and XLSX, both number formats, bad files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from minimarket.accounting.arca_export import ArcaExportError, read_export, read_export_bytes
from minimarket.domain.invoice import ExtractedInvoice
from minimarket.synth.arca import export_bytes, row_from_invoice

FIELDS = ("issue_date", "afip_code", "point_of_sale", "number", "cae", "issuer_cuit", "issuer_name", "total")


@pytest.mark.parametrize(
    ("generation", "file_type", "number_format", "grouping"),
    [
        ("G1", "csv", None, False),
        ("G1", "csv", "ar", True),
        ("G2", "csv", None, False),
        ("G2", "csv", "us", True),
        ("G3", "csv", None, False),
        ("G3", "csv", "ar", True),
        ("G1", "xlsx", None, False),
        ("G3", "xlsx", None, False),
    ],
)
def test_every_generation_reads_back_what_arca_lists(
    invoices: list[ExtractedInvoice], generation: str, file_type: str, number_format: str | None, grouping: bool
) -> None:
    rows = [row_from_invoice(invoice) for invoice in invoices]
    data = export_bytes(
        rows,
        generation=generation,
        file_type=file_type,
        number_format=number_format,
        grouping=grouping,  # type: ignore[arg-type]
    )
    export = read_export_bytes(data, f"mis_comprobantes.{file_type}")
    assert export.generation == generation and export.file_type == file_type
    assert len(export.rows) == len(rows)
    for wrote, read in zip(rows, export.rows, strict=True):
        assert [getattr(read, name) for name in FIELDS] == [getattr(wrote, name) for name in FIELDS]
        if wrote.discriminates_vat and generation != "G1":
            assert read.other_taxes == wrote.other_taxes
        if wrote.discriminates_vat:
            assert read.net_taxed == wrote.net_taxed and read.vat_total == wrote.vat_total
        if generation == "G3" and wrote.discriminates_vat:
            assert read.vat_by_rate == wrote.vat_by_rate


def test_g1_as_arca_wrote_it_until_2023() -> None:
    text = (
        '"Fecha","Tipo","Punto de Venta","Número Desde","Número Hasta","Cód. Autorización","Tipo Doc. Emisor",'
        '"Nro. Doc. Emisor","Denominación Emisor","Tipo Cambio","Moneda","Imp. Neto Gravado","Imp. Neto No Gravado",'
        '"Imp. Op. Exentas","IVA","Imp. Total"\r\n'
        '"15/03/2022","1 - Factura A","00002","00000123","00000123","72111111111111","CUIT","30-61234567-4",'
        '"PROVEEDOR, UNO SA","1","$","1,100.00","","","231.00","1,331.00"\r\n'
    )
    export = read_export_bytes(text.encode("cp1252"), "viejo.csv")
    (row,) = export.rows
    assert (export.generation, export.number_format) == ("G1", "us")
    assert row.key == ("30612345674", 1, 2, 123)
    assert row.issue_date == dt.date(2022, 3, 15)
    assert (row.net_taxed, row.vat_total, row.total) == (Decimal("1100.00"), Decimal("231.00"), Decimal("1331.00"))
    assert row.issuer_name == "PROVEEDOR, UNO SA" and row.currency == "PES"


def test_g3_variant_with_del_emisor_and_a_cae_mangled_by_a_spreadsheet() -> None:
    header = (
        "Fecha de Emisión;Tipo de Comprobante;Punto de Venta;Número Desde;Número Hasta;Cód. Autorización;"
        "Tipo Doc. del Emisor;Nro. Doc. del Emisor;Denominación del Emisor;Tipo Cambio;Moneda;"
        "Imp. Neto Gravado IVA 21%;IVA 21%;Imp. Neto Gravado Total;Otros Tributos;Total IVA;Imp. Total"
    )
    line = (
        "01/09/2026;1;4;206682;206682;7,50154E+13;80;30675763824;DEL PARQUE SA;1,00;$;"
        "1.000,00;210,00;1.000,00;30,00;210,00;1.240,00"
    )
    export = read_export_bytes(f"{header}\n{line}\n".encode(), "g3.csv")
    (row,) = export.rows
    assert row.cae is None and "notación científica" in row.notes[0]
    assert row.vat_by_rate == {Decimal("21"): (Decimal("1000.00"), Decimal("210.00"))}
    assert row.total == Decimal("1240.00") and row.other_taxes == Decimal("30.00")
    assert export.notes


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"sku,name,cost\nYER-1,Yerba,10\n", "no es una exportación de Mis Comprobantes"),
        (b"Fecha de Emision;Tipo de Comprobante;Punto de Venta\n2026-09-01;1;3\n", "faltan las columnas"),
        (
            "Fecha de Emisión;Tipo de Comprobante;Punto de Venta;Número Desde;Nro. Doc. Receptor;"
            "Denominación Receptor;Imp. Total\n2026-09-01;6;1;10;20111111112;JUAN;100,00\n".encode(),
            "Mis Comprobantes Emitidos",
        ),
        (b"%PDF-1.7\n...", "es un PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "XLS antigua"),
        (b"   \n", "vacío"),
        (b"PK\x03\x04not really a zip", "no se puede abrir"),
    ],
)
def test_files_that_are_not_an_export_say_what_is_accepted(data: bytes, message: str) -> None:
    with pytest.raises(ArcaExportError, match=message):
        read_export_bytes(data, "archivo")


def test_bad_cells_are_all_listed_with_row_and_column_and_nothing_is_read(invoices: list[ExtractedInvoice]) -> None:
    good = export_bytes([row_from_invoice(i) for i in invoices[:3]], generation="G2").decode()
    lines = good.splitlines()
    lines[1] = lines[1].replace(lines[1].split(";")[7], "30-11111111-1", 1)  # a CUIT with a wrong check digit
    lines[2] = lines[2].replace(lines[2].split(";")[0], "31/02/2026", 1)
    with pytest.raises(ArcaExportError) as caught:
        read_export_bytes("\n".join(lines).encode(), "malo.csv")
    text = str(caught.value)
    assert "2 problemas" in text and "no se concilió nada" in text
    assert "fila 2, columna «Nro. Doc. Emisor»" in text and "fila 3, columna «Fecha de Emisión»" in text


def test_a_missing_file_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ArcaExportError, match="no existe"):
        read_export(tmp_path / "no.csv")
