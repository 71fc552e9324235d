"""The AFIP QR and the CAE barcode merged with the printed fields: they fill what the print lacks and are
compared with it; an OCR slip of the QR's value is repaired from the QR, and so is a doubtful OCR reading
of a field when the print agrees with the QR elsewhere, and an OCR reading of the printed total that the QR
and the invoice's own arithmetic both outvote."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from minimarket.documents.evidence import FIELD_NAMES_ES, MIN_KEY_CONFIDENCE, Builder, same, sentence, show
from minimarket.documents.misreads import code_misreading, misread_digits, plausible_misreading
from minimarket.domain.afip import DOCUMENT_TYPES
from minimarket.domain.invoice import Source
from minimarket.domain.money import to_cents

QR_FIELDS = (
    ("issuer_cuit", "cuit"),
    ("point_of_sale", "pto_vta"),
    ("afip_code", "tipo_cmp"),
    ("number", "nro_cmp"),
    ("issue_date", "fecha"),
    ("total", "importe"),
    ("cae", "cod_aut"),
    ("currency", "moneda"),
    ("exchange_rate", "ctz"),
    ("receiver_doc_type", "tipo_doc_rec"),
    ("receiver_doc_number", "nro_doc_rec"),
)
"""(invoice field, QR attribute)."""
QR_COMPARED = ("issuer_cuit", "point_of_sale", "afip_code", "number", "issue_date", "total", "cae")
BARCODE_FIELDS = (
    ("issuer_cuit", "cuit"),
    ("afip_code", "afip_code"),
    ("point_of_sale", "point_of_sale"),
    ("cae", "cae"),
    ("cae_due_date", "cae_due_date"),
)
"""(invoice field, CAE barcode attribute)."""


def merge_codes(b: Builder) -> None:
    """QR and barcode: fill gaps, compare with the print."""
    qr = b.ev.qr
    if qr is not None:
        qr_conf = 0.9 if qr.is_complete else 0.8
        agreeing = _agreeing_fields(b)
        for name, attr in QR_FIELDS:
            q = getattr(qr, attr)
            if q is None or attr in qr.invalid:
                continue
            if name == "afip_code" and q not in DOCUMENT_TYPES:
                continue
            printed = b.values.get(name)
            if printed is None:
                if name == "exchange_rate" and b.get("currency") in (None, "PES"):
                    continue
                b.set(name, q, Source.QR, qr_conf)
            elif same(name, printed.value, q):
                printed.confidence = max(printed.confidence, 0.99)
            elif printed.source == Source.OCR and _ocr_misreading(name, printed.value, q):
                b.set(name, q, Source.QR, qr_conf)
                b.check(
                    f"repair_{name}",
                    True,
                    f"{sentence(FIELD_NAMES_ES.get(name, name))}: el OCR leyó {show(name, printed.value)} y se tomó "
                    f"{show(name, q)} del QR (una lectura OCR con {_OCR_SLIP_ES[name]}).",
                )
            elif name == "total" and printed.source == Source.OCR and _arithmetic_agrees(b, q):
                b.set(name, to_cents(q), Source.QR, qr_conf)
                kind = misread_digits(printed.value, q)
                slip = f" ({kind.es})" if kind else ""
                b.check(
                    "repair_total",
                    True,
                    f"Importe total: el OCR leyó {show(name, printed.value)} y se tomó {show(name, q)}{slip}, "
                    "porque el QR y la suma neto + IVA + otros tributos dan ese mismo importe.",
                )
            elif (
                name in QR_OUTVOTES_DOUBT
                and printed.source == Source.OCR
                and printed.confidence < MIN_KEY_CONFIDENCE
                and _corroboration(agreeing, name)
            ):
                b.set(name, q, Source.QR, qr_conf)
                b.check(
                    f"repair_{name}",
                    True,
                    f"{sentence(FIELD_NAMES_ES.get(name, name))}: el OCR leyó {show(name, printed.value)} con poca "
                    f"confianza y se tomó {show(name, q)} del QR, que coincide con lo impreso en "
                    f"{_corroboration(agreeing, name)}.",
                )
            elif printed.source == Source.OCR and _other_party(b, name, printed.value):
                b.set(name, q, Source.QR, qr_conf)
                b.check(
                    f"repair_{name}",
                    True,
                    f"{sentence(FIELD_NAMES_ES.get(name, name))}: el OCR tomó {show(name, printed.value)}, que es "
                    f"el de la otra parte, y se tomó {show(name, q)} del QR.",
                )
            elif name in QR_COMPARED:
                b.qr_mismatch.append(
                    f"{FIELD_NAMES_ES.get(name, name)}: impreso {show(name, printed.value)}, QR {show(name, q)}"
                )
                printed.confidence = min(printed.confidence, 0.5)
    bc = b.ev.barcode
    if bc is not None:
        conf = 0.85 if bc.check_ok else 0.6
        mismatches = []
        for name, attr in BARCODE_FIELDS:
            value = getattr(bc, attr)
            printed = b.values.get(name)
            if printed is None:
                b.set(name, value, Source.BARCODE, conf)
            elif same(name, printed.value, value):
                printed.confidence = max(printed.confidence, 0.97 if bc.check_ok else printed.confidence)
            else:
                mismatches.append(
                    f"{FIELD_NAMES_ES.get(name, name)}: impreso {show(name, printed.value)}, "
                    f"código de barras {show(name, value)}"
                )
        b.check(
            "barcode_matches_printed",
            not mismatches and bc.check_ok,
            "; ".join(mismatches)
            if mismatches
            else (
                "El código de barras del CAE coincide con lo impreso."
                if bc.check_ok
                else "El dígito verificador del código de barras del CAE no es correcto."
            ),
        )
    # the letter follows the AFIP code when only the code is known
    code = b.get("afip_code")
    if code in DOCUMENT_TYPES:
        letter = DOCUMENT_TYPES[code].letter
        current = b.values.get("invoice_type")
        source = b.values["afip_code"].source
        if current is None:
            b.set("invoice_type", letter, source, b.values["afip_code"].confidence)
        elif current.value != letter and current.source == Source.OCR and source == Source.QR:
            b.set("invoice_type", letter, source, b.values["afip_code"].confidence)
            b.check(
                "repair_invoice_type",
                True,
                f"Letra: el OCR leyó {current.value} y se tomó {letter} del tipo de comprobante del QR.",
            )


QR_OUTVOTES_DOUBT = ("issuer_cuit", "point_of_sale", "afip_code", "number", "issue_date", "cae")
"""Fields whose doubtful OCR reading (confidence under :data:`MIN_KEY_CONFIDENCE`) a corroborated QR replaces:
a smudged date or number read as another is not evidence against the code. A confident reading that differs
stays a red flag; the total is settled by the arithmetic instead."""
QR_CORROBORATION = 2
"""Other compared fields on which print and QR must agree for the QR to be this invoice's (and outvote)."""


