"""Header fields of an invoice from positioned text: labels and geometry, no per-supplier templates.

Each field is found as a list of candidates with a confidence; the best one wins. Labels are matched in
their many printed variants ("Fecha de Emisión", "FECHA", "Fecha y Hora"; "C.U.I.T.", "CUIT Nº";
"Punto de Venta: 00003 Comp. Nro: 00001360", "Nro 0005-00011643", "N° 0004 - 00017649"), and geometry
decides what labels cannot: the big boxed letter is the tallest single letter at the top of the page,
the issuer's CUIT is the one surrounded by issuer cues (Ingresos Brutos, Inicio de Actividades) and away
from receiver cues (Señor/es, Cliente, Condición de venta), a value is right of its label or under it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, TypeVar

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from minimarket.documents.linetext import (
    LABEL_WORDS,
    YEARS,
    LineText,
    PageView,
    find_cuits,
    find_dates,
    find_long_number,
    label,
    normalize,
    number_tokens,
    second_reading_views,
)
from minimarket.documents.misreads import (
    MISREAD_VENC,
    MISREAD_VTO,
    dates_with_lost_separator,
    legal_form_misreading,
)
from minimarket.domain.afip import DOCUMENT_TYPES, find_document_type, parse_iva_condition
from minimarket.domain.numbers import NumberFormat

T = TypeVar("T")


@dataclass(slots=True)
class Found(Generic[T]):
    """A field value read from the page, with a confidence in 0..1 and where it was read."""

    value: T
    confidence: float
    page: int = 0
    y: float = 0.0
    note: str = ""
    doubt: str = ""
    """Why the reading is not sure (said in Spanish by the audit), empty when it is."""


@dataclass(slots=True)
class CuitSeen:
    """A valid CUIT printed on the page and how much its surroundings say issuer or receiver."""

    cuit: str
    page: int
    y: float
    issuer_score: float
    receiver_score: float
    conf: float = 1.0


@dataclass(slots=True)
class HeaderFields:
    """Everything read from the invoice header (all optional)."""

    invoice_type: Found[str] | None = None
    afip_code: Found[int] | None = None
    kind: str = "factura"
    fce: bool = False
    point_of_sale: Found[int] | None = None
    number: Found[int] | None = None
    issue_date: Found[dt.date] | None = None
    issuer_cuit: Found[str] | None = None
    issuer_name: Found[str] | None = None
    issuer_iva_condition: Found[str] | None = None
    receiver_doc_type: Found[int] | None = None
    receiver_doc_number: Found[str] | None = None
    receiver_name: Found[str] | None = None
    receiver_iva_condition: Found[str] | None = None
    cae: Found[str] | None = None
    cae_is_caea: bool = False
    cae_due_date: Found[dt.date] | None = None
    currency: Found[str] | None = None
    exchange_rate: Found[Decimal] | None = None
    cuits: list[CuitSeen] = field(default_factory=list)
    dates: list[tuple[str, dt.date, int, float]] = field(default_factory=list)
    """Every date seen: (role, date, page, y) with role issue/cae_due/start/period/due/other."""
    due_below_items: list[Found[dt.date]] = field(default_factory=list)
    """"Vencimiento" dates printed below the items with no CAE label read near them (:func:`cae_due_below_items`)."""


def _best(candidates: list[Found[T]]) -> Found[T] | None:
    if not candidates:
        return None
    return max(candidates, key=lambda f: (f.confidence, -f.page, -f.y))


def _conf(lt: LineText, base: float) -> float:
    """``base`` scaled by the words' OCR confidence (1.0 for a text layer)."""
    return round(base * (0.5 + 0.5 * lt.line.conf), 3)


def _squash(text: str) -> str:
    return normalize(text).replace(" ", "")


# --- invoice type: letter, AFIP code, kind -------------------------------------------------------------

_LETTERS = frozenset("ABCEMT")
_CODE = re.compile(
    r"(?<![A-Z0-9])C\s?[O0]\s?D(?:\s?I\s?G\s?O)?\s*(?:N\s?°|NRO)?\s*(?:[ABCEM]\s+)?(\d{1,3})(?!\d)"
    r"|(?<![A-Z0-9])C\s?[O0]\s?(\d{2,3})(?!\d)"
)
_LETTER_AFTER_KIND = re.compile(
    r"(?<![A-Z])(?:FACTURA|NOTA DE CREDITO|NOTA DE DEBITO|RECIBO|TIQUE FACTURA|TIQUE)"
    r"(?:\s+DE\s+CREDITO)?(?:\s+ELECTRONICA)?(?:\s+TIPO)?\s+([ABCEM])(?![A-Z0-9])"
)
_LETTER_GLUED_TO_KIND = re.compile(r"(?<![A-Z])FACTURA([ABCEM])(?![A-Z0-9])")
""""FACTURAC": a photo's OCR glued the letter to the word."""
_LETTER_BEFORE_NUMBER = re.compile(r"(?<![A-Z0-9])([ABCEM])\s*N\s?°\s*\d")
_KINDS = (
    ("nota_credito", re.compile(r"NOTA\s*DE\s*CR[EÉ]DITO|\bN\s*C\s*[ABCEM]?\b(?=.*\d)|NOTA\s*CREDITO")),
    ("nota_debito", re.compile(r"NOTA\s*DE\s*D[EÉ]BITO|NOTA\s*DEBITO")),
    ("recibo", re.compile(r"(?<![A-Z])RECIBO(?![A-Z])")),
    ("tique_factura", re.compile(r"TIQUE\s*FACTURA|TICKET\s*FACTURA")),
    ("factura", re.compile(r"(?<![A-Z])FACTURA(?:[ABCEM](?![A-Z0-9]))?(?![A-Z])")),
)
_FCE = re.compile(r"CREDITO\s*ELECTRONICA|MIPYME|\(?\bFCE\b")


