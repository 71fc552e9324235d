"""Modern layouts: a two-column header with zebra table (Vera font), and a wide landscape page."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from reportlab.lib.pagesizes import A4, landscape

from minimarket.domain.money import to_cents
from minimarket.synth.invoices.draw import Column, Pen, TableStyle
from minimarket.synth.invoices.layouts.base import (
    TableLayout,
    code_label,
    doc_title,
    iva_label,
    summary_lines,
    unit_label,
)
from minimarket.synth.invoices.spec import SpecItem

_ZERO = Decimal("0")


def _columns(specs: list[tuple[str, float, str, object, bool]], left: float) -> list[Column]:
    out = []
    x = left
    for title, width, align, value, wrap in specs:
        out.append(Column(title, x, width, align, value, wrap))  # type: ignore[arg-type]
        x += width
    return out


class TwoColumn(TableLayout):
    """Issuer on the left, document box on the right, rounded receiver box, striped table."""

    name = "two_column"
    font = "Vera"
    bold = "Vera-Bold"
    table_top = 610
    body_bottom = 120
    last_bottom = 250
    style = TableStyle(
        size=7,
        leading=9.5,
        header_size=7,
        header_height=16,
        header_fill=(0.82, 0.86, 0.92),
        header_box=False,
        zebra=(0.95, 0.95, 0.95),
        row_gap=2.5,
    )
    LEFT, RIGHT = 32.0, 563.0

    def columns(self, pen: Pen) -> Sequence[Column]:
        spec = pen.spec
        specs: list[tuple[str, float, str, object, bool]] = [
            ("Cant.", 40, "right", lambda i: pen.qty(i), False),
            ("Un.", 30, "center", lambda i: unit_label(i, "lower"), False),
            ("Código", 64, "left", lambda i: i.code or "", False),
            ("Descripción", 185, "left", lambda i: i.description, True),
            ("P. Unit.", 62, "right", lambda i: pen.money(i.unit_price), False),
            ("Desc. %", 38, "right", lambda i: pen.pct(i.discount_pct) if i.discount_pct else "-", False),
        ]
        if spec.discriminates_vat:
            specs.append(("IVA", 36, "right", lambda i: pen.rate(i.vat_rate), False))
            specs.append(("Importe", 76, "right", lambda i: pen.money(i.amount), False))
        else:
            specs.append(("Importe", 112, "right", lambda i: pen.money(i.amount), False))
        return _columns(specs, self.LEFT)

    def header(self, pen: Pen, page: int, pages: int, copy: str) -> None:
        spec = pen.spec
        issuer = spec.issuer
        left, right = self.LEFT, self.RIGHT
        pen.box(0, 700, 595.3, 142, fill=(0.93, 0.94, 0.96), stroke=False)
        y = 800.0
        for line in pen.wrap(issuer.name, 230, 15, bold=True)[:2]:
            pen.text(left, y, line, 15, bold=True)
            y -= 17
        y -= 2
        for line in (
            f"{issuer.address}, {issuer.city}",
            f"CUIT {pen.cuit(issuer.cuit)}  ·  IIBB {issuer.iibb or '-'}",
            iva_label(issuer.iva_condition),
            f"Inicio de actividades: {pen.date(issuer.activity_start)}" if issuer.activity_start else "",
            f"Tel. {issuer.phone}" if issuer.phone else "",
        ):
            if line:
                pen.text(left, y, line, 7.5)
                y -= 10
        pen.box(279, 786, 38, 38, fill=(1, 1, 1), lw=0.9)
        pen.text(298, 798, spec.letter, 22, bold=True, align="center")
        pen.text(
            298, 776, code_label(spec, "Código {:02d}" if spec.doc.code < 100 else "Código {}"), 6.5, align="center"
        )
        pen.box(340, 712, right - 340, 112, fill=(1, 1, 1), radius=6)
        title = doc_title(spec, upper=False)
        pen.text(352, 804, title, 13 if len(title) < 20 else 7.5, bold=True)
        rows = [
            ("Número", f"{spec.point_of_sale:05d}-{spec.number:08d}"),
            ("Fecha de emisión", pen.date(spec.issue_date)),
            ("Condición de venta", spec.payment_terms),
        ]
        if spec.payment_due:
            rows.append(("Vencimiento", pen.date(spec.payment_due)))
        if spec.remito:
            rows.append(("Remito", spec.remito))
        yy = 786.0
        for label, value in rows[:6]:
            pen.text(352, yy, label, 7.5, gray=0.35)
            pen.text(right - 10, yy, value, 8, bold=True, align="right")
            yy -= 13
        pen.text(right, 828, copy, 6.5, align="right", gray=0.4)
        receiver = spec.receiver
        pen.box(left, 632, right - left, 60, radius=6)
        pen.text(left + 10, 678, "CLIENTE", 6.5, gray=0.4)
        pen.text(left + 10, 665, receiver.name, 9, bold=True)
        pen.text(left + 10, 652, f"{receiver.address}, {receiver.city}", 7.5)
        pen.text(left + 10, 640, iva_label(receiver.iva_condition), 7.5)
        pen.text(330, 678, "CUIT", 6.5, gray=0.4)
        pen.text(330, 665, pen.cuit(receiver.cuit), 9, bold=True)
        if spec.associated:
            pen.text(330, 652, f"Asociado: {spec.associated}", 7)
        elif spec.cbu:
            pen.text(330, 652, f"CBU: {spec.cbu}", 7)
        if spec.order_ref:
            pen.text(330, 640, spec.order_ref, 7.5)
        if pages > 1:
            pen.text(right, 618, f"Página {page} de {pages}", 7, align="right", gray=0.4)

    def totals(self, pen: Pen) -> None:
        lines = summary_lines(pen, pen.spec, "long")
        x0, x1 = 330.0, self.RIGHT
        height = 13 * len(lines) + 12
        top = 242.0
        pen.box(x0, top - height, x1 - x0, height, radius=5)
        y = top - 14
        for label, value, is_total in lines:
            if is_total:
                pen.hline(x0 + 6, x1 - 6, y + 9, lw=0.4)
                pen.text(x0 + 10, y - 2, label, 10, bold=True)
                pen.text(x1 - 10, y - 2, f"$ {value}", 10, bold=True, align="right")
            else:
                pen.text(x0 + 10, y, label, 7.5)
                pen.text(x1 - 10, y, value, 7.5, align="right")
            y -= 13
        if pen.spec.vat_contained is not None:
            pen.text(self.LEFT, 236, "Régimen de Transparencia Fiscal al Consumidor (Ley 27.743)", 6.5, bold=True)
            pen.text(self.LEFT, 226, f"IVA Contenido: $ {pen.money(pen.spec.vat_contained)}", 7)

    def footer(self, pen: Pen, page: int, pages: int, last: bool) -> None:
        spec = pen.spec
        drew = pen.qr(self.LEFT, 26, 76)
        x = self.LEFT + (88 if drew else 0)
        pen.text(x, 88, "Comprobante autorizado", 8, bold=True)
        pen.text(x, 75, f"CAE {spec.cae}", 8)
        pen.text(x, 63, f"Vencimiento CAE {pen.date(spec.cae_due_date)}", 8)
        if spec.barcode:
            pen.barcode(x, 30, 220, 20, digits_below=False)
        pen.text(self.RIGHT, 26, "Gracias por su compra", 7, align="right", gray=0.4)


class Landscape(TableLayout):
    """A4 landscape with many columns (EAN, per-line VAT and total), totals as a horizontal strip."""

    name = "landscape"
    pagesize = landscape(A4)
    table_top = 430
    body_bottom = 70
    last_bottom = 150
    style = TableStyle(
        size=7, leading=9, header_size=6.5, header_height=18, header_fill=None, header_box=False, row_rules=True
    )
    LEFT, RIGHT = 26.0, 816.0

    def columns(self, pen: Pen) -> Sequence[Column]:
        spec = pen.spec

        def vat_amount(item: SpecItem) -> str:
            return pen.money(to_cents(item.amount * (item.vat_rate or _ZERO) / 100))

        def line_total(item: SpecItem) -> str:
            rate = item.vat_rate or _ZERO
            return pen.money(item.amount + to_cents(item.amount * rate / 100))

        specs: list[tuple[str, float, str, object, bool]] = [
            ("Código", 50, "left", lambda i: i.code if i.code and i.code != i.ean else "", False),
            ("EAN", 68, "left", lambda i: i.ean or "", False),
            ("Descripción", 200 if spec.discriminates_vat else 270, "left", lambda i: i.description, True),
            ("Cant.", 40, "right", lambda i: pen.qty(i), False),
            ("UM", 28, "center", lambda i: unit_label(i, "box"), False),
            ("Precio Unit.", 62, "right", lambda i: pen.money(i.unit_price), False),
            ("Bonif. %", 36, "right", lambda i: pen.pct(i.discount_pct), False),
            ("Bonif. $", 50, "right", lambda i: pen.money(i.discount), False),
        ]
        if spec.discriminates_vat:
            specs += [
                ("Neto", 66, "right", lambda i: pen.money(i.amount), False),
                ("IVA %", 34, "right", lambda i: pen.rate(i.vat_rate, "num"), False),
                ("IVA $", 56, "right", vat_amount, False),
                ("Total", 70, "right", line_total, False),
            ]
        else:
            specs.append(("Importe", 186, "right", lambda i: pen.money(i.amount), False))
        return _columns(specs, self.LEFT)

    def header(self, pen: Pen, page: int, pages: int, copy: str) -> None:
        spec = pen.spec
        issuer = spec.issuer
        left, right = self.LEFT, self.RIGHT
        start = pen.date(issuer.activity_start) if issuer.activity_start else "-"
        pen.text(left, 560, issuer.name.upper(), 16, bold=True)
        pen.text(left, 545, f"{issuer.address} - {issuer.city} - Tel. {issuer.phone or '-'}", 8)
        pen.text(left, 534, f"{iva_label(issuer.iva_condition)}  -  C.U.I.T. {pen.cuit(issuer.cuit)}", 8)
        pen.text(
            left,
            523,
            f"IIBB {issuer.iibb or '-'}  -  Inicio Act. {start}",
            8,
        )
        mid = 421.0
        pen.box(mid - 20, 530, 40, 40, lw=1)
        pen.text(mid, 543, spec.letter, 24, bold=True, align="center")
        pen.text(mid, 521, code_label(spec, "COD. {:03d}"), 7, bold=True, align="center")
        title = doc_title(spec)
        pen.text(
            right,
            558,
            f"{title} {spec.letter}" if len(title) < 20 else title,
            14 if len(title) < 20 else 9,
            bold=True,
            align="right",
        )
        pen.text(
            right, 541, f"Pto. Vta.: {spec.point_of_sale:04d}   Nro.: {spec.number:08d}", 10, bold=True, align="right"
        )
        pen.text(right, 527, f"Fecha de emisión: {pen.date(spec.issue_date)}", 9, align="right")
        pen.text(right, 515, copy, 7, align="right")
        receiver = spec.receiver
        pen.hline(left, right, 505, lw=1.2)
        pen.label(left, 490, "Cliente:", f"{receiver.name} ({receiver.trade_name or '-'})", 8)
        pen.label(left, 477, "C.U.I.T.:", pen.cuit(receiver.cuit), 8)
        pen.label(170, 477, "Condición IVA:", iva_label(receiver.iva_condition), 8)
        pen.label(left, 464, "Domicilio:", f"{receiver.address} - {receiver.city}", 8)
        pen.label(430, 490, "Condición de venta:", spec.payment_terms, 8)
        if spec.payment_due:
            pen.label(430, 477, "Vencimiento:", pen.date(spec.payment_due), 8)
        if spec.seller:
            pen.label(430, 464, "Vendedor:", spec.seller, 8)
        if spec.remito:
            pen.label(640, 490, "Remito:", spec.remito, 8)
        if spec.order_ref:
            pen.label(640, 477, "O. de compra:", spec.order_ref, 8)
        if spec.associated:
            pen.label(430, 451, "Comprobante asociado:", spec.associated, 8)
        elif spec.cbu:
            pen.label(430, 451, "CBU:", spec.cbu, 8)
        pen.hline(left, right, 444, lw=1.2)
        pen.hline(left, right, self.table_top - self.style.header_height, lw=0.8)
        if pages > 1:
            pen.text(right, 20, f"Pág. {page}/{pages}", 7, align="right")

    def totals(self, pen: Pen) -> None:
        spec = pen.spec
        lines = summary_lines(pen, spec, "short")
        pen.hline(self.LEFT, self.RIGHT, 142, lw=1)
        width = min(120.0, (self.RIGHT - self.LEFT - 100) / max(1, len(lines)))
        x = self.RIGHT - width * len(lines)
        for label, value, is_total in lines:
            pen.box(x, 100, width, 36, fill=(0.88, 0.88, 0.88) if is_total else None, lw=0.4)
            for n, part in enumerate(pen.wrap(label, width - 4, 6.5, bold=True)[:2]):
                pen.text(x + width / 2, 127 - 7 * n, part, 6.5, bold=True, align="center")
            pen.text(x + width / 2, 105, value, 9.5 if is_total else 8, bold=is_total, align="center")
            x += width
        if spec.vat_contained is not None:
            pen.text(self.LEFT, 128, "Régimen de Transparencia Fiscal al Consumidor (Ley 27.743)", 7, bold=True)
            pen.text(self.LEFT, 118, f"IVA Contenido: $ {pen.money(spec.vat_contained)}", 7)

    def footer(self, pen: Pen, page: int, pages: int, last: bool) -> None:
        spec = pen.spec
        if last:
            pen.qr(self.LEFT, 22, 70)
            pen.text(self.LEFT + 80, 70, f"CAE: {spec.cae}", 9, bold=True)
            pen.text(self.LEFT + 80, 58, f"Vto. CAE: {pen.date(spec.cae_due_date)}", 9)
            if spec.barcode:
                pen.barcode(self.LEFT + 250, 40, 230, 22)
        else:
            pen.text(self.RIGHT, 40, "Continúa en la hoja siguiente", 8, align="right")
