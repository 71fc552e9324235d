"""What every layout shares: the page loop (copies, extra page), pagination of item tables, wording."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from minimarket.domain.afip import IVA_CONDITION_LABELS, IvaCondition
from minimarket.synth.invoices.draw import Column, Pen, TableStyle
from minimarket.synth.invoices.spec import ZERO, InvoiceSpec, SpecItem

__all__ = ["Layout", "TableLayout", "code_label", "doc_title", "iva_label", "summary_lines", "unit_label"]

_UNIT_LABELS = {
    "long": {"un": "unidades", "kg": "kilogramos", "doc": "docenas", "bulto": "bultos"},
    "short": {"un": "UN", "kg": "KG", "doc": "DOC", "bulto": "BUL"},
    "lower": {"un": "un", "kg": "kg", "doc": "doc", "bulto": "bulto"},
    "box": {"un": "UNI", "kg": "KGS", "doc": "DOC", "bulto": "CJ"},
}


def unit_label(item: SpecItem, style: str = "short") -> str:
    return _UNIT_LABELS[style][item.unit]


def iva_label(condition: IvaCondition, upper: bool = False) -> str:
    """The condition as printed ("IVA Responsable Inscripto", "Responsable Monotributo")."""
    text = IVA_CONDITION_LABELS[condition]
    return text.upper() if upper else text


def doc_title(spec: InvoiceSpec, upper: bool = True) -> str:
    """ "FACTURA", "NOTA DE CRÉDITO", or the FCE MiPyME title."""
    if spec.doc.is_fce:
        title = (
            "Factura de Crédito Electrónica MiPyMEs (FCE)"
            if spec.doc.kind == "factura"
            else ("Nota de Crédito Electrónica MiPyMEs (FCE)")
        )
    elif spec.doc.kind == "nota_credito":
        title = "Nota de Crédito"
    elif spec.doc.kind == "nota_debito":
        title = "Nota de Débito"
    else:
        title = "Factura"
    return title.upper().replace("MIPYMES", "MiPyMEs") if upper else title


def code_label(spec: InvoiceSpec, style: str = "COD. {:02d}") -> str:
    return style.format(spec.doc.code)


def summary_lines(pen: Pen, spec: InvoiceSpec, style: str = "long") -> list[tuple[str, str, bool]]:
    """The totals block as (label, amount text, is_total); ``style`` "long", "short" or "upper"."""
    upper = style == "upper"
    short = style in {"short", "upper"}

    def lab(text: str) -> str:
        return text.upper() if upper else text

    out: list[tuple[str, str, bool]] = []
    discount = sum((item.discount for item in spec.items), ZERO)
    if spec.discriminates_vat:
        if discount:
            gross = sum((item.gross for item in spec.items), ZERO)
            out.append((lab("Subtotal"), pen.money(gross), False))
            out.append((lab("Bonificación" if not short else "Bonif."), pen.money(-discount), False))
        for vat in spec.vat:
            rate = pen.rate(vat.rate)
            out.append((lab(f"{'Neto Grav.' if short else 'Importe Neto Gravado'} {rate}"), pen.money(vat.base), False))
        if spec.exempt_amount:
            out.append((lab("Exento" if short else "Importe Exento"), pen.money(spec.exempt_amount), False))
        for vat in spec.vat:
            out.append((lab(f"IVA {pen.rate(vat.rate)}"), pen.money(vat.amount), False))
    else:
        out.append((lab("Subtotal"), pen.money(spec.net_amount), False))
    for tax in spec.other_taxes:
        label = tax.description if tax.rate is None else f"{tax.description} {pen.rate(tax.rate)}"
        out.append((lab(label), pen.money(tax.amount), False))
    out.append((lab("Total" if short else "Importe Total"), pen.money(spec.total), True))
    return out


class Layout:
    """A way of drawing an invoice; subclasses implement :meth:`draw_copy`."""

    name: ClassVar[str]
    pagesize: ClassVar[tuple[float, float]] = A4
    font: ClassVar[str] = "Helvetica"
    bold: ClassVar[str] = "Helvetica-Bold"

    def page_size(self, spec: InvoiceSpec) -> tuple[float, float]:
        return self.pagesize

    def draw(self, canvas: Canvas, spec: InvoiceSpec) -> int:
        """Draw every page (each copy, then the extra page); returns the number of pages."""
        pages = 0
        for copy in spec.copies:
            pages += self.draw_copy(canvas, spec, copy)
        if spec.extra_page:
            from minimarket.synth.invoices.layouts.extra import draw_extra_page

            canvas.setPageSize(A4)
            draw_extra_page(Pen(canvas, spec), spec)
            canvas.showPage()
            pages += 1
        return pages

    def draw_copy(self, canvas: Canvas, spec: InvoiceSpec, copy: str) -> int:
        raise NotImplementedError


class TableLayout(Layout):
    """A paged layout: header on every page, an item table, totals on the last page.

    Subclasses set the table geometry (``table_top``: top edge of the table header; ``body_bottom``: rows
    stop here on pages that are not the last; ``last_bottom``: rows stop here on the last page, whose
    totals sit below) and implement :meth:`columns`, :meth:`header`, :meth:`totals` and :meth:`footer`.
    """

    table_top: ClassVar[float] = 600
    body_bottom: ClassVar[float] = 110
    last_bottom: ClassVar[float] = 250
    style: ClassVar[TableStyle] = TableStyle()
    ruled_to_bottom: ClassVar[bool] = False
    """Draw the table frame and vertical rules down to the bottom limit (preprinted-form look)."""

    def columns(self, pen: Pen) -> Sequence[Column]:
        raise NotImplementedError

    def header(self, pen: Pen, page: int, pages: int, copy: str) -> None:
        raise NotImplementedError

    def totals(self, pen: Pen) -> None:
        raise NotImplementedError

    def footer(self, pen: Pen, page: int, pages: int, last: bool) -> None:
        raise NotImplementedError

    def paginate(self, pen: Pen, columns: Sequence[Column]) -> list[list[SpecItem]]:
        start = self.table_top - self.style.header_height - 2
        pages: list[list[SpecItem]] = [[]]
        y = start
        for item in pen.spec.items:
            height = pen.row_height(columns, item, self.style)
            if y - height < self.body_bottom and pages[-1]:
                pages.append([])
                y = start
            pages[-1].append(item)
            y -= height
        while y < self.last_bottom and pages[-1]:
            moved: list[SpecItem] = []
            while y < self.last_bottom and pages[-1]:
                item = pages[-1].pop()
                y += pen.row_height(columns, item, self.style)
                moved.insert(0, item)
            pages.append(moved)
            y = start - sum(pen.row_height(columns, item, self.style) for item in moved)
        if not pages[-1] and len(pages) > 1 and not pages[-2]:
            pages.pop()
        return pages

    def draw_copy(self, canvas: Canvas, spec: InvoiceSpec, copy: str) -> int:
        canvas.setPageSize(self.page_size(spec))
        pen = Pen(canvas, spec, self.font, self.bold)
        columns = self.columns(pen)
        pages = self.paginate(pen, columns)
        index = 0
        for number, rows in enumerate(pages, start=1):
            last = number == len(pages)
            self.header(pen, number, len(pages), copy)
            y = pen.table_header(columns, self.table_top, self.style)
            top_of_rows = y
            y -= 2
            for item in rows:
                y = pen.table_row(columns, item, y, self.style, index)
                index += 1
            if self.ruled_to_bottom:
                pen.table_rules(columns, top_of_rows, self.last_bottom if last else self.body_bottom)
            if last:
                self.totals(pen)
            self.footer(pen, number, len(pages), last)
            canvas.showPage()
        return len(pages)