def _find_type(view: PageView, header_bottom: float, out: HeaderFields) -> None:
    median_h = view.median_height
    top = view.lines
    letters: list[Found[str]] = []
    codes: list[Found[int]] = []
    kinds: list[tuple[float, str]] = []
    fce = False
    for lt in top:
        if lt.y0 > header_bottom:
            break
        # the big boxed letter: a lone A/B/C/M/E much taller than the text around it
        for word in lt.words:
            if word.text.strip() in _LETTERS and len(word.text.strip()) == 1 and word.height >= 1.6 * median_h:
                score = min(0.97, 0.7 + 0.05 * word.height / max(median_h, 1.0))
                # centred letters are the AFIP box
                if abs(word.cx - view.width / 2) < view.width * 0.2:
                    score = min(0.99, score + 0.05)
                letters.append(Found(word.text.strip(), _conf(lt, score), view.index, lt.y0, "box"))
        norm = lt.norm
        for m in _LETTER_AFTER_KIND.finditer(norm):
            letters.append(Found(m.group(1), _conf(lt, 0.85), view.index, lt.y0, "after kind"))
        for m in _LETTER_GLUED_TO_KIND.finditer(norm):
            letters.append(Found(m.group(1), _conf(lt, 0.75), view.index, lt.y0, "glued to kind"))
        for m in _LETTER_BEFORE_NUMBER.finditer(norm):
            letters.append(Found(m.group(1), _conf(lt, 0.8), view.index, lt.y0, "before N°"))
        for m in _CODE.finditer(norm):
            number = int(m.group(1) or m.group(2))
            if number in DOCUMENT_TYPES:
                codes.append(Found(number, _conf(lt, 0.95 if m.group(1) else 0.8), view.index, lt.y0))
        for kind, pattern in _KINDS:
            if pattern.search(norm):
                kinds.append((lt.y0, kind))
                break
        if _FCE.search(norm):
            fce = True
    if kinds:
        out.kind = min(kinds)[1]
    out.fce = fce or out.fce
    letter = _best(letters)
    code: Found[int] | None = _best(codes)
    if code is not None:
        doc = DOCUMENT_TYPES[code.value]
        if letter is not None and letter.value != doc.letter:
            # printed letter and code disagree: keep the code (explicit) but lower both confidences
            code.confidence = round(code.confidence * 0.6, 3)
            code.note = f"letra impresa {letter.value} ≠ código {code.value} ({doc.letter})"
        out.afip_code = code
        out.invoice_type = Found(doc.letter, code.confidence, code.page, code.y, "from code")
        if letter is not None and letter.value == doc.letter:
            out.invoice_type = Found(
                doc.letter, max(letter.confidence, code.confidence), letter.page, letter.y, "letter+code"
            )
        out.kind = doc.kind if doc.kind else out.kind
        out.fce = doc.is_fce
    elif letter is not None:
        out.invoice_type = letter
        found = find_document_type(letter.value, out.kind, out.fce) or find_document_type(letter.value)
        if found is not None:
            out.afip_code = Found(found.code, round(letter.confidence * 0.8, 3), letter.page, letter.y, "inferred")


# --- point of sale and number ----------------------------------------------------------------------------

_PV_LABEL = label(
    "PUNTO DE VENTA",
    "PTO DE VENTA",
    "PTO DE VTA",
    "PTO VTA",
    "PTO VENTA",
    "P DE VENTA",
    "P VTA",
    "PV",
    "P V",
)
_NUM_LABEL = label(
    "COMP NRO",
    "COMP N°",
    "COMPROBANTE NRO",
    "COMPROBANTE N°",
    "NRO DE COMPROBANTE",
    "NRO COMPROBANTE",
    "N° DE COMPROBANTE",
    "NUMERO DE COMPROBANTE",
    "NUMERO",
    "NRO",
    "N°",
    "NUM",
)
_PAIR = re.compile(r"(?<![\d/.,])(?<!\d-)(\d(?: ?\d){0,4})\s*[-–]\s*(\d(?: ?\d){0,7})(?![\d\-/.,])")
_SPACED_PAIR = re.compile(r"(\d{4,5})\s+(\d{8})(?![\d\-/.,])")
"""Point of sale and number in AFIP's zero-padded shape with the dash between them lost ("00008 00093998"):
taken only right after a number label."""
_OTHER_DOCUMENT = re.compile(
    r"\b(?:REMITOS?|ORDEN|PEDIDO|PRESUPUESTO|O\s?C|REF|REFERENCIA|ASOC\w*|ASOCIAD\w*|CAI|CAE|CBU|LEGAJO|"
    r"SINIESTRO|POLIZA|PROVEEDOR|INTERNO|LOTE|PARTIDA|CUENTA|CLIENTE|CUIT|CUIL|DNI|IIBB|I\s?B|ING\s*BRUTOS|"
    r"INGRESOS\s*BRUTOS|ACTIVIDAD\w*)\b"
)
"""Words before a number that make it another document's number (a remito, the invoice a credit note refers
to, an order) or an identifier."""
_ADDRESS_OR_PHONE = re.compile(
    r"\b(?:CALLE|AV|AVDA|AVENIDA|RUTA|KM|PISO|DPTO|DTO|LOCAL|TEL|TELEFONO|CEL|FAX|WHATSAPP|MZA|LOTE|CASA)\b"
)
"""Words before a plain integer that make it part of an address or a phone number."""


def _context_words(raw: str, offset: int, n: int = 3) -> str:
    return normalize(" ".join(raw[:offset].split()[-n:]))


def _digits_int(text: str) -> int | None:
    digits = re.sub(r"\D", "", text)
    return int(digits) if digits and len(digits) <= 9 else None


def _leading_int(text: str, max_digits: int) -> tuple[int, int] | None:
    """(value, digit count) of an integer at the start of ``text`` (digits may be split by single spaces)."""
    m = re.match(r"\s*(\d(?: ?\d)*)", text)
    if not m:
        return None
    digits = m.group(1).replace(" ", "")
    if len(digits) > max_digits:
        return None
    return int(digits), len(digits)


