"""AFIP/ARCA reference tables: document types, VAT aliquots, receiver documents, IVA conditions, currencies.

Codes follow ARCA's (ex AFIP) electronic-invoicing tables (WSFE ``FEParamGet*`` and the general
"Tabla de comprobantes"). Names are in Spanish, as printed on invoices.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

__all__ = [
    "CURRENCIES",
    "DOCUMENT_TYPES",
    "DOCUMENT_TYPE_KINDS",
    "IVA_CONDITION_IDS",
    "IVA_CONDITION_LABELS",
    "RECEIVER_DOC_TYPES",
    "VALID_VAT_RATES",
    "VAT_ALIQUOTS",
    "DocumentType",
    "IvaCondition",
    "document_type",
    "find_document_type",
    "parse_iva_condition",
    "vat_aliquot_id",
    "vat_rate",
]


# --------------------------------------------------------------------------------------------------
# Document types (CbteTipo)
# --------------------------------------------------------------------------------------------------

DOCUMENT_TYPE_KINDS = frozenset(
    {
        "factura",
        "nota_debito",
        "nota_credito",
        "recibo",
        "nota_venta",
        "tique",
        "tique_factura",
        "tique_nota_credito",
        "tique_nota_debito",
        "liquidacion",
        "cuenta_venta",
    }
)
"""Every ``DocumentType.kind`` used in :data:`DOCUMENT_TYPES`."""

_FCE_CODES = frozenset({201, 202, 203, 206, 207, 208, 211, 212, 213})


@dataclass(frozen=True)
class DocumentType:
    """One row of ARCA's document-type table (``CbteTipo``).

    ``letter`` is the class printed in the box at the top of the invoice ("A", "B", "C", "M",
    "E" for exports, "T" for tiques without a letter and for the tourism "Factura T").
    """

    code: int
    letter: str
    kind: str
    name: str

    @property
    def is_fce(self) -> bool:
        """Factura de Crédito Electrónica MiPyME (codes 201-213)."""
        return self.code in _FCE_CODES

    @property
    def is_credit_note(self) -> bool:
        """A credit note: its amounts reduce what is owed."""
        return self.kind in {"nota_credito", "tique_nota_credito"}

    @property
    def is_debit_note(self) -> bool:
        return self.kind in {"nota_debito", "tique_nota_debito"}

    @property
    def is_tique(self) -> bool:
        return self.kind.startswith("tique")

    @property
    def discriminates_vat(self) -> bool:
        """Whether VAT is shown separately from the net amount (classes A and M)."""
        return self.letter in {"A", "M"}


def _dt(code: int, letter: str, kind: str, name: str) -> tuple[int, DocumentType]:
    return code, DocumentType(code=code, letter=letter, kind=kind, name=name)


DOCUMENT_TYPES: dict[int, DocumentType] = dict(
    [
        _dt(1, "A", "factura", "Factura A"),
        _dt(2, "A", "nota_debito", "Nota de Débito A"),
        _dt(3, "A", "nota_credito", "Nota de Crédito A"),
        _dt(4, "A", "recibo", "Recibo A"),
        _dt(5, "A", "nota_venta", "Nota de Venta al Contado A"),
        _dt(6, "B", "factura", "Factura B"),
        _dt(7, "B", "nota_debito", "Nota de Débito B"),
        _dt(8, "B", "nota_credito", "Nota de Crédito B"),
        _dt(9, "B", "recibo", "Recibo B"),
        _dt(10, "B", "nota_venta", "Nota de Venta al Contado B"),
        _dt(11, "C", "factura", "Factura C"),
        _dt(12, "C", "nota_debito", "Nota de Débito C"),
        _dt(13, "C", "nota_credito", "Nota de Crédito C"),
        _dt(15, "C", "recibo", "Recibo C"),
        _dt(16, "C", "nota_venta", "Nota de Venta al Contado C"),
        _dt(19, "E", "factura", "Factura E (exportación)"),
        _dt(20, "E", "nota_debito", "Nota de Débito E (operaciones con el exterior)"),
        _dt(21, "E", "nota_credito", "Nota de Crédito E (operaciones con el exterior)"),
        _dt(51, "M", "factura", "Factura M"),
        _dt(52, "M", "nota_debito", "Nota de Débito M"),
        _dt(53, "M", "nota_credito", "Nota de Crédito M"),
        _dt(54, "M", "recibo", "Recibo M"),
        _dt(55, "M", "nota_venta", "Nota de Venta al Contado M"),
        _dt(60, "A", "cuenta_venta", "Cuenta de Venta y Líquido Producto A"),
        _dt(61, "B", "cuenta_venta", "Cuenta de Venta y Líquido Producto B"),
        _dt(63, "A", "liquidacion", "Liquidación A"),
        _dt(64, "B", "liquidacion", "Liquidación B"),
        _dt(81, "A", "tique_factura", "Tique Factura A"),
        _dt(82, "B", "tique_factura", "Tique Factura B"),
        _dt(83, "T", "tique", "Tique"),
        _dt(109, "C", "tique", "Tique C"),
        _dt(110, "T", "tique_nota_credito", "Tique Nota de Crédito"),
        _dt(111, "C", "tique_factura", "Tique Factura C"),
        _dt(112, "A", "tique_nota_credito", "Tique Nota de Crédito A"),
        _dt(113, "B", "tique_nota_credito", "Tique Nota de Crédito B"),
        _dt(114, "C", "tique_nota_credito", "Tique Nota de Crédito C"),
        _dt(115, "A", "tique_nota_debito", "Tique Nota de Débito A"),
        _dt(116, "B", "tique_nota_debito", "Tique Nota de Débito B"),
        _dt(117, "C", "tique_nota_debito", "Tique Nota de Débito C"),
        _dt(118, "M", "tique_factura", "Tique Factura M"),
        _dt(119, "M", "tique_nota_credito", "Tique Nota de Crédito M"),
        _dt(120, "M", "tique_nota_debito", "Tique Nota de Débito M"),
        _dt(195, "T", "factura", "Factura T"),
        _dt(196, "T", "nota_debito", "Nota de Débito T"),
        _dt(197, "T", "nota_credito", "Nota de Crédito T"),
        _dt(201, "A", "factura", "Factura de Crédito Electrónica MiPyME (FCE) A"),
        _dt(202, "A", "nota_debito", "Nota de Débito Electrónica MiPyME (FCE) A"),
        _dt(203, "A", "nota_credito", "Nota de Crédito Electrónica MiPyME (FCE) A"),
        _dt(206, "B", "factura", "Factura de Crédito Electrónica MiPyME (FCE) B"),
        _dt(207, "B", "nota_debito", "Nota de Débito Electrónica MiPyME (FCE) B"),
        _dt(208, "B", "nota_credito", "Nota de Crédito Electrónica MiPyME (FCE) B"),
        _dt(211, "C", "factura", "Factura de Crédito Electrónica MiPyME (FCE) C"),
        _dt(212, "C", "nota_debito", "Nota de Débito Electrónica MiPyME (FCE) C"),
        _dt(213, "C", "nota_credito", "Nota de Crédito Electrónica MiPyME (FCE) C"),
    ]
)
"""ARCA document types by code (``CbteTipo``)."""


def document_type(code: int) -> DocumentType:
    """The document type for an ARCA code; ``ValueError`` if the code is unknown."""
    try:
        return DOCUMENT_TYPES[int(code)]
    except (KeyError, TypeError, ValueError):
        known = ", ".join(str(c) for c in sorted(DOCUMENT_TYPES))
        raise ValueError(f"unknown AFIP document type code {code!r}; known codes: {known}") from None


def find_document_type(letter: str, kind: str = "factura", fce: bool = False) -> DocumentType | None:
    """The document type with this letter and kind (FCE MiPyME variant if ``fce``), or ``None``.

    When several codes share a letter and kind, the lowest code wins (e.g. "C"/"tique" → 109).
    """
    letter = letter.strip().upper()
    kind = kind.strip().lower()
    for code in sorted(DOCUMENT_TYPES):
        doc = DOCUMENT_TYPES[code]
        if doc.letter == letter and doc.kind == kind and doc.is_fce == fce:
            return doc
    return None


# --------------------------------------------------------------------------------------------------
# VAT aliquots (Iva.AlicIva.Id)
# --------------------------------------------------------------------------------------------------

VAT_ALIQUOTS: dict[int, Decimal] = {
    3: Decimal("0"),
    4: Decimal("10.5"),
    5: Decimal("21"),
    6: Decimal("27"),
    8: Decimal("5"),
    9: Decimal("2.5"),
}
"""VAT rate (percent) by ARCA aliquot id."""

VALID_VAT_RATES: frozenset[Decimal] = frozenset(VAT_ALIQUOTS.values())
"""Every legal VAT rate in percent (compare by value: ``Decimal("21.00") in VALID_VAT_RATES``)."""

_ALIQUOT_BY_RATE = {rate: aliquot for aliquot, rate in VAT_ALIQUOTS.items()}


def vat_rate(aliquot_id: int) -> Decimal:
    """VAT rate in percent for an ARCA aliquot id (5 → 21); ``ValueError`` if unknown."""
    try:
        return VAT_ALIQUOTS[int(aliquot_id)]
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"unknown VAT aliquot id {aliquot_id!r}; known ids: {sorted(VAT_ALIQUOTS)}") from None


def vat_aliquot_id(rate: Decimal | int | str) -> int:
    """ARCA aliquot id for a VAT rate in percent (``Decimal("10.50")`` → 4); ``ValueError`` if not legal."""
    try:
        value = Decimal(str(rate).strip().rstrip("%").strip().replace(",", "."))
        return _ALIQUOT_BY_RATE[value]
    except (InvalidOperation, KeyError):
        valid = ", ".join(format(r, "f") for r in sorted(VALID_VAT_RATES))
        raise ValueError(f"not a valid VAT rate: {rate!r}; valid rates (%): {valid}") from None


# --------------------------------------------------------------------------------------------------
# Receiver document types (DocTipo)
# --------------------------------------------------------------------------------------------------

RECEIVER_DOC_TYPES: dict[int, str] = {
    0: "CI Policía Federal",
    1: "CI Buenos Aires",
    2: "CI Catamarca",
    3: "CI Córdoba",
    4: "CI Corrientes",
    5: "CI Entre Ríos",
    6: "CI Jujuy",
    7: "CI Mendoza",
    8: "CI La Rioja",
    9: "CI Salta",
    10: "CI San Juan",
    11: "CI San Luis",
    12: "CI Santa Fe",
    13: "CI Santiago del Estero",
    14: "CI Tucumán",
    16: "CI Chaco",
    17: "CI Chubut",
    18: "CI Formosa",
    19: "CI Misiones",
    20: "CI Neuquén",
    21: "CI La Pampa",
    22: "CI Río Negro",
    23: "CI Santa Cruz",
    24: "CI Tierra del Fuego",
    30: "Certificado de Migración",
    80: "CUIT",
    86: "CUIL",
    87: "CDI",
    88: "Usado por ANSES para padrón",
    89: "LE",
    90: "LC",
    91: "CI extranjera",
    92: "En trámite",
    93: "Acta de nacimiento",
    94: "Pasaporte",
    95: "CI Bs. As. RNP",
    96: "DNI",
    99: "Consumidor final / sin identificar",
}
"""Receiver identity-document types by ARCA code (``DocTipo``)."""


# --------------------------------------------------------------------------------------------------
# IVA conditions
# --------------------------------------------------------------------------------------------------


class IvaCondition(StrEnum):
    """A taxpayer's condition before VAT (condición frente al IVA)."""

    RESPONSABLE_INSCRIPTO = "responsable_inscripto"
    RESPONSABLE_NO_INSCRIPTO = "responsable_no_inscripto"
    NO_RESPONSABLE = "no_responsable"
    EXENTO = "exento"
    CONSUMIDOR_FINAL = "consumidor_final"
    MONOTRIBUTO = "monotributo"
    NO_CATEGORIZADO = "no_categorizado"
    PROVEEDOR_EXTERIOR = "proveedor_exterior"
    CLIENTE_EXTERIOR = "cliente_exterior"
    IVA_LIBERADO = "iva_liberado"
    MONOTRIBUTO_SOCIAL = "monotributo_social"
    NO_ALCANZADO = "no_alcanzado"
    MONOTRIBUTO_PROMOVIDO = "monotributo_promovido"

    @property
    def label(self) -> str:
        """Spanish label as printed on invoices."""
        return IVA_CONDITION_LABELS[self]

    @property
    def is_monotributo(self) -> bool:
        return self in {
            IvaCondition.MONOTRIBUTO,
            IvaCondition.MONOTRIBUTO_SOCIAL,
            IvaCondition.MONOTRIBUTO_PROMOVIDO,
        }


