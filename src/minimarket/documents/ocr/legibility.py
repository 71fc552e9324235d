"""Cheap estimates that decide whether an expensive pass may pay, so it runs only where it does.

The OCR engine's first reading of a page decides almost everything: a page whose reading carries words only
an upright page yields is not read at other orientations (:func:`looks_upright`); a phone photo is read
again deblurred with the out-of-focus kernel only when it reads poorly, and with the motion blurs its picture
shows (:func:`~minimarket.documents.ocr.deblur.blur_candidates`, a tenth of a Tesseract pass) when it reads
fairly and they agree (:func:`deblur_kernels`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from minimarket.documents.ocr.deblur import OUT_OF_FOCUS, Blur
from minimarket.documents.ocr.tesseract import OcrWord

INVOICE_WORDS = frozenset(
    [
        "factura",
        "facturas",
        "cuit",
        "iva",
        "total",
        "subtotal",
        "importe",
        "fecha",
        "cantidad",
        "precio",
        "descripcion",
        "descripción",
        "cae",
        "punto",
        "venta",
        "comprobante",
        "responsable",
        "inscripto",
        "monotributo",
        "condicion",
        "condición",
        "neto",
        "domicilio",
        "cliente",
        "codigo",
        "código",
        "unitario",
        "bonificacion",
        "bonificación",
        "vencimiento",
        "original",
        "duplicado",
        "nota",
        "credito",
        "crédito",
        "debito",
        "débito",
        "remito",
        "pesos",
        "ingresos",
        "brutos",
        "razon",
        "razón",
        "social",
        "inicio",
        "actividades",
        "alicuota",
        "alícuota",
    ]
)
UPRIGHT_PATTERNS = re.compile(r"^(\d{1,2}/\d{1,2}/\d{2,4}|\d{2}-\d{8}-\d|\d{1,3}([.,]\d{3})*[.,]\d{2}|\d{4,5}-\d{8})$")
UPRIGHT_HITS = 3
"""Words only an upright page yields (invoice vocabulary, dates, CUITs, amounts, read at confidence 50 or
more) from which a reading is taken to be upright, however poor. The 20 pages of the OCR throughput set (8 real
renders, 6 synthetic scans, 6 photos) read turned by 180° and by 90° gave none in any of the 40 readings; a
blurred upright scan that read with a mean confidence of 43 still gave FACTURA, IMPORTE and TOTAL. (It was 4,
and that scan was read at three more orientations for nothing.)"""


def upright_hits(words: Iterable[OcrWord], enough: int = UPRIGHT_HITS) -> int:
    """How many words only an upright page yields ``words`` holds, counted up to ``enough``."""
    hits = 0
    for word in words:
        if word.conf < 50:
            continue
        token = word.text.strip(".:;,()[]$").lower()
        if token in INVOICE_WORDS or UPRIGHT_PATTERNS.match(token):
            hits += 1
            if hits >= enough:
                break
    return hits


def looks_upright(words: Iterable[OcrWord]) -> bool:
    """Words typical of an upright invoice (upside-down text reads as short low-confidence garbage, never as
    "FACTURA" or "14/02/2023")."""
    return upright_hits(words) >= UPRIGHT_HITS


ILLEGIBLE_MEAN_CONF = 72.0
"""Mean confidence of a photo's real words under which every blur is tried, the out-of-focus one included.
Above it (and under the engine's ``SHARP_MEAN_CONF``) only the motion blurs the picture shows are: on 30
photos of each of two calibration seeds (101, 5151) and the 6 of the throughput set, the out-of-focus kernel
was kept once, on a photo reading 71, while motion kernels were kept from photos reading up to 79 with peaks as
weak as 3.5 (a 4-pixel blur). A photo reading 72-80 whose picture shows no clear motion (:func:`clear_motion`)
is not read again."""


MOTION_AGREEMENT_DEGREES = 10.0
"""How far apart (degrees) the directions of two motion estimates one pixel apart in length may be to agree."""


def clear_motion(blurs: Sequence[Blur]) -> bool:
    """Whether the motion ``blurs`` a picture shows agree with one another: two of them one pixel apart in
    length and about the same direction. A real motion's cepstral dip spreads to the neighbouring lengths
    along its direction (the estimate is often a pixel off for that reason); a lone dip, or dips in unrelated
    directions, come from the print itself (character pitch, JPEG blocks)."""
    for n, a in enumerate(blurs):
        for b in blurs[n + 1 :]:
            gap = abs(a.angle - b.angle) % 180.0
            if abs(a.length - b.length) == 1 and min(gap, 180.0 - gap) <= MOTION_AGREEMENT_DEGREES:
                return True
    return False


def deblur_kernels(mean_conf: float, blurs: Sequence[Blur]) -> list[Blur]:
    """The blurs worth taking out of a photo whose real words read at ``mean_conf`` and whose picture shows
    the motion ``blurs`` (strongest first): all of them and an out-of-focus one when it reads poorly, the
    motions alone when it reads fairly and they agree (:func:`clear_motion`; otherwise none: it is not read
    again).

    The fair readings (72-80) of 70 calibration photos (seeds 101 and 5151) and the throughput set's whose
    deblurred reading was kept (4) all showed agreeing motions; of the 3 whose deblurred reading was not
    kept, 2 showed a lone dip (a 9-pixel one, read again for twice the CPU time of the first reading) and
    one dips 21 degrees apart."""
    if mean_conf < ILLEGIBLE_MEAN_CONF:
        return [*blurs, OUT_OF_FOCUS]
    return list(blurs) if clear_motion(blurs) else []