def _find_number(view: PageView, header_bottom: float, out: HeaderFields) -> None:
    pvs: list[Found[int]] = []
    nums: list[Found[int]] = []
    for lt in view.lines:
        if lt.y0 > header_bottom:
            break
        raw = lt.raw
        for hit in lt.find(_PV_LABEL):
            rest = raw[hit.value_start :]
            pair = _PAIR.match(rest.lstrip())
            if pair:
                pv, num = int(pair.group(1).replace(" ", "")), int(pair.group(2).replace(" ", ""))
                pvs.append(Found(pv, _conf(lt, 0.95), view.index, lt.y0, "pv-num"))
                nums.append(Found(num, _conf(lt, 0.95), view.index, lt.y0, "pv-num"))
                continue
            lead = _leading_int(rest, 5)
            if lead and lead[0] > 0:
                pvs.append(Found(lead[0], _conf(lt, 0.95), view.index, lt.y0, "label"))
        for hit in lt.find(_NUM_LABEL):
            before = _context_words(raw, hit.start)
            if _OTHER_DOCUMENT.search(before):
                continue
            rest = raw[hit.value_start :]
            pair = _PAIR.match(rest.lstrip()) or _SPACED_PAIR.match(rest.lstrip())
            if not pair and _ADDRESS_OR_PHONE.search(before):
                continue
            if pair:
                pv_text, num_text = pair.group(1).replace(" ", ""), pair.group(2).replace(" ", "")
                score = 0.85 + (0.05 if len(num_text) == 8 else 0) + (0.05 if len(pv_text) in (4, 5) else 0)
                pvs.append(Found(int(pv_text), _conf(lt, score), view.index, lt.y0, "N° pv-num"))
                nums.append(Found(int(num_text), _conf(lt, score), view.index, lt.y0, "N° pv-num"))
                continue
            lead = _leading_int(rest, 8)
            if lead and lead[0] > 0:
                # "Comp. Nro: 00001360" pairs with a separate "Punto de Venta" label
                pv_before = any(h.end <= hit.start for h in lt.find(_PV_LABEL))
                score = 0.9 if "COMP" in normalize(hit.text) or pv_before else 0.6
                score += 0.05 if lead[1] == 8 else 0.0
                nums.append(Found(lead[0], _conf(lt, score), view.index, lt.y0, "label"))
        # an unlabelled "0003-00003435" next to the letter or FACTURA
        for m in _PAIR.finditer(raw):
            pv_text, num_text = m.group(1).replace(" ", ""), m.group(2).replace(" ", "")
            if len(num_text) != 8 or len(pv_text) not in (4, 5):
                continue
            if _OTHER_DOCUMENT.search(_context_words(raw, m.start())):
                continue
            if any(f.value == int(num_text) for f in nums):
                continue
            pvs.append(Found(int(pv_text), _conf(lt, 0.75), view.index, lt.y0, "pattern"))
            nums.append(Found(int(num_text), _conf(lt, 0.75), view.index, lt.y0, "pattern"))
    pvs = [f for f in pvs if 0 < f.value <= 99999]
    nums = [f for f in nums if 0 < f.value <= 99999999]
    out.point_of_sale = _best(pvs)
    out.number = _best(nums)


# --- dates ------------------------------------------------------------------------------------------------

_ISSUE_STRONG = ("EMISION", "EMITIDO", "FECHADEFACTURA", "FECHAFACTURA", "FECHACOMPROBANTE", "FECHAYHORA")


def _says_activities(context: str) -> bool:
    """Whether a squashed label is "(Inicio de) actividades", also as OCR misreads it ("ACTIUVEDADES")."""
    return "ACTIV" in context or (len(context) >= 9 and fuzz.partial_ratio("ACTIVIDADES", context) >= 80)


def _date_role(context: str, near_cae: bool) -> tuple[str, float]:
    """Classify a date by the squashed label text before it: (role, confidence). "Vencimiento" is
    recognised with one or two letters misread ("Veni imiento")."""
    c = context
    if "VENC" not in c and MISREAD_VENC.search(c):
        c += "VENC"
    if ("CAE" in c or "CAI" in c) and ("VTO" in c or "VENC" in c or "VTA" in c):
        return "cae_due", 0.95
    if "INICIO" in c or "INIC" in c or _says_activities(c):
        return "start", 0.9
    if "DESDE" in c or "HASTA" in c or "PERIODO" in c:
        return "period", 0.9
    if "VTO" in c or "VENC" in c or "PAGO" in c or "ENTREGA" in c:
        if near_cae and "PAGO" not in c and "ENTREGA" not in c:
            return "cae_due", 0.85
        return "due", 0.8
    if near_cae and c.startswith("FECHADEV") and not any(key in c for key in _ISSUE_STRONG):
        return "cae_due", 0.8  # "Fecha de Vuai imicato" under the CAE: its due date, the label blurred
    if "NACIM" in c or "IMPRES" in c or "ALTA" in c:
        return "other", 0.5
    if any(key in c for key in _ISSUE_STRONG):
        return "issue", 0.95
    if "FECHA" in c or c.endswith("FEC") or "DIA" in c:
        return "issue", 0.85
    return "other", 0.4


_CAE_LABEL = label("CAEA N", "CAE N", "CAEA", "CAE", "C A E A", "C A E", "COD AUTORIZACION", "CODIGO DE AUTORIZACION")
"""The CAE's label; "CAE N" also matches the "CAEN" of a photo whose "Nº" is glued to the label."""


def _context_before(lt: LineText, offset: int) -> str:
    """Squashed label text just before ``offset`` on the line: back to the previous ':'-ended label."""
    before = lt.raw[:offset].rstrip()
    if ":" in before[:-1]:
        cut = before[:-1].rfind(":")
        # keep at least the label ending right before the value
        before = before[cut + 1 :]
    # drop earlier values: keep text after the last digit run (a previous date or number)
    m = re.search(r"\d[\d/.\-:]*\s*(?=[^\d]*$)", before)
    if m:
        before = before[m.end() :]
    return _squash(MISREAD_VTO.sub("VTO", before[-45:]))


def _label_above(view: PageView, lt: LineText, x0: float, x1: float) -> str:
    """Squashed text of the nearest line above whose words overlap [x0, x1] (a label over its value)."""
    for other in reversed(view.lines):
        if other.cy >= lt.cy or lt.cy - other.cy > 2.5 * max(lt.height, 1.0):
            continue
        words = other.words_between(x0 - 20, x1 + 20)
        if words:
            return _squash(" ".join(w.text for w in words))
    return ""


LOST_SEPARATOR_DATE = 0.8
"""Confidence kept by a date read with one separator lost ("2009/2026"), under a label that says it is one."""


def _line_dates(lt: LineText) -> list[tuple[int, dt.date, bool]]:
    """The line's dates as (offset, date, slipped): well printed ones, else those OCR printed with a separator
    lost (``slipped``)."""
    found = find_dates(lt.raw)
    if found:
        return [(offset, date, False) for offset, date in found]
    return [(offset, date, True) for offset, date in dates_with_lost_separator(lt.raw, YEARS)]


FOOTER_DUE_DATE = 0.8
"""Confidence kept by a "Vencimiento" date below the items with no CAE label read near it
(:func:`cae_due_below_items`)."""
CAE_VALIDITY_DAYS = 15
"""Days after the issue date a CAE's due date can fall: AFIP grants an invoice's CAE for ten days."""


