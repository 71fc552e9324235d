"""ARCA tables: document types, VAT aliquots, receiver documents, IVA conditions, currencies."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minimarket.domain.afip import (
    CURRENCIES,
    DOCUMENT_TYPE_KINDS,
    DOCUMENT_TYPES,
    IVA_CONDITION_IDS,
    IVA_CONDITION_LABELS,
    RECEIVER_DOC_TYPES,
    VALID_VAT_RATES,
    VAT_ALIQUOTS,
    DocumentType,
    IvaCondition,
    document_type,
    find_document_type,
    parse_iva_condition,
    vat_aliquot_id,
    vat_rate,
)


@pytest.mark.parametrize(
    ("code", "letter", "kind"),
    [
        (1, "A", "factura"),
        (2, "A", "nota_debito"),
        (3, "A", "nota_credito"),
        (4, "A", "recibo"),
        (5, "A", "nota_venta"),
        (6, "B", "factura"),
        (7, "B", "nota_debito"),
        (8, "B", "nota_credito"),
        (9, "B", "recibo"),
        (10, "B", "nota_venta"),
        (11, "C", "factura"),
        (12, "C", "nota_debito"),
        (13, "C", "nota_credito"),
        (15, "C", "recibo"),
        (19, "E", "factura"),
        (20, "E", "nota_debito"),
        (21, "E", "nota_credito"),
        (51, "M", "factura"),
        (52, "M", "nota_debito"),
        (53, "M", "nota_credito"),
        (54, "M", "recibo"),
        (81, "A", "tique_factura"),
        (82, "B", "tique_factura"),
        (83, "T", "tique"),
        (109, "C", "tique"),
        (110, "T", "tique_nota_credito"),
        (111, "C", "tique_factura"),
        (112, "A", "tique_nota_credito"),
        (113, "B", "tique_nota_credito"),
        (114, "C", "tique_nota_credito"),
        (115, "A", "tique_nota_debito"),
        (116, "B", "tique_nota_debito"),
        (117, "C", "tique_nota_debito"),
        (118, "M", "tique_factura"),
        (119, "M", "tique_nota_credito"),
        (120, "M", "tique_nota_debito"),
        (201, "A", "factura"),
        (202, "A", "nota_debito"),
        (203, "A", "nota_credito"),
        (206, "B", "factura"),
        (207, "B", "nota_debito"),
        (208, "B", "nota_credito"),
        (211, "C", "factura"),
        (212, "C", "nota_debito"),
        (213, "C", "nota_credito"),
    ],
)
def test_document_type_table(code: int, letter: str, kind: str) -> None:
    doc = document_type(code)
    assert (doc.code, doc.letter, doc.kind) == (code, letter, kind)
    assert doc.is_fce == (201 <= code <= 213)
    assert doc.name


def test_document_table_is_consistent() -> None:
    for code, doc in DOCUMENT_TYPES.items():
        assert doc.code == code
        assert doc.kind in DOCUMENT_TYPE_KINDS
        assert doc.letter in {"A", "B", "C", "M", "E", "T"}
    assert DOCUMENT_TYPES[201].name == "Factura de Crédito Electrónica MiPyME (FCE) A"


def test_document_type_accepts_numeric_strings_and_rejects_unknown() -> None:
    assert document_type("11") == DOCUMENT_TYPES[11]  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown AFIP document type code 14"):
        document_type(14)
    with pytest.raises(ValueError, match="known codes: 1, 2, 3"):
        document_type("x")  # type: ignore[arg-type]


def test_document_type_properties() -> None:
    assert document_type(3).is_credit_note and not document_type(3).is_debit_note
    assert document_type(114).is_credit_note and document_type(114).is_tique
    assert document_type(7).is_debit_note
    assert document_type(1).discriminates_vat and document_type(51).discriminates_vat
    assert not document_type(6).discriminates_vat and not document_type(11).discriminates_vat
    assert not document_type(1).is_tique
    doc = DocumentType(code=1, letter="A", kind="factura", name="Factura A")
    assert doc == DOCUMENT_TYPES[1]
    with pytest.raises(AttributeError):
        doc.code = 2  # type: ignore[misc]


@pytest.mark.parametrize(
    ("letter", "kind", "fce", "code"),
    [
        ("A", "factura", False, 1),
        ("a", "factura", False, 1),
        ("B", "factura", False, 6),
        ("C", "factura", False, 11),
        ("M", "factura", False, 51),
        ("E", "factura", False, 19),
        ("A", "nota_credito", False, 3),
        ("B", "nota_debito", False, 7),
        ("C", "recibo", False, 15),
        ("A", "factura", True, 201),
        ("B", "factura", True, 206),
        ("C", "nota_credito", True, 213),
        ("A", "tique_factura", False, 81),
        ("T", "tique", False, 83),
        ("C", "tique", False, 109),
        ("T", "factura", False, 195),
    ],
)
def test_find_document_type(letter: str, kind: str, fce: bool, code: int) -> None:
    found = find_document_type(letter, kind, fce=fce)
    assert found is not None and found.code == code


def test_find_document_type_returns_none_when_absent() -> None:
    assert find_document_type("Z") is None
    assert find_document_type("M", "factura", fce=True) is None
    assert find_document_type("A", "no_such_kind") is None


def test_vat_aliquots() -> None:
    assert {
        3: Decimal("0"),
        4: Decimal("10.5"),
        5: Decimal("21"),
        6: Decimal("27"),
        8: Decimal("5"),
        9: Decimal("2.5"),
    } == VAT_ALIQUOTS
    assert vat_rate(5) == Decimal("21")
    assert vat_rate(4) == Decimal("10.5")
    assert Decimal("21.00") in VALID_VAT_RATES
    assert Decimal("19") not in VALID_VAT_RATES
    with pytest.raises(ValueError, match="unknown VAT aliquot id 7"):
        vat_rate(7)


@pytest.mark.parametrize(
    ("rate", "aliquot"),
    [
        (Decimal("21"), 5),
        (Decimal("21.00"), 5),
        (Decimal("10.5"), 4),
        ("10,50", 4),
        ("27%", 6),
        (0, 3),
        (Decimal("2.5"), 9),
        (5, 8),
    ],
)
def test_vat_aliquot_id(rate: Decimal | int | str, aliquot: int) -> None:
    assert vat_aliquot_id(rate) == aliquot


@pytest.mark.parametrize("rate", [Decimal("19"), "abc", "", Decimal("0.21")])
def test_vat_aliquot_id_rejects_illegal_rates(rate: Decimal | str) -> None:
    with pytest.raises(ValueError, match="valid rates"):
        vat_aliquot_id(rate)


def test_receiver_doc_types() -> None:
    assert RECEIVER_DOC_TYPES[80] == "CUIT"
    assert RECEIVER_DOC_TYPES[86] == "CUIL"
    assert RECEIVER_DOC_TYPES[96] == "DNI"
    assert RECEIVER_DOC_TYPES[94] == "Pasaporte"
    assert "Consumidor final" in RECEIVER_DOC_TYPES[99]
    assert {87, 89, 90, 91}.issubset(RECEIVER_DOC_TYPES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IVA Responsable Inscripto", IvaCondition.RESPONSABLE_INSCRIPTO),
        ("IVA RESPONSABLE INSCRIPTO", IvaCondition.RESPONSABLE_INSCRIPTO),
        ("Resp. Inscripto", IvaCondition.RESPONSABLE_INSCRIPTO),
        ("Responsable Inscripto", IvaCondition.RESPONSABLE_INSCRIPTO),
        ("Resp.Inscr.", IvaCondition.RESPONSABLE_INSCRIPTO),
        ("R.I.", IvaCondition.RESPONSABLE_INSCRIPTO),
        ("RI", IvaCondition.RESPONSABLE_INSCRIPTO),
        ("Condición frente al IVA: IVA Responsable Inscripto", IvaCondition.RESPONSABLE_INSCRIPTO),
        ("responsable_inscripto", IvaCondition.RESPONSABLE_INSCRIPTO),
        ("1", IvaCondition.RESPONSABLE_INSCRIPTO),
        ("Responsable Monotributo", IvaCondition.MONOTRIBUTO),
        ("Monotributista", IvaCondition.MONOTRIBUTO),
        ("MONOTRIBUTO", IvaCondition.MONOTRIBUTO),
        ("Resp. Monotributo", IvaCondition.MONOTRIBUTO),
        ("Pequeño Contribuyente", IvaCondition.MONOTRIBUTO),
        ("6", IvaCondition.MONOTRIBUTO),
        ("Monotributista Social", IvaCondition.MONOTRIBUTO_SOCIAL),
        ("Monotributo Trabajador Independiente Promovido", IvaCondition.MONOTRIBUTO_PROMOVIDO),
        ("IVA Sujeto Exento", IvaCondition.EXENTO),
        ("Exento", IvaCondition.EXENTO),
        ("I.V.A. EXENTO", IvaCondition.EXENTO),
        ("Consumidor Final", IvaCondition.CONSUMIDOR_FINAL),
        ("CONSUMIDOR FINAL", IvaCondition.CONSUMIDOR_FINAL),
        ("Cons. Final", IvaCondition.CONSUMIDOR_FINAL),
        ("CF", IvaCondition.CONSUMIDOR_FINAL),
        ("IVA no Responsable", IvaCondition.NO_RESPONSABLE),
        ("No Responsable", IvaCondition.NO_RESPONSABLE),
        ("Responsable no Inscripto", IvaCondition.RESPONSABLE_NO_INSCRIPTO),
        ("Sujeto no Categorizado", IvaCondition.NO_CATEGORIZADO),
        ("IVA no Alcanzado", IvaCondition.NO_ALCANZADO),
        ("IVA Liberado - Ley N° 19.640", IvaCondition.IVA_LIBERADO),
        ("Proveedor del Exterior", IvaCondition.PROVEEDOR_EXTERIOR),
        ("Cliente del Exterior", IvaCondition.CLIENTE_EXTERIOR),
    ],
)
def test_parse_iva_condition(text: str, expected: IvaCondition) -> None:
    assert parse_iva_condition(text) is expected


@pytest.mark.parametrize("text", [None, "", "   ", "Factura A", "Condición de venta: contado", "99"])
def test_parse_iva_condition_unknown(text: str | None) -> None:
    assert parse_iva_condition(text) is None


def test_iva_condition_labels_round_trip() -> None:
    for condition in IvaCondition:
        assert parse_iva_condition(IVA_CONDITION_LABELS[condition]) is condition
        assert condition.label == IVA_CONDITION_LABELS[condition]
    for code, condition in IVA_CONDITION_IDS.items():
        assert parse_iva_condition(str(code)) is condition
    assert IvaCondition.MONOTRIBUTO_SOCIAL.is_monotributo
    assert not IvaCondition.RESPONSABLE_INSCRIPTO.is_monotributo


def test_currencies() -> None:
    assert CURRENCIES["PES"].startswith("Pesos")
    assert CURRENCIES["DOL"].startswith("Dólar")
    assert CURRENCIES["060"] == "Euro"
    assert CURRENCIES["012"] == "Real"
    assert all(len(code) == 3 for code in CURRENCIES)
