"""Which pages make up the invoice.

A PDF often holds more than the invoice: the same invoice three times (ORIGINAL / DUPLICADO /
TRIPLICADO), a work order or a remito attached after it, an e-mail printed at the end. And an invoice may
run over several pages (items continue, totals on the last page). Rules:

* an **invoice page** carries invoice evidence: a CAE with its 14 digits, "COD. 01", a point of sale and
  number, a valid CUIT, a totals label with a figure, "Comprobante Autorizado";
* a **copy** is an invoice page whose words and figures are (nearly) those of an earlier invoice page and
  whose page number, if printed, is the same: the first one is kept;
* anything else is an **extra** page and is not read for fields, items or totals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from minimarket.documents.linetext import PageView

_COPY_MARKER = re.compile(r"\b(ORIGINAL|DUPLICADO|TRIPLICADO|CUADRUPLICADO)\b")
_PAGE_NO = re.compile(r"\b(?:PAG(?:INA)?|HOJA|FOLIO)\s*(?:N°?\s*)?(\d{1,3})\s*(?:/|DE)\s*(\d{1,3})\b")
_PAGE_NO_SINGLE = re.compile(r"\b(?:PAG(?:INA)?|HOJA|FOLIO)\s*(?:N°?\s*)?(\d{1,3})\b")

_CAE_WITH_NUMBER = re.compile(r"\bC\s?A\s?E\s?A?\b[^0-9]{0,20}\d(?: ?\d){13}\b")
_DOC_CODE = re.compile(r"\bC\s?[O0]\s?D(?:IGO)?\s*(?:N°)?\s*0{0,2}\d{1,3}\b|\bC[O0]0?\d{2}\b")
_KIND = re.compile(r"\bFACTURA\b|\bNOTA\s*DE\s*(?:CREDITO|DEBITO)\b|\bTIQUE\b|\bRECIBO\b")
_PV_NUMBER = re.compile(r"(?<![\d/])\d{4,5}\s*-\s*\d{8}(?!\d)|PUNTO\s*DE\s*VENTA|PTO\s*(?:DE\s*)?VTA")
_CUIT = re.compile(r"\b(?:20|23|24|27|30|33|34)\s?-?\s?\d{8}\s?-?\s?\d\b")
_TOTALS = re.compile(r"\b(?:IMPORTE\s*TOTAL|NETO\s*GRAVADO|SUB\s?TOTAL|TOTAL)\b[^0-9]{0,25}\d")
_AUTHORISED = re.compile(r"COMPROBANTE\s*AUTORIZADO|ADMINISTRACION\s*FEDERAL")

_IDENTITY = re.compile(r"(?<![\d-])\d{4,5}\s*-\s*\d{8}(?![\d-])|(?<!\d)\d{14}(?!\d)")

INVOICE_THRESHOLD = 3.0
"""Evidence score from which a page is taken for an invoice page."""


@dataclass(slots=True)
class PageInfo:
    """What a page says about itself."""

    index: int
    score: float
    marker: str | None
    page_no: tuple[int, int | None] | None
    words: frozenset[str]
    numbers: frozenset[str]
    totals: bool = False
    """Whether the page prints a total with its figure."""
    identity: frozenset[str] = frozenset()
    """The invoice's own numbers printed on the page: point of sale-number and CAE (digits only)."""


@dataclass(slots=True)
class PageSelection:
    """The invoice's pages (in reading order) and what was left out."""

    views: list[PageView] = field(default_factory=list)
    copies: list[int] = field(default_factory=list)
    extra: list[int] = field(default_factory=list)
    infos: dict[int, PageInfo] = field(default_factory=dict)

    @property
    def indexes(self) -> list[int]:
        return [view.index for view in self.views]


def invoice_score(text: str) -> float:
    """How much a page's (normalised) text looks like an invoice page."""
    score = 0.0
    if _CAE_WITH_NUMBER.search(text):
        score += 2.0
    if _DOC_CODE.search(text):
        score += 1.0
    if _KIND.search(text):
        score += 0.5
    if _PV_NUMBER.search(text):
        score += 1.5
    if _CUIT.search(text):
        score += 1.0
    if _TOTALS.search(text):
        score += 1.0
    if _AUTHORISED.search(text):
        score += 0.5
    return score