def _find_dates(views: list[PageView], header_bottom: float, out: HeaderFields) -> None:
    issue: list[Found[dt.date]] = []
    due: list[Found[dt.date]] = []
    footer: list[Found[dt.date]] = []  # "Vencimiento" below the items, no CAE label read near it
    for view in views:
        cae_lines = [lt for lt in view.lines if lt.find(_CAE_LABEL)]
        for lt in view.lines:
            for offset, date, slipped in _line_dates(lt):
                context = _context_before(lt, offset)
                if not re.search(r"[A-Z]{3}", context):
                    above = _label_above(view, lt, lt.x_at(offset), lt.x_at(offset + 9, right=True))
                    context = above + context
                near_cae = any(0 <= lt.cy - c.cy <= 3.2 * max(c.height, 1.0) for c in cae_lines)
                role, score = _date_role(context, near_cae)
                if slipped:
                    if role not in ("issue", "cae_due", "due") or score < 0.8:
                        continue  # a figure that only looks like a date without a label that says so
                    score *= LOST_SEPARATOR_DATE
                out.dates.append((role, date, view.index, lt.y0))
                if role == "issue":
                    in_header = lt.y0 <= header_bottom
                    s = score if in_header else score * 0.7
                    if view.index != views[0].index:
                        s *= 0.8
                    issue.append(Found(date, _conf(lt, s), view.index, lt.y0, context))
                elif role == "cae_due":
                    due.append(Found(date, _conf(lt, score), view.index, lt.y0, context))
                elif role == "due" and lt.y0 > header_bottom and view.index == views[-1].index:
                    footer.append(Found(date, _conf(lt, score * FOOTER_DUE_DATE), view.index, lt.y0, context))
                elif role == "other" and lt.y0 <= header_bottom and view.index == views[0].index:
                    issue.append(Found(date, _conf(lt, 0.4), view.index, lt.y0, "unlabelled"))
    out.issue_date = _best(issue)
    out.cae_due_date = _best(due)
    out.due_below_items = footer


def cae_due_below_items(header: HeaderFields, issue: dt.date | None) -> Found[dt.date] | None:
    """The CAE's due date when no CAE label was read near it: the lowest "Vencimiento" date printed below the
    items that falls within a CAE's validity after the ``issue`` date (a payment's due date is usually later).
    The issue date may be the QR's, hence a step of its own once the codes are merged."""
    if issue is None:
        return None
    fits = [f for f in header.due_below_items if 0 <= (f.value - issue).days <= CAE_VALIDITY_DAYS]
    return max(fits, key=lambda f: f.y) if fits else None


# --- CUITs and the parties ------------------------------------------------------------------------------

_ISSUER_CUES = re.compile(
    r"INGRESOS\s*BRUTOS|ING\s*BRUTOS|\bI\s?I\s?B\s?B\b|INICIO\s*(?:DE\s*)?ACTIVIDAD|INIC\s*ACT|\bEMISOR\b|"
    r"\bVENDEDOR\b|AGENTE\s*DE\s*(?:PERCEPCION|RETENCION)|\bIB\b|\bI\s?B\s?\d|CONVENIO\s*MULTILATERAL|"
    r"\bC\s?M\s?\d"
)
_RECEIVER_CUES = re.compile(
    r"SE[NÑ]OR|\bSR\b|\bSRES\b|CLIENTE|\bC(?:U|L1|1I)ENTE\b|APELLIDO|DESTINATARIO|COMPRADOR|ADQUIRENTE|RECEPTOR|"
    r"CONDICION(?:ES)?\s*DE\s*(?:VENTA|COMPRA|PAGO)|COND\s*(?:DE\s*)?(?:VENTA|VTA|COMPRA)|"
    r"FORMA\s*DE\s*PAGO|\bCTA\s*CTE\b|CUENTA\s*N|\bFACTURAR\s*A\b|\bRAZON\s*SOCIAL\s*CLIENTE"
)
_CUIT_LABEL = label("CUIT", "C U I T", "CUIL", "C U I L")


def _cue_strength(view: PageView, lt: LineText, pattern: re.Pattern[str], x: float) -> float:
    """How strongly the lines around ``lt`` (same line counts double) match ``pattern``."""
    h = max(lt.height, view.median_height, 1.0)
    strength = 0.0
    for other in view.lines:
        dy = other.cy - lt.cy
        if abs(dy) > 3.6 * h:
            continue
        # stay in the same column: some word of the other line within 260 pt horizontally
        if other is not lt and other.x1 < x - 260:
            continue
        hits = len(pattern.findall(other.norm))
        if not hits:
            continue
        weight = 2.0 if other is lt else (1.0 if abs(dy) <= 1.6 * h else 0.6)
        strength += weight * min(hits, 2)
    return strength


def _named_receiver(lt: LineText, offset: int) -> bool:
    """Whether the receiver is named before the CUIT at ``offset`` on its own line ("Señor(es): ALMACEN …
    CUIT: …"), with no issuer cue in between."""
    receivers = [hit.end for hit in lt.find(_RECEIVER_CUES) if hit.end <= offset]
    if not receivers:
        return False
    last = max(receivers)
    return not any(last <= hit.start < offset for hit in lt.find(_ISSUER_CUES))


def _find_cuits(views: list[PageView], out: HeaderFields) -> None:
    seen: dict[str, CuitSeen] = {}
    for view in views:
        for lt in view.lines:
            for offset, cuit in find_cuits(lt.raw):
                x = lt.x_at(offset)
                labelled = any(h.end <= offset + 1 and offset - h.end < 12 for h in lt.find(_CUIT_LABEL))
                issuer = _cue_strength(view, lt, _ISSUER_CUES, x)
                receiver = _cue_strength(view, lt, _RECEIVER_CUES, x)
                if _named_receiver(lt, offset):
                    issuer = 0.0  # "Señor(es): … CUIT …": the issuer's cues on the lines around do not count
                conf = _conf(lt, 0.95 if labelled else 0.8)
                prev = seen.get(cuit)
                if prev is None:
                    seen[cuit] = CuitSeen(cuit, view.index, lt.y0, issuer, receiver, conf)
                else:
                    prev.issuer_score = max(prev.issuer_score, issuer)
                    prev.receiver_score = max(prev.receiver_score, receiver)
    cuits = sorted(seen.values(), key=lambda c: (c.page, c.y))
    out.cuits = cuits
    if not cuits:
        return
    ranked = []
    for rank, c in enumerate(cuits):
        top_bonus = 0.75 if rank == 0 else 0.0
        ranked.append((c.issuer_score - c.receiver_score + top_bonus, c))
    ranked.sort(key=lambda item: -item[0])
    score, best = ranked[0]
    if score > 0 or (len(cuits) > 1 and best.receiver_score < max(c.receiver_score for c in cuits)):
        conf = min(0.97, 0.6 + 0.1 * max(score, 0)) * best.conf
        out.issuer_cuit = Found(best.cuit, round(conf, 3), best.page, best.y, "issuer cues")
    receivers = [c for c in cuits if out.issuer_cuit is None or c.cuit != out.issuer_cuit.value]
    if receivers:
        rec = max(receivers, key=lambda c: (c.receiver_score - c.issuer_score, -c.y))
        if rec.receiver_score >= rec.issuer_score or out.issuer_cuit is not None:
            out.receiver_doc_type = Found(80, rec.conf * 0.9, rec.page, rec.y)
            out.receiver_doc_number = Found(rec.cuit, rec.conf * 0.9, rec.page, rec.y)