def _agreeing_fields(b: Builder) -> list[str]:
    """The compared fields on which the print and the QR agree."""
    qr = b.ev.qr
    assert qr is not None
    attrs = dict(QR_FIELDS)
    agreeing = []
    for name in QR_COMPARED:
        printed, q = b.values.get(name), getattr(qr, attrs[name])
        if printed is not None and q is not None and attrs[name] not in qr.invalid and same(name, printed.value, q):
            agreeing.append(name)
    return agreeing


def _corroboration(agreeing: list[str], name: str) -> str:
    """The fields other than ``name`` on which print and QR agree, in Spanish, if enough of them do; else ""."""
    others = [FIELD_NAMES_ES.get(n, n) for n in agreeing if n != name]
    if len(others) < QR_CORROBORATION:
        return ""
    return f"{', '.join(others[:-1])} y {others[-1]}"


def _printed_sum(b: Builder) -> Decimal | None:
    """net + exempt + untaxed + VAT + other taxes as read, or ``None`` without a net."""
    net = b.get("net_amount")
    if net is None:
        return None
    vat = sum((v.amount for v in b.get("vat") or []), Decimal("0"))
    taxes = sum((t.amount for t in b.get("other_taxes") or []), Decimal("0"))
    rest = (b.get("exempt_amount") or Decimal("0")) + (b.get("untaxed_amount") or Decimal("0"))
    return Decimal(net) + rest + vat + taxes


def _arithmetic_agrees(b: Builder, qr_total: Any) -> bool:
    """Whether the invoice's own arithmetic (net + VAT + other taxes, as read) gives the QR's total to the
    cent: two independent readings then outvote an OCR reading of the printed total that differs from both."""
    s = _printed_sum(b)
    return s is not None and isinstance(qr_total, Decimal) and qr_total > 0 and abs(s - qr_total) <= Decimal("0.01")


def _other_party(b: Builder, name: str, value: Any) -> bool:
    """Whether a party's document read by OCR is the other party's (the issuer's CUIT misread or lost, the
    receiver's taken for it, or the other way round): what the print or the QR says the other one is."""
    qr = b.ev.qr
    if name == "issuer_cuit":
        others = (b.get("receiver_doc_number"), qr.nro_doc_rec if qr is not None else None)
    elif name == "receiver_doc_number":
        others = (b.get("issuer_cuit"), qr.cuit if qr is not None else None)
    else:
        return False
    return any(other is not None and str(other) == str(value) for other in others)


_OCR_SLIP_ES = {
    "issuer_cuit": "uno o dos dígitos mal leídos",
    "point_of_sale": "uno o dos dígitos mal leídos",
    "number": "uno o dos dígitos mal leídos",
    "cae": "uno o dos dígitos mal leídos",
    "receiver_doc_number": "uno o dos dígitos mal leídos",
    "issue_date": "uno o dos dígitos mal leídos",
    "total": "un dígito o el separador decimal mal leídos",
    "afip_code": "la letra o el código del comprobante mal leídos",
    "receiver_doc_type": "el tipo de documento mal leído",
    "currency": "la moneda mal leída",
    "exchange_rate": "la cotización mal leída",
}


def _ocr_misreading(name: str, read: Any, qr: Any) -> bool:
    """Whether an OCR'd field that disagrees with the QR is just an OCR slip of the QR's value (then the QR
    is taken; a larger difference stays a red flag). The small "Cód. 06" and the letter box are misread
    often (B/E/8, 06/08), so a type that disagrees is always taken from the QR."""
    if name == "afip_code":
        return qr in DOCUMENT_TYPES
    if name in ("issuer_cuit", "point_of_sale", "number", "cae", "receiver_doc_number"):
        return code_misreading(str(read).lstrip("0"), str(qr).lstrip("0"))
    if name == "issue_date" and isinstance(read, dt.date) and isinstance(qr, dt.date):
        return code_misreading(read.strftime("%Y%m%d"), qr.strftime("%Y%m%d"))
    if name == "total" and isinstance(read, Decimal) and isinstance(qr, Decimal):
        return plausible_misreading(read, qr) is not None
    return False