def page_info(view: PageView) -> PageInfo:
    lines = [lt for lt in view.lines if lt.line.conf >= 0.3]
    norm_lines = [lt.norm for lt in lines]
    text = "\n".join(norm_lines)
    marker_match = _COPY_MARKER.search(text)
    page_no: tuple[int, int | None] | None = None
    m = _PAGE_NO.search(text)
    if m:
        page_no = (int(m.group(1)), int(m.group(2)))
    else:
        single = _PAGE_NO_SINGLE.search(text)
        if single:
            page_no = (int(single.group(1)), None)
    words = frozenset(w for line in norm_lines for w in line.split() if len(w) >= 3 and not _COPY_MARKER.fullmatch(w))
    numbers = frozenset(re.findall(r"\d[\d.,]*\d", "\n".join(lt.raw for lt in lines)))
    marker = marker_match.group(1) if marker_match else None
    raw_text = "\n".join(lt.raw for lt in lines)
    identity = frozenset(
        re.sub(r"\D", "", m) for m in _IDENTITY.findall(raw_text) if len(re.sub(r"\D", "", m)) in (12, 13, 14)
    )
    totals = bool(_TOTALS.search(text))
    return PageInfo(view.index, invoice_score(text), marker, page_no, words, numbers, totals, identity)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / max(len(a | b), 1)


def is_copy(page: PageInfo, of: PageInfo) -> bool:
    """Whether ``page`` repeats ``of`` (same words and figures, same page number if printed)."""
    if page.page_no is not None and of.page_no is not None and page.page_no[0] != of.page_no[0]:
        return False
    words, numbers = _jaccard(page.words, of.words), _jaccard(page.numbers, of.numbers)
    if words >= 0.75 and numbers >= 0.85:
        return True
    # OCR reads each copy a little differently: the same invoice number or CAE, or another copy marker
    # ("DUPLICADO" after "ORIGINAL"), with much the same content
    other_copy = page.marker is not None and of.marker is not None and page.marker != of.marker
    return (bool(page.identity & of.identity) or other_copy) and words >= 0.5 and numbers >= 0.6


def select_pages(views: list[PageView]) -> PageSelection:
    """Keep the invoice's own pages, drop copies and unrelated extra pages (see the module docstring)."""
    selection = PageSelection()
    infos = [page_info(view) for view in views]
    selection.infos = {info.index: info for info in infos}
    if not views:
        return selection
    invoice = [info for info in infos if info.score >= INVOICE_THRESHOLD]
    if not invoice:
        best = max(info.score for info in infos)
        invoice = [info for info in infos if info.score == best] if best > 0 else infos
        invoice = invoice[:1] if best > 0 else infos[:1]
    invoice_idx = {info.index for info in invoice}
    # a page numbered "2 de 3" right after an invoice page continues it even with little evidence of its own
    for k, info in enumerate(infos):
        if info.index in invoice_idx or info.page_no is None or k == 0:
            continue
        n, of = info.page_no
        prev = infos[k - 1]
        if prev.index in invoice_idx and n > 1 and (of is None or n <= of) and info.score >= 1.0:
            invoice_idx.add(info.index)
    # an invoice without totals continues on the next page when that page has them (page 2 without header)
    if not any(info.totals for info in infos if info.index in invoice_idx):
        for k, info in enumerate(infos):
            if info.index in invoice_idx or k == 0 or infos[k - 1].index not in invoice_idx:
                continue
            if info.totals and info.score >= 1.0:
                invoice_idx.add(info.index)
                break
    kept: list[PageInfo] = []
    for info in infos:
        if info.index not in invoice_idx:
            selection.extra.append(info.index)
            continue
        if any(is_copy(info, earlier) for earlier in kept):
            selection.copies.append(info.index)
            continue
        kept.append(info)
    if all(info.page_no is not None for info in kept):
        kept.sort(key=lambda info: (info.page_no[0] if info.page_no else 0, info.index))
    by_index = {view.index: view for view in views}
    selection.views = [by_index[info.index] for info in kept]
    return selection