_DOC_LABEL = re.compile(
    r"(?<![A-Z])(DNI|D N I|CUIL|CUIT|CDI|L E|LE|L C|LC|PASAPORTE|DOC(?:UMENTO)?)\s*(?:N°|NRO|NO)?\s*"
)
_DOC_TYPES = {"DNI": 96, "DN I": 96, "CUIL": 86, "CUIT": 80, "CDI": 87, "LE": 89, "LC": 90, "PASAPORTE": 94}


def _find_receiver_doc(views: list[PageView], out: HeaderFields) -> None:
    if out.receiver_doc_number is not None:
        return
    view = views[0]
    for lt in view.lines:
        for m in _DOC_LABEL.finditer(lt.norm):
            kind = m.group(1).replace(" ", "")
            if kind in ("CUIT", "CUIL"):
                continue  # handled with the CUITs
            hits = lt.find(re.compile(re.escape(m.group(0).strip())))
            if not hits:
                continue
            rest = lt.raw[hits[0].value_start :]
            mm = re.match(r"\s*(\d[\d. ]{5,12}\d)", rest)
            if not mm:
                continue
            number = re.sub(r"\D", "", mm.group(1))
            if 6 <= len(number) <= 9:
                out.receiver_doc_type = Found(_DOC_TYPES.get(kind, 96), _conf(lt, 0.85), view.index, lt.y0)
                out.receiver_doc_number = Found(number, _conf(lt, 0.85), view.index, lt.y0)
                return


# --- names and IVA conditions -------------------------------------------------------------------------------

_NAME_LABEL = label(
    "RAZON SOCIAL",
    "APELLIDO Y NOMBRE RAZON SOCIAL",
    "APELLIDO Y NOMBRE",
    "NOMBRE Y APELLIDO",
    "SENOR ES",
    "SENORES",
    "SENOR",
    "SR ES",
    "SRES",
    "SR",
    "CLIENTE",
    "DENOMINACION",
    "NOMBRE",
)
_NOT_A_NAME = re.compile(
    r"^(?:ORIGINAL|DUPLICADO|TRIPLICADO|CUADRUPLICADO|FACTURA|NOTA|RECIBO|COD|CODIGO|FECHA|NRO|NUMERO|"
    r"PUNTO|DOCUMENTO|COMPROBANTE|IVA|RESPONSABLE|MONOTRIBUT|CONSUMIDOR|EXENTO|INGRESOS|INICIO|DOMICILIO|"
    r"CUIT|TEL|E MAIL|EMAIL|WWW|HOJA|PAG|PAGINA|A|B|C|M|E)\b"
)


_ADDRESS_LINE = re.compile(
    r"^(?:AV|AVDA|AVENIDA|CALLE|RUTA|CAMINO|BV|BOULEVARD|PASAJE|PJE|DIAGONAL|DIAG|CIUDAD AUTONOMA)\b|\bKM \d|"
    r"\b\d{2,5} (?:-|PISO|DTO)|\b(?:NAVE|PUESTO|LOCAL|PISO|DEPTO|DTO|OFICINA|GALPON|PARCELA|LOTE) \d"
)
"""An address line ("Av. Juan B. Justo 7420 - CABA", "Ruta 6 km 12 - Cañuelas", "Ciudad Autónoma de Buenos
Aires" wrapped from the line above), never a business name."""
_TITLES = ("FACTURA", "ORIGINAL", "DUPLICADO", "TRIPLICADO", "COMPROBANTE", "REMITO", "PRESUPUESTO")


def _misread_title(name: str) -> bool:
    """A document title OCR split or misread ("FACTU RA"): one edit from a title once the spaces go."""
    squashed = normalize(name).replace(" ", "")
    return any(Levenshtein.distance(squashed, title, score_cutoff=1) <= 1 for title in _TITLES)


_BORDER = "—–-|_"
"""Glyphs a box border around a printed name is read as (dashes, a bar, an underscore)."""
_BORDER_BEFORE_LAST = re.compile(rf"\s+[{re.escape(_BORDER)}]+\s+(?=S\S{{0,7}}$|(?:LTDA|HNOS)\.?$)", re.IGNORECASE)


def _clean_name(text: str) -> str | None:
    text = re.sub(r"\s+", " ", text).strip(f" :,{_BORDER}")
    text = _BORDER_BEFORE_LAST.sub(" ", text)  # a box border before the legal form ("Oeste — S.R.L.")
    if text.endswith(".") and not re.search(
        r"\b(?:[A-Z]\.){1,4}$|\b(?:S\.?A|S\.?R\.?L|S\.?A\.?S|S\.?H|HNOS|CIA|LTDA)\.$", text
    ):
        text = text.rstrip(".")
    letters = sum(ch.isalpha() for ch in text)
    if letters < 3 or letters < 0.6 * len(text.replace(" ", "")):
        return None
    return text


def _receiver_start(view: PageView, out: HeaderFields) -> float | None:
    """Where the receiver's block starts on the first page: its document line, or a receiver cue line
    (Señor/es, Cliente, Apellido y Nombre) a little above it and below the issuer's CUIT."""
    if out.receiver_doc_number is None or out.receiver_doc_number.page != view.index:
        return None
    start = out.receiver_doc_number.y
    issuer_y = out.issuer_cuit.y if out.issuer_cuit and out.issuer_cuit.page == view.index else -1.0
    for lt in view.lines:
        near = issuer_y < lt.y0 < start and start - lt.y0 < 8 * max(lt.height, 1.0)
        if near and _RECEIVER_NAME_CUES.search(lt.norm):
            return lt.y0
    return start