IVA_CONDITION_LABELS: dict[IvaCondition, str] = {
    IvaCondition.RESPONSABLE_INSCRIPTO: "IVA Responsable Inscripto",
    IvaCondition.RESPONSABLE_NO_INSCRIPTO: "IVA Responsable no Inscripto",
    IvaCondition.NO_RESPONSABLE: "IVA no Responsable",
    IvaCondition.EXENTO: "IVA Sujeto Exento",
    IvaCondition.CONSUMIDOR_FINAL: "Consumidor Final",
    IvaCondition.MONOTRIBUTO: "Responsable Monotributo",
    IvaCondition.NO_CATEGORIZADO: "Sujeto no Categorizado",
    IvaCondition.PROVEEDOR_EXTERIOR: "Proveedor del Exterior",
    IvaCondition.CLIENTE_EXTERIOR: "Cliente del Exterior",
    IvaCondition.IVA_LIBERADO: "IVA Liberado - Ley N° 19.640",
    IvaCondition.MONOTRIBUTO_SOCIAL: "Monotributista Social",
    IvaCondition.NO_ALCANZADO: "IVA no Alcanzado",
    IvaCondition.MONOTRIBUTO_PROMOVIDO: "Monotributo Trabajador Independiente Promovido",
}

IVA_CONDITION_IDS: dict[int, IvaCondition] = {
    1: IvaCondition.RESPONSABLE_INSCRIPTO,
    2: IvaCondition.RESPONSABLE_NO_INSCRIPTO,
    3: IvaCondition.NO_RESPONSABLE,
    4: IvaCondition.EXENTO,
    5: IvaCondition.CONSUMIDOR_FINAL,
    6: IvaCondition.MONOTRIBUTO,
    7: IvaCondition.NO_CATEGORIZADO,
    8: IvaCondition.PROVEEDOR_EXTERIOR,
    9: IvaCondition.CLIENTE_EXTERIOR,
    10: IvaCondition.IVA_LIBERADO,
    13: IvaCondition.MONOTRIBUTO_SOCIAL,
    15: IvaCondition.NO_ALCANZADO,
    16: IvaCondition.MONOTRIBUTO_PROMOVIDO,
}
"""ARCA ``CondicionIVAReceptorId`` codes (codes 2 and 3 are historical)."""


