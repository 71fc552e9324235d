"""Cheap estimates that decide whether an expensive pass may pay, so it runs only where it does.

The OCR engine's first reading of a page decides almost everything: a page whose reading carries words only
an upright page yields is not read at other orientations (:func:`looks_upright`); a phone photo is read
again deblurred only when its reading is poor *and* its picture shows a blur worth taking out
(:func:`worth_deblurring`: the words' mean confidence and the strength of the cepstral blur peak, which
:func:`~minimarket.documents.ocr.deblur.blur_candidates` measures in a tenth of a Tesseract pass).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from minimarket.documents.ocr.deblur import Blur
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
"""Mean confidence of a photo's real words under which it is read again deblurred whatever its picture
shows (an out-of-focus photo shows no motion peak: the Gaussian kernel is tried)."""
STRONG_BLUR = 6.0
"""Cepstral peak (robust z-score) from which a photo reading between :data:`ILLEGIBLE_MEAN_CONF` and the
engine's ``SHARP_MEAN_CONF`` is read again deblurred. On 30 photos of a calibration seed (101) and the 6 of
the throughput set, every deblurred reading that was kept came from a photo that read under 72 or showed a
peak of 8.6 or more; photos that read 72-80 with a peak under 6 (3.5, 4.5, 5.5) never kept one, at 1.3-3 s
each."""


def worth_deblurring(mean_conf: float, blurs: Sequence[Blur]) -> bool:
    """Whether a photo whose real words read at ``mean_conf`` and whose picture shows the motion ``blurs``
    (strongest first) may read better deblurred: when it reads poorly, or fairly but with a clear motion."""
    if mean_conf < ILLEGIBLE_MEAN_CONF:
        return True
    return bool(blurs) and max(blur.strength for blur in blurs) >= STRONG_BLUR