_RECEIVER_NAME_CUES = re.compile(r"SE[NÑ]OR|\bSR\b|\bSRES\b|CLIENTE|APELLIDO|DESTINATARIO|COMPRADOR|ADQUIRENTE")


def _value_below(view: PageView, lt: LineText, x0: float, x_limit: float = 1e9) -> str:
    """Text of the next line under a label whose value is not beside it (up to the next column)."""
    for other in view.lines:
        if other.cy <= lt.cy:
            continue
        if other.cy - lt.cy > 2.2 * max(lt.height, 1.0):
            break
        words = [w for w in other.words if w.x1 > x0 - 5 and w.x0 < x_limit - 2]
        if words:
            return LineText(type(lt.line)(words), view.index).segment(0)
    return ""


_LEGAL_SUFFIX = re.compile(
    r"^(?:S\.?\s?A\.?(?:\s?S\.?)?|S\.?\s?R\.?\s?L\.?|S\.?\s?H\.?|S\.?\s?C\.?\s?S\.?|S\.?\s?A\.?\s?I\.?\s?C\.?|"
    r"E\s+HIJOS?|Y\s+C[IÍ]A\.?|HNOS\.?|LTDA\.?|COOP\.?)(?=\s|$)",
    re.IGNORECASE,
)


_NAME_STOP = re.compile(
    r"\b(?:C\.?\s?U\.?\s?I\.?\s?T|COD|C[OÓ]D\.|FACTURA|NOTA\s+DE\s+CR[EÉ]DITO|NOTA\s+DE\s+D[EÉ]BITO|RECIBO|TIQUE|"
    r"ORIGINAL|DUPLICADO)\b",
    re.IGNORECASE,
)
_NAME_CONNECTOR = re.compile(r"\b(?:DE|DEL|LA|LAS|LOS|Y|E|EL)$", re.IGNORECASE)


def _with_legal_suffix(
    view: PageView, lt: LineText, name: str, size: float | None = None, x1: float | None = None
) -> tuple[str, LineText | None]:
    """A business name wrapped over two lines ("Golosinera Mayorista del" / "Oeste S.A.", or only its
    "S.A." on the next line) gets its second line back: same left edge or same centre, same type size.
    Returns the name and the continuation line it took (``None`` when there was none)."""
    if _LEGAL_SUFFIX.search(name.split()[-1] if name.split() else ""):
        return name, None
    h = max(size or lt.height, 1.0)
    centre = (lt.x0 + (x1 if x1 is not None else lt.x1)) / 2
    for other in view.lines:
        if other.cy <= lt.cy or other.cy - lt.cy > 1.8 * h:
            continue
        rest = re.sub(r"\s+[ABCEM]$", "", _NAME_STOP.split(other.segment(0), maxsplit=1)[0].strip())
        rest = rest.strip(f" :,{_BORDER}")
        rest_words = [w for w, start in zip(other.words, other.starts, strict=True) if start < len(rest)]
        rest_x1 = rest_words[-1].x1 if rest_words else other.x1
        left = abs(other.x0 - lt.x0) <= 2 * h
        centred = abs((other.x0 + rest_x1) / 2 - centre) <= 2 * h
        if not (left or centred):
            continue
        m = _LEGAL_SUFFIX.match(rest)
        if m and left:
            return f"{name} {m.group(0).strip()}", other
        same_size = abs(other.height - h) <= 0.2 * h
        words = rest.split()
        ends_legal = bool(words) and legal_form_misreading(words[-1]) != (words[-1], True)
        joins = _NAME_CONNECTOR.search(name) or (words and (_LEGAL_SUFFIX.search(words[-1]) or ends_legal))
        if same_size and words and joins and len(words) <= 4:
            return f"{name} {rest}", other
    return name, None


_STRAY_GLYPHS = re.compile(r"[^\w\s.,&'()\-°ºª]|_")
"""A glyph no business name has (a bar, a slash, a dollar sign, a box border's dash run): OCR noise."""


def _settle_name(name: str, letter: str | None, ocr: bool) -> tuple[str, str]:
    """A name as read, its legal form repaired (:func:`legal_form_misreading`), and why it stays doubtful
    (empty when it does not): an unreadable legal form, a lone letter boxed before it, a stray glyph."""
    words = name.split()
    # a box border and the box's letter read after the legal form ("San Cayetano S.R.L. —B")
    while (
        len(words) > 2
        and re.fullmatch(rf"[{re.escape(_BORDER)}]*[A-Z]?", words[-1])
        and (_LEGAL_SUFFIX.fullmatch(words[-2]) or re.fullmatch(rf"[{re.escape(_BORDER)}]+[A-Z]?", words[-1]))
    ):
        words.pop()
    if not words:
        return name, ""
    form, sure = legal_form_misreading(words[-1])
    words[-1] = form
    doubts = []
    if not sure:
        doubts.append(f"forma jurídica ilegible «{form}»")
    if _LEGAL_SUFFIX.fullmatch(form) and len(words) >= 3 and re.fullmatch(r"[A-Z]", words[-2]):
        # a lone capital before the legal form: the invoice's boxed letter printed over the name
        if letter is not None and words[-2] == letter:
            del words[-2]
        else:
            doubts.append(f"letra suelta «{words[-2]}» antes de la forma jurídica")
    settled = " ".join(words)
    if ocr and not doubts:
        doubts += _ocr_doubts(words)
    return settled, "; ".join(doubts)


_CONNECTORS = frozenset({"de", "del", "la", "las", "los", "y", "e", "el", "da", "do", "dos", "di"})