def _normalize_words(text: str) -> str:
    """Lowercase, no accents, punctuation as spaces, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", ascii_text).split())


# Ordered: the first pattern that matches wins, so the specific ones come before the general ones.
_IVA_PATTERNS: tuple[tuple[re.Pattern[str], IvaCondition], ...] = tuple(
    (re.compile(pattern), condition)
    for pattern, condition in (
        (r"\bmonotribut\w*\s+social\b", IvaCondition.MONOTRIBUTO_SOCIAL),
        (r"\bmonotribut\w*\s+(?:trabajador|promovido)", IvaCondition.MONOTRIBUTO_PROMOVIDO),
        (r"\bmonotribut|\bmono\s*trib|\bpeq\w*\s+contrib|\brs\s*mt\b|^mt$", IvaCondition.MONOTRIBUTO),
        (r"\bno\s+inscr|^rni$|^r\s*n\s*i$", IvaCondition.RESPONSABLE_NO_INSCRIPTO),
        (
            r"\bresp\w*\s+inscr|\binscr\w*\s+resp|^ri$|^r\s+i$|^iva\s+ri$|^iva\s+inscr",
            IvaCondition.RESPONSABLE_INSCRIPTO,
        ),
        (r"\bno\s+categoriz", IvaCondition.NO_CATEGORIZADO),
        (r"\bno\s+alcanzad", IvaCondition.NO_ALCANZADO),
        (r"\bno\s+resp", IvaCondition.NO_RESPONSABLE),
        (r"\bliberad", IvaCondition.IVA_LIBERADO),
        (r"\bexent", IvaCondition.EXENTO),
        (r"\bcons\w*\s+final|^c\s*f$|^cf$", IvaCondition.CONSUMIDOR_FINAL),
        (r"\bproveedor\w*\s+(?:del\s+)?exterior", IvaCondition.PROVEEDOR_EXTERIOR),
        (r"\bcliente\w*\s+(?:del\s+)?exterior", IvaCondition.CLIENTE_EXTERIOR),
    )
)


def parse_iva_condition(text: str | None) -> IvaCondition | None:
    """Recognise an IVA condition in its printed Spanish variants, or ``None``.

    Accepts e.g. "IVA Responsable Inscripto", "Resp. Inscripto", "RI", "Responsable Monotributo",
    "Monotributista", "IVA Sujeto Exento", "Exento", "Consumidor Final", "CF", the enum values
    themselves ("responsable_inscripto") and ARCA's numeric ids ("1", "6").
    """
    if text is None:
        return None
    raw = str(text).strip()
    if not raw:
        return None
    if raw.isdigit():
        return IVA_CONDITION_IDS.get(int(raw))
    try:
        return IvaCondition(raw.lower())
    except ValueError:
        pass
    words = _normalize_words(raw)
    for pattern, condition in _IVA_PATTERNS:
        if pattern.search(words):
            return condition
    return None


# --------------------------------------------------------------------------------------------------
# Currencies (MonId)
# --------------------------------------------------------------------------------------------------

CURRENCIES: dict[str, str] = {
    "PES": "Pesos argentinos",
    "DOL": "Dólar estadounidense",
    "002": "Dólar EEUU libre",
    "009": "Franco suizo",
    "010": "Peso mexicano",
    "011": "Peso uruguayo",
    "012": "Real",
    "014": "Corona danesa",
    "015": "Corona noruega",
    "016": "Corona sueca",
    "018": "Dólar canadiense",
    "019": "Yen",
    "021": "Libra esterlina",
    "023": "Bolívar venezolano",
    "024": "Corona checa",
    "026": "Dólar australiano",
    "029": "Guaraní",
    "030": "Shekel (Israel)",
    "031": "Peso boliviano",
    "032": "Peso colombiano",
    "033": "Peso chileno",
    "034": "Rand sudafricano",
    "035": "Nuevo sol peruano",
    "051": "Dólar de Hong Kong",
    "052": "Dólar de Singapur",
    "055": "Quetzal guatemalteco",
    "056": "Forint (Hungría)",
    "057": "Baht (Tailandia)",
    "059": "Dinar kuwaití",
    "060": "Euro",
    "061": "Zloty polaco",
    "062": "Rupia india",
    "063": "Lempira hondureña",
    "064": "Yuan (China)",
}
"""ARCA currency codes (``MonId``) and their Spanish names."""
