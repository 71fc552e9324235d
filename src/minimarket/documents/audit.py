"""The auditor's checks of a reconciled invoice (CUIT check digit, QR vs print, items arithmetic, Σ items =
net, VAT per rate, total arithmetic, type rules, dates, CAE, pages) and the status they lead to."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from minimarket.documents.evidence import (
    FIELD_NAMES_ES,
    MIN_KEY_CONFIDENCE,
    Builder,
    invoice_letter,
    money,
    same,
    sentence,
)
from minimarket.documents.qr_merge import QR_COMPARED, QR_FIELDS
from minimarket.domain.afip import DOCUMENT_TYPES, IvaCondition
from minimarket.domain.cuit import is_valid_cuit
from minimarket.domain.invoice import LineItem, Source, Status, VatLine
from minimarket.domain.money import line_adds_up, to_cents

KEY_FIELDS = ("invoice_type", "afip_code", "point_of_sale", "number", "issue_date", "issuer_cuit", "total")
"""Fields that must be present (and agree with the QR) for an invoice to be accepted."""


def _check_cuit(b: Builder) -> None:
    cuit = b.get("issuer_cuit")
    if cuit is None:
        return
    ok = is_valid_cuit(cuit)
    detail = (
        f"El CUIT del emisor {cuit[:2]}-{cuit[2:10]}-{cuit[10:]} tiene un dígito verificador válido."
        if ok
        else f"El CUIT del emisor {cuit} no es válido (dígito verificador o prefijo incorrecto)."
    )
    receiver = b.get("receiver_doc_number")
    if ok and b.get("receiver_doc_type") == 80 and receiver and not is_valid_cuit(receiver):
        ok, detail = False, f"El CUIT del receptor {receiver} no es válido."
    if ok and receiver and receiver == cuit:
        ok, detail = False, "El CUIT del emisor y el del receptor son el mismo: revisar cuál es cuál."
    b.check("cuit_check_digit", ok, detail)


def _check_qr(b: Builder) -> None:
    qr = b.ev.qr
    if qr is None:
        return
    notes = []
    if qr.truncated:
        notes.append("el QR está cortado (se recuperaron los campos completos)")
    if b.ev.qr_conflicts:
        notes.append("hay QR distintos en el documento: " + "; ".join(b.ev.qr_conflicts))
    if b.qr_mismatch:
        b.check(
            "qr_matches_printed",
            False,
            "El QR no coincide con lo impreso — "
            + "; ".join(b.qr_mismatch)
            + (". " + "; ".join(notes) if notes else ""),
        )
        return
    compared = [
        FIELD_NAMES_ES[name]
        for name, attr in QR_FIELDS
        if name in QR_COMPARED
        and getattr(qr, attr) is not None
        and b.values.get(name) is not None
        and b.values[name].source != Source.QR
    ]
    detail = (
        "El QR coincide con lo impreso (" + ", ".join(compared) + ")."
        if compared
        else "El QR no tiene campos para cotejar con lo impreso; sus datos completan lo que falta."
    )
    if notes:
        detail += " Nota: " + "; ".join(notes) + "."
    b.check("qr_matches_printed", not b.ev.qr_conflicts, detail)


MONEY_DECIMALS = 4
"""Most decimals an invoice prints a price or an amount with: a reading with more ("1.97046" for "1.970,46")
lost a separator, and may still multiply out with a quantity misread as many times too big."""


def _unprinted_money(value: Decimal | None) -> bool:
    if value is None:
        return False
    exponent = value.normalize().as_tuple().exponent
    return isinstance(exponent, int) and exponent < -MONEY_DECIMALS


def _check_items(b: Builder, items: list[LineItem]) -> None:
    if not items:  # an invoice lists what it sells: none read is a misread detail, never a complete invoice
        b.check("items_present", False, "No se leyó ningún ítem del detalle: cargalos o pedí otra copia.")
        return
    bad = []
    # in a table whose rows print quantity and price, a row read with its amount alone lost them
    priced = any(i.quantity is not None and i.unit_price is not None for i in items)
    for n, item in enumerate(items, start=1):
        q, p, a = item.quantity, item.unit_price, item.amount
        if a is not None and (q is None) != (p is None):  # repair_items deduced it if it could: unchecked
            bad.append(f"ítem {n}: no se leyó {'la cantidad' if q is None else 'el precio unitario'}")
            continue
        if a is not None and q is None and p is None and priced:
            bad.append(f"ítem {n}: no se leyeron la cantidad ni el precio unitario")
            continue
        odd = [what for what, value in (("el precio unitario", p), ("el importe", a)) if _unprinted_money(value)]
        if odd:
            bad.append(f"ítem {n}: {' y '.join(odd)} se leyó con más de {MONEY_DECIMALS} decimales")
            continue
        if q is None or p is None or a is None:  # an amount alone (a freight line) has nothing to check
            continue
        if not line_adds_up(q, p, a, item.discount):
            bad.append(f"ítem {n}: {format(q.normalize(), 'f')} × {money(p)} ≠ {money(a)}")
    if bad or any(i.quantity is not None and i.unit_price is not None and i.amount is not None for i in items):
        b.check(
            "items_arithmetic",
            not bad,
            "; ".join(bad) if bad else "Cada ítem cumple cantidad × precio unitario − bonificación = importe.",
        )
    amounts = [i.amount for i in items if i.amount is not None]
    if not amounts or len(amounts) != len(items):
        return
    total_items = sum(amounts, Decimal("0"))
    letter = invoice_letter(b)
    net = b.get("net_amount")
    total = b.get("total")
    taxes = sum((t.amount for t in b.get("other_taxes") or []), Decimal("0"))
    tol = max(b.tolerance, Decimal("0.01") * len(items))
    if letter in ("B", "C") and total is not None:
        target, what = total - taxes, "el total sin otros tributos"
        if net is not None and abs(total_items - net) <= tol:
            target, what = net, "el subtotal"
    elif net is not None:
        exempt = (b.get("exempt_amount") or Decimal("0")) + (b.get("untaxed_amount") or Decimal("0"))
        target, what = net + exempt, ("el neto más exento y no gravado" if exempt else "el neto")
        vat_total = sum((v.amount for v in b.get("vat") or []), Decimal("0"))
        if abs(total_items - target) > tol and total is not None and abs(total_items - (target + vat_total)) <= tol:
            target, what = target + vat_total, "el neto más IVA (los ítems incluyen IVA)"
    else:  # nothing to add the items up to: a blurred photo's two items of twenty would pass unchecked
        b.check("items_sum_net", False, f"No se pudo comprobar la suma de los {len(items)} ítems: no se leyó el neto.")
        return
    ok = abs(total_items - target) <= tol
    b.check(
        "items_sum_net",
        ok,
        f"La suma de los {len(items)} ítems ({money(total_items)}) "
        + ("coincide con " if ok else "no coincide con ")
        + f"{what} ({money(target)})."
        + ("" if ok else f" Diferencia: {money(total_items - target)}."),
    )


def _check_vat(b: Builder) -> None:
    vat: list[VatLine] = b.get("vat") or []
    if not vat:
        return
    n_items = max(len(b.ev.items.items), 1)
    tol = max(b.tolerance, Decimal("0.006") * n_items)
    bad = []
    for line in vat:
        expected = line.base * line.rate / 100
        if abs(expected - line.amount) > tol:
            rate = format(line.rate.normalize(), "f")
            bad.append(
                f"IVA {rate} %: {money(line.base)} × {rate} % = {money(to_cents(expected))}, "
                f"impreso {money(line.amount)}"
            )
    net = b.get("net_amount")
    bases = sum((line.base for line in vat), Decimal("0"))
    if net is not None and len(vat) > 1 and abs(bases - net) > tol:
        bad.append(f"la suma de las bases ({money(bases)}) no es el neto ({money(net)})")
    b.check(
        "vat_per_rate",
        not bad,
        "; ".join(bad)
        if bad
        else "El IVA de cada alícuota coincide con base × alícuota ("
        + ", ".join(f"{format(v.rate.normalize(), 'f')} %" for v in vat)
        + ").",
    )


def _check_total(b: Builder) -> None:
    total = b.get("total")
    net = b.get("net_amount")
    if total is None or net is None:
        return
    vat = sum((v.amount for v in b.get("vat") or []), Decimal("0"))
    taxes = sum((t.amount for t in b.get("other_taxes") or []), Decimal("0"))
    exempt = b.get("exempt_amount") or Decimal("0")
    untaxed = b.get("untaxed_amount") or Decimal("0")
    s = net + exempt + untaxed + vat + taxes
    ok = abs(s - total) <= b.tolerance
    parts = [f"neto {money(net)}"]
    if exempt:
        parts.append(f"exento {money(exempt)}")
    if untaxed:
        parts.append(f"no gravado {money(untaxed)}")
    if vat:
        parts.append(f"IVA {money(vat)}")
    if taxes:
        parts.append(f"otros tributos {money(taxes)}")
    b.check(
        "total_arithmetic",
        ok,
        " + ".join(parts)
        + f" = {money(s)}; total impreso {money(total)}"
        + ("." if ok else f" (diferencia {money(s - total)}, tolerancia {money(b.tolerance)})."),
    )


def _check_other_taxes(b: Builder) -> None:
    """Other taxes taken from their printed total go to review when a tax line was read without its figure, or
    when OCR read no tax line at all: which tax that total is (or whether it is several) is not read for sure.
    Only said then (a text layer with the total alone printed it so: nothing was lost)."""
    totals = b.ev.totals
    if not b.get("other_taxes"):
        return
    if totals.taxes_from_total_only:
        lines = ", ".join(f"«{text}»" for text, _ in totals.unpaired_taxes)
        detail = f"Se leyó el total de otros tributos pero no el importe de {lines}"
    elif b.ev.ocr and totals.taxes_from_total_without_lines:
        detail = "Se leyó el total de otros tributos pero ninguna línea que diga cuáles son"
    else:
        return
    b.check("other_taxes_detail", False, f"{detail}: no se pudo confirmar de qué tributo se trata.")


def _check_type(b: Builder) -> None:
    letter = invoice_letter(b)
    if letter is None:
        return
    problems = []
    vat: list[VatLine] = b.get("vat") or []
    vat_amount = sum((v.amount for v in vat), Decimal("0"))
    if letter == "C" and vat_amount > 0:
        problems.append("una factura C no discrimina IVA y se leyó IVA")
    if letter == "B" and vat_amount > 0:
        problems.append("una factura B no discrimina IVA (los precios lo incluyen) y se leyó IVA")
    if letter in ("A", "M") and not b.get("cae"):
        problems.append(f"una factura {letter} necesita CAE o CAEA y no se encontró")
    printed = b.values.get("invoice_type")
    code = b.get("afip_code")
    if printed is not None and code in DOCUMENT_TYPES and printed.value != DOCUMENT_TYPES[code].letter:
        problems.append(f"la letra impresa {printed.value} no corresponde al código {code:02d}")
    note = b.ev.header.afip_code.note if b.ev.header.afip_code is not None else ""
    if note and "≠" in note:
        problems.append(note)
    condition = b.get("issuer_iva_condition")
    condition_conf = b.values["issuer_iva_condition"].confidence if condition is not None else 0.0
    if condition is not None and condition_conf >= 0.75:  # only when it is clearly the issuer's
        mono = condition in (
            IvaCondition.MONOTRIBUTO,
            IvaCondition.MONOTRIBUTO_SOCIAL,
            IvaCondition.MONOTRIBUTO_PROMOVIDO,
            IvaCondition.EXENTO,
        )
        if mono and letter in ("A", "B", "M"):
            problems.append(f"el emisor es {condition.replace('_', ' ')} y no puede emitir factura {letter}")
        if condition == IvaCondition.RESPONSABLE_INSCRIPTO and letter == "C":
            problems.append("el emisor es responsable inscripto y emitió una factura C")
    b.check(
        "type_rules",
        not problems,
        sentence("; ".join(problems)) + "." if problems else f"Cumple las reglas de un comprobante {letter}.",
    )


def _check_dates(b: Builder) -> None:
    issue = b.get("issue_date")
    if issue is not None:
        ok = issue <= b.today + dt.timedelta(days=1) and issue.year >= 1990
        b.check(
            "date_not_future",
            ok,
            f"Fecha de emisión {issue:%d/%m/%Y}"
            + ("." if ok else (" posterior a hoy." if issue > b.today else " demasiado antigua.")),
        )


def _check_cae(b: Builder) -> None:
    cae = b.get("cae")
    due = b.get("cae_due_date")
    issue = b.get("issue_date")
    if cae is None and due is None:
        return
    problems = []
    if cae is not None and not (isinstance(cae, str) and cae.isdigit() and len(cae) == 14):
        problems.append(f"el CAE {cae} no tiene 14 dígitos")
    if due is not None and issue is not None and due < issue:
        problems.append(f"el CAE vence ({due:%d/%m/%Y}) antes de la fecha de emisión ({issue:%d/%m/%Y})")
    if cae is None:
        problems.append("hay vencimiento de CAE pero no se leyó el CAE")
    b.check(
        "cae_format",
        not problems,
        sentence("; ".join(problems)) + "."
        if problems
        else "CAE de 14 dígitos" + (f", vence {due:%d/%m/%Y}" if due else "") + ".",
    )


def _check_issuer_name(b: Builder) -> None:
    """A business name read with a doubt (an unreadable legal form, a stray glyph) goes to review: a wrong
    name must never be accepted. Only said when there is a doubt."""
    found = b.ev.header.issuer_name
    name = b.get("issuer_name")
    if found is None or not found.doubt or name != found.value:
        return
    b.check("issuer_name_legible", False, f"El nombre del emisor «{name}» no se leyó con certeza: {found.doubt}.")


def _check_pages(b: Builder) -> None:
    sel = b.ev.selection
    if b.ev.pages_total <= 1 and not sel.copies and not sel.extra:
        return
    parts = [
        "se leyó "
        + ("la página " if len(sel.indexes) == 1 else "las páginas ")
        + ", ".join(str(i + 1) for i in sel.indexes)
    ]
    if sel.copies:
        marks = [m for i in sel.copies if (m := sel.infos[i].marker)]
        parts.append(
            ("copias" + (f" ({'/'.join(dict.fromkeys(marks))})" if marks else "") + ": páginas ")
            + ", ".join(str(i + 1) for i in sel.copies)
        )
    if sel.extra:
        parts.append("no forman parte de la factura: páginas " + ", ".join(str(i + 1) for i in sel.extra))
    b.check("page_selection", True, sentence("; ".join(parts)) + ".")


def _status(b: Builder) -> Status:
    """``accepted`` needs every key field, read with confidence, a total confirmed by the arithmetic or the
    QR, and every check passing; anything short of that is ``needs_review`` with a check saying why."""
    missing = [name for name in KEY_FIELDS if b.get(name) is None]
    if missing:
        b.check(
            "key_fields",
            False,
            "Faltan datos clave: " + ", ".join(FIELD_NAMES_ES.get(n, n) for n in missing) + ".",
        )
        return Status.NEEDS_REVIEW
    doubtful = [name for name in KEY_FIELDS if b.values[name].confidence < MIN_KEY_CONFIDENCE]
    if doubtful:
        b.check(
            "key_fields",
            False,
            "Lectura dudosa (confianza baja) de: " + ", ".join(FIELD_NAMES_ES.get(n, n) for n in doubtful) + ".",
        )
    arithmetic = next((c for c in b.checks if c.name == "total_arithmetic"), None)
    qr = b.ev.qr
    qr_total = b.total_confirmed or (
        qr is not None and qr.importe is not None and same("total", qr.importe, b.get("total"))
    )
    if not qr_total and arithmetic is None:
        b.check(
            "total_verified",
            False,
            "No se pudo verificar el importe total: no se leyó el neto para sumar y no hay QR que lo confirme.",
        )
    if any(not c.ok for c in b.checks):
        return Status.NEEDS_REVIEW
    return Status.ACCEPTED


def check_all(b: Builder, items: list[LineItem]) -> Status:
    """Every check, then the status they lead to (shared by :func:`reconcile` and :func:`recheck`)."""
    _check_cuit(b)
    _check_qr(b)
    _check_items(b, items)
    _check_vat(b)
    _check_total(b)
    _check_other_taxes(b)
    _check_type(b)
    _check_dates(b)
    _check_cae(b)
    _check_issuer_name(b)
    _check_pages(b)
    return _status(b)