def _ocr_doubts(words: list[str]) -> list[str]:
    """What makes an OCR'd name doubtful although it reads as words: a stray glyph, a lone letter ("Rubén
    G Gauna"), a word split off its capital ("H éctor"), a name cut after a connector ("Mayorista del") or
    starting with one (the tail of an address, "DE BUENOS AIRES")."""
    doubts = []
    if _STRAY_GLYPHS.search(" ".join(words)):
        doubts.append("caracteres extraños en el nombre")
    lone = [w for w in words if len(w) == 1 and w.isalpha() and w.casefold() not in _CONNECTORS]
    if lone:
        doubts.append(f"letra suelta «{lone[0]}»")
    split = [w for w in words[1:] if w[0].islower() and w.casefold() not in _CONNECTORS]
    if split:
        doubts.append(f"palabra partida «{split[0]}»")
    if len(words) > 1 and words[0].casefold() in _CONNECTORS:
        doubts.append(f"el nombre empieza en «{words[0]}»: falta su comienzo")
    if len(words) > 1 and words[-1].casefold() in _CONNECTORS:
        doubts.append(f"el nombre termina en «{words[-1]}»: falta su continuación")
    elif len(words) > 1 and len(words[-1]) <= 2 and not _LEGAL_SUFFIX.fullmatch(words[-1]):
        doubts.append(f"palabra final dudosa «{words[-1]}»")
    dotted = [w for w in words if re.search(r"[^\W\d_]{2}\.[^\W\d_]", w)]
    if dotted:
        doubts.append(f"punto dentro de una palabra «{dotted[0]}»")
    return doubts


