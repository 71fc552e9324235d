"""A narrow thermal-printer tique (80 mm): Courier, everything stacked, one long page."""

from __future__ import annotations

import io

from reportlab.pdfgen.canvas import Canvas

from minimarket.synth.invoices.draw import Pen
from minimarket.synth.invoices.layouts.base import Layout, doc_title, iva_label, summary_lines
from minimarket.synth.invoices.spec import InvoiceSpec

WIDTH = 226.8  # 80 mm
MARGIN = 10.0
SIZE = 7.2
LEADING = 9.0
FONT = "Courier"
BOLD = "Courier-Bold"


_SCRATCH_HEIGHT = 20000.0


class Thermal(Layout):
    """Electronic invoice printed in ticket format by the distributor's POS."""

    name = "thermal"
    font = FONT
    bold = BOLD

    def page_size(self, spec: InvoiceSpec) -> tuple[float, float]:
        scratch = Canvas(io.BytesIO())
        end = self._draw(scratch, spec, "ORIGINAL", _SCRATCH_HEIGHT)
        return (WIDTH, round(_SCRATCH_HEIGHT - end + 14))

    def draw_copy(self, canvas: Canvas, spec: InvoiceSpec, copy: str) -> int:
        size = self.page_size(spec)
        canvas.setPageSize(size)
        self._draw(canvas, spec, copy, size[1])
        canvas.showPage()
        return 1

    def _draw(self, canvas: Canvas, spec: InvoiceSpec, copy: str, height: float) -> float:
        """Draw from the top of a page ``height`` tall; returns the lowest y used."""
        width = WIDTH
        pen = Pen(canvas, spec, FONT, BOLD)
        mid = width / 2
        right = width - MARGIN
        y = height - 20

        def center(text: str, size: float = SIZE, bold: bool = False) -> None:
            nonlocal y
            pen.text(mid, y, text, size, bold=bold, align="center")
            y -= LEADING if size <= SIZE + 0.5 else size + 3

        def pair(left: str, value: str, bold: bool = False, size: float = SIZE) -> None:
            nonlocal y
            pen.text(MARGIN, y, left, size, bold=bold)
            pen.text(right, y, value, size, bold=bold, align="right")
            y -= LEADING if size <= SIZE + 0.5 else size + 3

        def left(text: str, size: float = SIZE, bold: bool = False) -> None:
            nonlocal y
            pen.text(MARGIN, y, text, size, bold=bold)
            y -= LEADING

        def rule() -> None:
            nonlocal y
            pen.text(MARGIN, y, "-" * 48, SIZE)
            y -= LEADING

        issuer = spec.issuer
        for line in pen.wrap(issuer.name.upper(), width - 2 * MARGIN, 9, bold=True):
            center(line, 9, bold=True)
        center(f"C.U.I.T. Nro.: {pen.cuit(issuer.cuit)}")
        center(f"Ing. Brutos: {issuer.iibb or '-'}")
        for line in pen.wrap(f"{issuer.address} - {issuer.city}", width - 2 * MARGIN, SIZE):
            center(line)
        if issuer.activity_start:
            center(f"Inicio de actividades: {pen.date(issuer.activity_start)}")
        center(iva_label(issuer.iva_condition, upper=True))
        rule()
        title = doc_title(spec)
        if spec.doc.is_fce:
            title = "FACTURA DE CREDITO MiPyME"
        center(f"{title} {spec.letter} (Cod. {spec.doc.code:03d})", 8, bold=True)
        center(f"Nro. {spec.point_of_sale:05d}-{spec.number:08d}", 8, bold=True)
        pair(f"Fecha: {pen.date(spec.issue_date)}", copy)
        rule()
        receiver = spec.receiver
        for line in pen.wrap(f"Cliente: {receiver.name}", width - 2 * MARGIN, SIZE):
            left(line)
        left(f"CUIT: {pen.cuit(receiver.cuit)}")
        left(iva_label(receiver.iva_condition))
        left(f"Cond. venta: {spec.payment_terms}")
        if spec.associated:
            left(f"Ref.: {spec.associated[:40]}")
        elif spec.remito:
            left(f"Remito: {spec.remito}")
        rule()
        left("CANT. x P.UNIT.            [%IVA]   IMPORTE")
        rule()
        for item in spec.items:
            left(item.description)
            rate = f"({pen.rate(item.vat_rate, 'num')})" if spec.discriminates_vat else ""
            qty = pen.qty(item, 3 if item.unit == "kg" else 0)
            pen.text(MARGIN + 6, y, f"{qty} x {pen.money(item.unit_price)}", SIZE)
            pen.text(right - 58, y, rate, SIZE, align="right")
            pen.text(right, y, pen.money(item.gross), SIZE, align="right")
            y -= LEADING
            if item.discount:
                pair(f"   Bonif. {pen.pct(item.discount_pct)}%", pen.money(-item.discount))
        rule()
        for label, value, is_total in summary_lines(pen, spec, "upper"):
            if is_total:
                y -= 3
                pair(label + " $", value, bold=True, size=10)
            else:
                pair(label, value)
        if spec.vat_contained is not None:
            rule()
            center("Régimen de Transparencia Fiscal")
            center("al Consumidor (Ley 27.743)")
            pair("IVA Contenido", pen.money(spec.vat_contained))
        rule()
        if spec.qr_text:
            y -= 110
            pen.qr(mid - 55, y, 110)
            y -= 12
        center(f"CAE: {spec.cae}")
        center(f"Vto. CAE: {pen.date(spec.cae_due_date)}")
        if spec.barcode:
            y -= 26
            pen.barcode(MARGIN, y, width - 2 * MARGIN, 22, digits_below=False)
            y -= 10
            center(spec.barcode, 5.5)
        center("Comprobante Autorizado por ARCA", 6.5)
        center("*** GRACIAS POR SU COMPRA ***", 6.5)
        return y