def _find_names(views: list[PageView], header_bottom: float, out: HeaderFields) -> None:
    view = views[0]
    issuer_y = out.issuer_cuit.y if out.issuer_cuit and out.issuer_cuit.page == view.index else None
    receiver_start = _receiver_start(view, out)
    issuer: list[Found[str]] = []
    receiver: list[Found[str]] = []
    letter = out.invoice_type.value if out.invoice_type is not None else None
    for lt in view.lines:
        if lt.y0 > header_bottom:
            break
        for hit in lt.find(_NAME_LABEL):
            raw_value = hit.value_text()
            if not raw_value.strip() or all(w in LABEL_WORDS for w in normalize(raw_value).split()):
                after = [w for w in lt.words if w.x0 > hit.x1 + 1]
                raw_value = _value_below(view, lt, hit.x0, after[0].x0 if after else 1e9)
            value = _clean_name(re.sub(r"(?:\s+[\d\-./]+)+$", "", raw_value))
            if not value:
                continue
            text = normalize(hit.text)
            receiver_like = text.startswith(("APELLIDO", "SEN", "SR", "CLIENTE", "NOMBRE"))
            if receiver_start is not None and lt.y0 >= receiver_start - 1:
                receiver_like = True
            if receiver_start is not None and issuer_y is None and lt.y0 < receiver_start:
                # no issuer CUIT printed: a "Razón Social" just above the receiver's document is the receiver's
                receiver_like = receiver_like or receiver_start - lt.y0 < 6 * max(lt.height, 1.0)
            target = receiver if receiver_like else issuer
            value, doubt = _settle_name(value, letter, lt.line.conf < 0.999)
            target.append(Found(value, _conf(lt, 0.85), view.index, lt.y0, "label", doubt))
    if not issuer:
        # the tallest letters-only text at the top, above the issuer's CUIT (a printed business name)
        limit = issuer_y + 2 * view.median_height if issuer_y is not None else min(header_bottom, view.height * 0.3)
        if receiver_start is not None:
            limit = min(limit, receiver_start - 1)
        if receiver:
            limit = min(limit, min(f.y for f in receiver) - 1)
        taken: list[LineText] = []  # continuation lines joined to the name above them
        addresses: list[LineText] = []  # address lines: what is under them in their column is address too
        for lt in view.lines:
            if lt.y0 > limit:
                break
            if any(lt is t for t in taken):
                continue
            chunk = lt.segment(0)
            chunk = _NAME_STOP.split(chunk, maxsplit=1)[0]
            chunk = re.sub(r"\s+[ABCEM]$", "", chunk.strip())  # the boxed letter printed beside the name
            if _ADDRESS_LINE.search(normalize(chunk)):
                addresses.append(lt)
                continue
            if any(a.y0 < lt.y0 and abs(a.x0 - lt.x0) <= 2 * max(a.height, 1.0) for a in addresses):
                continue  # the address's locality wrapped under it ("Av. Maipú 2240" / "Vicente López")
            name = _clean_name(chunk)
            if not name or len(name.split()) < 2 or _NOT_A_NAME.match(normalize(name)) or name[0].isdigit():
                continue
            if _ADDRESS_LINE.search(normalize(name)) or _misread_title(name):
                continue
            chunk_words = [w for w, start in zip(lt.words, lt.starts, strict=True) if start < len(chunk)]
            heights = sorted(w.height for w in chunk_words) or [lt.height]
            size = heights[len(heights) // 2]
            score = 0.45 + min(0.2, 0.05 * size / max(view.median_height, 1.0))
            name, continuation = _with_legal_suffix(view, lt, name, size, chunk_words[-1].x1 if chunk_words else None)
            if continuation is not None:
                taken.append(continuation)
            ocr = lt.line.conf < 0.999 or (continuation is not None and continuation.line.conf < 0.999)
            name, doubt = _settle_name(name, letter, ocr)
            issuer.append(Found(name, _conf(lt, score), view.index, lt.y0, "top text", doubt))
    out.issuer_name = _best(issuer)
    if receiver:
        out.receiver_name = max(receiver, key=lambda f: (f.confidence, -f.y))


_IVA_LABEL = label(
    "CONDICION FRENTE AL IVA",
    "CONDICION ANTE EL IVA",
    "CONDICION DE IVA",
    "CONDICION IVA",
    "COND FRENTE AL IVA",
    "COND ANTE IVA",
    "COND IVA",
    "SIT IVA",
    "SITUACION IVA",
    "SITUACION FRENTE AL IVA",
    "IVA",
)
_IVA_PHRASE = re.compile(
    r"RESPONSABLE\s*INSCRIPTO|RESP\s*INSCRIPTO|RESPONSABLE\s*MONOTRIBUTO|MONOTRIBUTISTA|MONOTRIBUTO|"
    r"CONSUMIDOR\s*FINAL|IVA\s*SUJETO\s*EXENTO|SUJETO\s*EXENTO|EXENTO|NO\s*RESPONSABLE|NO\s*CATEGORIZADO"
)


def _find_iva_conditions(views: list[PageView], header_bottom: float, out: HeaderFields) -> None:
    view = views[0]
    found: list[tuple[float, str, LineText]] = []
    for lt in view.lines:
        if lt.y0 > header_bottom:
            break
        for m in _IVA_PHRASE.finditer(lt.norm):
            condition = parse_iva_condition(lt.raw[lt.find(re.compile(re.escape(m.group(0))))[0].start :][:40])
            if condition is not None:
                found.append((lt.y0, condition.value, lt))
    if not found:
        return
    boundary = _receiver_start(view, out)
    if boundary is None:
        y, value, lt = found[0]
        out.issuer_iva_condition = Found(value, _conf(lt, 0.6), view.index, y)
        if len(found) > 1:
            y2, value2, lt2 = found[-1]
            out.receiver_iva_condition = Found(value2, _conf(lt2, 0.6), view.index, y2)
        return
    issuer_y = out.issuer_cuit.y if out.issuer_cuit and out.issuer_cuit.page == view.index else None
    for y, value, lt in found:
        if y >= boundary - 1:
            if out.receiver_iva_condition is None:
                out.receiver_iva_condition = Found(value, _conf(lt, 0.8), view.index, y)
        elif out.issuer_iva_condition is None and (issuer_y is None or issuer_y < boundary):
            out.issuer_iva_condition = Found(value, _conf(lt, 0.8 if issuer_y is not None else 0.6), view.index, y)


# --- CAE ------------------------------------------------------------------------------------------------------


def _find_cae(views: list[PageView], out: HeaderFields) -> None:
    candidates: list[Found[str]] = []
    caea = False
    for view in views:
        for i, lt in enumerate(view.lines):
            for hit in lt.find(_CAE_LABEL):
                is_caea = normalize(hit.text).replace(" ", "").startswith("CAEA")
                value = find_long_number(lt.raw[hit.value_start :], 14)
                if value is None:
                    # value on the line below, under the label
                    for other in view.lines[i + 1 : i + 3]:
                        if other.cy - lt.cy > 2.5 * max(lt.height, 1.0):
                            break
                        words = other.words_between(hit.x0 - 30, hit.x1 + 200)
                        value = find_long_number(" ".join(w.text for w in words), 14)
                        if value:
                            break
                if value:
                    candidates.append(Found(value, _conf(lt, 0.95), view.index, lt.y0, "label"))
                    caea = caea or is_caea
    best = _best(candidates)
    if best is not None:
        out.cae = best
        out.cae_is_caea = caea


# --- currency and exchange rate --------------------------------------------------------------------------------

_CURRENCY_WORDS = (
    ("DOL", re.compile(r"D[OÓ]LAR|U\s?\$\s?S|\bUSD\b|\bU\$D\b|\bDOL\b")),
    ("060", re.compile(r"\bEURO|\bEUR\b")),
    ("012", re.compile(r"\bREAL(?:ES)?\b")),
    ("PES", re.compile(r"\bPESO|\bPES\b|\bARS\b|\$")),
)
_CURRENCY_LABEL = label("MONEDA", "EXPRESADO EN", "EXPRESADA EN", "DIVISA")
_RATE_LABEL = label("TIPO DE CAMBIO", "TIPO CAMBIO", "COTIZACION", "T C", "TC", "COTIZ")


def _find_currency(views: list[PageView], fmt: NumberFormat | None, out: HeaderFields) -> None:
    currency: list[Found[str]] = []
    rates: list[Found[Decimal]] = []
    for view in views:
        for lt in view.lines:
            for hit in lt.find(_CURRENCY_LABEL):
                value = normalize(hit.value_text())
                for code, pattern in _CURRENCY_WORDS:
                    if pattern.search(value) or (code == "PES" and "$" in hit.value_text()):
                        currency.append(Found(code, _conf(lt, 0.9), view.index, lt.y0, "label"))
                        break
            for hit in lt.find(_RATE_LABEL):
                tail = lt.raw[hit.value_start :]
                tail = re.sub(r"^.*?=", "", tail) if "=" in tail else tail
                start = len(lt.raw) - len(tail)
                for token in number_tokens(lt, fmt, start):
                    if token.value is not None and token.value > 0:
                        rates.append(Found(token.value, _conf(lt, 0.85), view.index, lt.y0, "label"))
                        break
    out.currency = _best(currency)
    if out.currency is not None and out.currency.value != "PES":
        out.exchange_rate = _best(rates)


# --- entry point ----------------------------------------------------------------------------------------------


def extract_header(
    views: list[PageView], header_bottom: float | None = None, fmt: NumberFormat | None = None
) -> HeaderFields:
    """Read the header fields of an invoice whose pages (first page first) are ``views``.

    ``header_bottom`` is the y where the items table starts on the first page (the header is above it);
    without it the top 45 % of the page is used for the fields that belong to the header only.
    """
    out = HeaderFields()
    if not views:
        return out
    first = views[0]
    bottom = header_bottom if header_bottom is not None else first.height * 0.45
    _find_type(first, bottom, out)
    if out.afip_code is None and out.invoice_type is None:
        for view in views[1:]:
            _find_type(view, view.height * 0.45, out)
            if out.invoice_type is not None:
                break
    _find_number(first, bottom, out)
    if out.number is None:
        for view in views[1:]:
            _find_number(view, view.height * 0.45, out)
            if out.number is not None:
                break
    _find_dates(views, bottom, out)
    _find_cuits(views, out)
    _find_receiver_doc(views, out)
    _find_names(views, bottom, out)
    _find_iva_conditions(views, bottom, out)
    _find_cae(views, out)
    _find_currency(views, fmt, out)
    return out


SECOND_READING_FIELDS = (
    "point_of_sale",
    "number",
    "issue_date",
    "issuer_cuit",
    "receiver_doc_number",
    "cae",
    "cae_due_date",
)
"""Header keys a second reading of the figures may supply when the first reading found none."""


def fill_from_second_readings(
    out: HeaderFields, views: list[PageView], header_bottom: float | None = None, fmt: NumberFormat | None = None
) -> list[str]:
    """Fill the header keys still missing from the pages as the figure reader read their figures (a CUIT
    only with its check digit right, a CAE only with its 14 digits, a date only as a real date: the same
    rules as for the first reading). Returns the names of the fields filled."""
    missing = [name for name in SECOND_READING_FIELDS if getattr(out, name) is None]
    second = second_reading_views(views) if missing else None
    if second is None:
        return []
    other = extract_header(second, header_bottom, fmt)
    filled = []
    for name in missing:
        found = getattr(other, name)
        if found is not None and not _already_taken(out, name, found.value):
            setattr(out, name, found)
            filled.append(name)
    return filled


def _already_taken(out: HeaderFields, name: str, value: object) -> bool:
    """A CUIT the first reading gave to the other party is not this one's."""
    if name == "issuer_cuit":
        return out.receiver_doc_number is not None and out.receiver_doc_number.value == value
    if name == "receiver_doc_number":
        return out.issuer_cuit is not None and out.issuer_cuit.value == value
    return False
