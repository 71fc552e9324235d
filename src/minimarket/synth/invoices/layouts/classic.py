"""Classic layouts: a preprinted form printed in copies, a centred letterhead, and a dot-matrix form."""

from __future__ import annotations

from collections.abc import Sequence

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


def _columns(specs: list[tuple[str, float, str, object, bool]], left: float) -> list[Column]:
    out = []
    x = left
    for title, width, align, value, wrap in specs:
        out.append(Column(title, x, width, align, value, wrap))  # type: ignore[arg-type]
        x += width
    return out


class Copies(TableLayout):
    """Times preprinted form inside a double frame; ORIGINAL / DUPLICADO (/ TRIPLICADO) pages."""

    name = "copies"
    font = "Times-Roman"
    bold = "Times-Bold"
    table_top = 612
    body_bottom = 118
    last_bottom = 232
    ruled_to_bottom = True
    style = TableStyle(
        size=8.5,
        leading=10.5,
        header_size=8,
        header_height=16,
        header_fill=(0.92, 0.92, 0.92),
        vertical_rules=True,
        row_rules=True,
    )
    LEFT, RIGHT = 34.0, 561.0

    def columns(self, pen: Pen) -> Sequence[Column]:
        spec = pen.spec
        specs: list[tuple[str, float, str, object, bool]] = [
            ("Artículo", 60, "left", lambda i: i.code or "", False),
            ("Cantidad", 48, "right", lambda i: pen.qty(i, 2), False),
            ("Descripción", 195, "left", lambda i: i.description, True),
            ("Precio Unit.", 66, "right", lambda i: pen.money(i.unit_price), False),
            ("Dto. %", 38, "right", lambda i: pen.pct(i.discount_pct), False),
        ]
        if spec.discriminates_vat:
            specs.append(("% IVA", 40, "right", lambda i: pen.rate(i.vat_rate, "num"), False))
            specs.append(("Importe", 80, "right", lambda i: pen.money(i.amount), False))
        else:
            specs.append(("Importe", 120, "right", lambda i: pen.money(i.amount), False))
        return _columns(specs, self.LEFT)

    def header(self, pen: Pen, page: int, pages: int, copy: str) -> None:
        spec = pen.spec
        issuer = spec.issuer
        left, right = self.LEFT, self.RIGHT
        pen.box(22, 22, 551, 798, lw=1.2)
        pen.box(26, 26, 543, 790, lw=0.4)
        pen.box(right - 90, 790, 90, 18, lw=0.8)
        pen.text(right - 45, 795, copy, 10, bold=True, align="center")
        y = 780.0
        for line in pen.wrap(issuer.name, 220, 17, bold=True)[:2]:
            pen.text(left + 4, y, line, 17, bold=True)
            y -= 19
        pen.text(left + 4, y, f"{issuer.address}", 9)
        pen.text(left + 4, y - 11, f"({issuer.city})  Tel. {issuer.phone or '-'}", 9)
        pen.text(left + 4, y - 22, iva_label(issuer.iva_condition, upper=True), 9, bold=True)
        mid = 297.0
        pen.box(mid - 24, 744, 48, 48, lw=1.2)
        pen.text(mid, 760, spec.letter, 30, bold=True, align="center")
        pen.text(mid, 732, code_label(spec, "COD. {:03d}"), 8, bold=True, align="center")
        x = 350.0
        title = doc_title(spec)
        pen.text(x, 770, title, 16 if len(title) < 20 else 9, bold=True)
        pen.text(x, 752, f"N° {spec.point_of_sale:04d} - {spec.number:08d}", 13, bold=True)
        pen.text(x, 736, f"FECHA: {pen.date(spec.issue_date)}", 10)
        pen.text(x, 722, f"C.U.I.T. N°: {pen.cuit(issuer.cuit)}", 8.5)
        pen.text(x, 711, f"ING. BRUTOS: {issuer.iibb or '-'}", 8.5)
        if issuer.activity_start:
            pen.text(x, 700, f"INICIO DE ACTIVIDADES: {pen.date(issuer.activity_start)}", 8.5)
        pen.hline(26, 569, 690, lw=0.8)
        receiver = spec.receiver
        pen.text(left + 4, 674, f"Señor/es: {receiver.name}", 9.5)
        pen.text(left + 4, 660, f"Domicilio: {receiver.address} - {receiver.city}", 9)
        pen.text(left + 4, 646, f"I.V.A.: {iva_label(receiver.iva_condition)}", 9)
        pen.text(330, 646, f"C.U.I.T.: {pen.cuit(receiver.cuit)}", 9)
        pen.text(left + 4, 632, f"Condiciones de venta: {spec.payment_terms}", 9)
        if spec.remito:
            pen.text(330, 632, f"Remito N°: {spec.remito}", 9)
        if spec.associated:
            pen.text(330, 660, f"Ref.: {spec.associated}", 8)
        elif spec.cbu:
            pen.text(330, 660, f"CBU: {spec.cbu}", 8)
        pen.hline(26, 569, 622, lw=0.8)
        if pages > 1:
            pen.text(right, 626, f"Hoja {page}/{pages}", 7.5, align="right")

    def totals(self, pen: Pen) -> None:
        lines = summary_lines(pen, pen.spec, "upper")
        count = len(lines)
        width = (self.RIGHT - self.LEFT) / count
        x = self.LEFT
        for label, value, is_total in lines:
            pen.box(x, 176, width, 44, lw=0.8, fill=(0.9, 0.9, 0.9) if is_total else None)
            for n, part in enumerate(pen.wrap(label, width - 4, 7, bold=True)[:3]):
                pen.text(x + width / 2, 211 - 8 * n, part, 7, bold=True, align="center")
            pen.text(x + width / 2, 182, value, 9 if is_total else 8, bold=is_total, align="center")
            x += width
        if pen.spec.vat_contained is not None:
            pen.text(
                self.LEFT,
                164,
                "Régimen de Transparencia Fiscal al Consumidor (Ley 27.743) - "
                f"IVA Contenido: $ {pen.money(pen.spec.vat_contained)}",
                7.5,
            )

    def footer(self, pen: Pen, page: int, pages: int, last: bool) -> None:
        spec = pen.spec
        drew = pen.qr(self.LEFT, 34, 76)
        x = self.LEFT + (90 if drew else 0)
        pen.text(x, 96, f"C.A.E. N°: {spec.cae}", 10, bold=True)
        pen.text(x, 82, f"Fecha de Vto.: {pen.date(spec.cae_due_date)}", 10)
        if spec.barcode:
            pen.barcode(x, 44, 240, 24)
        pen.text(self.RIGHT, 40, "Original: cliente - Duplicado: archivo", 7, align="right", font="Times-Italic")


class ExtraPage(TableLayout):
    """Centred letterhead, key/value grid, underlined table with dotted row separators; plus a non-invoice page."""

    name = "extra_page"
    table_top = 618
    body_bottom = 110
    last_bottom = 240
    style = TableStyle(size=7.5, leading=9.5, header_size=7.5, header_height=15, header_fill=None, header_box=False)
    LEFT, RIGHT = 36.0, 559.0

    def columns(self, pen: Pen) -> Sequence[Column]:
        spec = pen.spec
        specs: list[tuple[str, float, str, object, bool]] = [
            ("Cód.", 62, "left", lambda i: i.code or "", False),
            ("Producto", 200, "left", lambda i: i.description, True),
            ("Cantidad", 46, "right", lambda i: pen.qty(i), False),
            ("Unidad", 36, "center", lambda i: unit_label(i, "lower"), False),
            ("Precio", 60, "right", lambda i: pen.money(i.unit_price), False),
            ("Dto.", 30, "right", lambda i: f"{pen.pct(i.discount_pct)}%" if i.discount_pct else "", False),
        ]
        if spec.discriminates_vat:
            specs.append(("Alíc.", 30, "right", lambda i: pen.rate(i.vat_rate), False))
            specs.append(("Subtotal", 59, "right", lambda i: pen.money(i.amount), False))
        else:
            specs.append(("Subtotal", 89, "right", lambda i: pen.money(i.amount), False))
        return _columns(specs, self.LEFT)

    def header(self, pen: Pen, page: int, pages: int, copy: str) -> None:
        spec = pen.spec
        issuer = spec.issuer
        left, right = self.LEFT, self.RIGHT
        mid = 297.5
        pen.text(mid, 800, issuer.name.upper(), 18, bold=True, align="center")
        pen.text(mid, 786, f"{issuer.address} · {issuer.city} · Tel. {issuer.phone or '-'}", 8, align="center")
        pen.hline(left, right, 778, lw=1.5)
        pen.box(mid - 20, 732, 40, 40, lw=1)
        pen.text(mid, 746, spec.letter, 24, bold=True, align="center")
        pen.text(mid, 724, code_label(spec, "Cód. {:02d}" if spec.doc.code < 100 else "Cód. {}"), 7, align="center")
        pen.text(left, 758, doc_title(spec), 13 if not spec.doc.is_fce else 8, bold=True)
        pen.text(left, 744, f"C.U.I.T.: {pen.cuit(issuer.cuit)}", 8)
        pen.text(left, 733, f"Ingresos Brutos: {issuer.iibb or '-'}", 8)
        pen.text(left, 722, iva_label(issuer.iva_condition), 8)
        if issuer.activity_start:
            pen.text(left, 711, f"Inicio de actividades: {pen.date(issuer.activity_start)}", 8)
        grid = [
            ("Punto de venta", f"{spec.point_of_sale:04d}"),
            ("Número", f"{spec.number:08d}"),
            ("Fecha", pen.date(spec.issue_date)),
            ("Vencimiento", pen.date(spec.payment_due) if spec.payment_due else "-"),
        ]
        y = 762.0
        for label, value in grid:
            pen.box(380, y - 4, 179, 13, lw=0.4)
            pen.text(384, y, label, 7.5)
            pen.text(right - 4, y, value, 8, bold=True, align="right")
            y -= 13
        pen.text(right, 812, copy, 7, align="right")
        receiver = spec.receiver
        pen.hline(left, right, 700, lw=0.6)
        pen.text(left, 686, f"Cliente: {receiver.name}", 9, bold=True)
        pen.text(left, 673, f"CUIT: {pen.cuit(receiver.cuit)}  -  {iva_label(receiver.iva_condition)}", 8)
        pen.text(left, 661, f"{receiver.address} - {receiver.city}", 8)
        pen.text(left, 649, f"Condición de venta: {spec.payment_terms}", 8)
        if spec.order_ref:
            pen.text(380, 686, f"Su orden: {spec.order_ref}", 8)
        if spec.seller:
            pen.text(380, 673, f"Vendedor: {spec.seller}", 8)
        if spec.remito:
            pen.text(380, 661, f"Remito: {spec.remito}", 8)
        if spec.associated:
            pen.text(left, 636, f"Comprobante asociado: {spec.associated}", 8)
        elif spec.cbu:
            pen.text(left, 636, f"CBU para transferencias: {spec.cbu}", 8)
        pen.hline(left, right, 628, lw=0.6)
        pen.hline(left, right, self.table_top - self.style.header_height, lw=1)
        if pages > 1:
            pen.text(right, 600, f"Página {page} de {pages}", 7, align="right")

    def totals(self, pen: Pen) -> None:
        spec = pen.spec
        lines = summary_lines(pen, spec, "long")
        y = 226.0
        pen.hline(self.LEFT, self.RIGHT, 236, lw=1)
        total_line = lines[-1]
        for label, value, _ in lines[:-1]:
            pen.text(self.LEFT, y, label, 8)
            pen.text(self.LEFT + 230, y, value, 8, align="right")
            y -= 11
        pen.box(380, 180, self.RIGHT - 380, 40, lw=1.2)
        pen.text(390, 203, total_line[0].upper(), 10, bold=True)
        pen.text(self.RIGHT - 8, 188, f"$ {total_line[1]}", 14, bold=True, align="right")
        if spec.vat_contained is not None:
            pen.text(380, 168, f"IVA Contenido (Ley 27.743): $ {pen.money(spec.vat_contained)}", 7.5)

    def footer(self, pen: Pen, page: int, pages: int, last: bool) -> None:
        spec = pen.spec
        drew = pen.qr(self.RIGHT - 80, 26, 80)
        x = self.RIGHT - (92 if drew else 0)
        pen.text(x, 92, f"CAE N° {spec.cae}", 9, bold=True, align="right")
        pen.text(x, 80, f"Vto. CAE: {pen.date(spec.cae_due_date)}", 9, align="right")
        if spec.barcode:
            pen.barcode(self.LEFT, 40, 230, 22)
        pen.text(self.LEFT, 24, "Documento no válido como remito.", 6.5, gray=0.4)


class DotMatrix(TableLayout):
    """Courier on a preprinted continuous form: upper case, fixed columns, CAE barcode."""

    name = "dot_matrix"
    font = "Courier"
    bold = "Courier-Bold"
    table_top = 600
    body_bottom = 130
    last_bottom = 250
    style = TableStyle(
        size=8,
        leading=10,
        header_size=8,
        header_height=14,
        header_fill=None,
        header_box=False,
        header_bold=False,
        row_gap=0.5,
    )
    LEFT, RIGHT = 30.0, 565.0

    def columns(self, pen: Pen) -> Sequence[Column]:
        spec = pen.spec

        def rate(item: SpecItem) -> str:
            return pen.rate(item.vat_rate, "num")

        specs: list[tuple[str, float, str, object, bool]] = [
            ("CANT", 50, "right", lambda i: pen.qty(i, 2), False),
            ("CODIGO", 68, "left", lambda i: i.code or "", False),
            ("DESCRIPCION", 205, "left", lambda i: i.description, False),
            ("P.UNIT", 64, "right", lambda i: pen.money(i.unit_price), False),
            ("%BON", 34, "right", lambda i: pen.pct(i.discount_pct) if i.discount_pct else "", False),
        ]
        if spec.discriminates_vat:
            specs.append(("IVA", 36, "right", rate, False))
            specs.append(("IMPORTE", 78, "right", lambda i: pen.money(i.amount), False))
        else:
            specs.append(("IMPORTE", 114, "right", lambda i: pen.money(i.amount), False))
        return _columns(specs, self.LEFT)

    def header(self, pen: Pen, page: int, pages: int, copy: str) -> None:
        spec = pen.spec
        issuer = spec.issuer
        left, right = self.LEFT, self.RIGHT
        # the preprinted part (thin lines) and the printed part (Courier)
        pen.box(left, 700, right - left, 112, lw=0.4)
        pen.box(285, 770, 34, 34, lw=0.8)
        pen.text(302, 781, spec.letter, 20, bold=True, align="center", font="Helvetica-Bold")
        pen.text(
            302,
            761,
            code_label(spec, "COD. {:02d}" if spec.doc.code < 100 else "COD. {}"),
            6,
            align="center",
            font="Helvetica",
        )
        pen.text(left + 8, 790, issuer.name.upper(), 12, bold=True, font="Helvetica-Bold")
        pen.text(left + 8, 776, (issuer.address or "").upper(), 7.5, font="Helvetica")
        pen.text(left + 8, 766, (issuer.city or "").upper(), 7.5, font="Helvetica")
        pen.text(left + 8, 756, iva_label(issuer.iva_condition, upper=True), 7.5, font="Helvetica-Bold")
        pen.text(left + 8, 740, f"CUIT: {pen.cuit(issuer.cuit)}  IIBB: {issuer.iibb or '-'}", 7, font="Helvetica")
        if issuer.activity_start:
            pen.text(left + 8, 730, f"INICIO ACT.: {pen.date(issuer.activity_start, '%d/%m/%Y')}", 7, font="Helvetica")
        title = doc_title(spec)
        pen.text(
            340, 792, title if len(title) < 20 else "FACTURA DE CREDITO MIPYME", 12, bold=True, font="Helvetica-Bold"
        )
        pen.text(340, 776, f"N. {spec.point_of_sale:04d}-{spec.number:08d}", 10, bold=True)
        pen.text(340, 760, f"FECHA {pen.date(spec.issue_date, '%d / %m / %y')}", 10)
        pen.text(right - 8, 716, copy, 7, align="right", font="Helvetica")
        receiver = spec.receiver
        pen.box(left, 622, right - left, 72, lw=0.4)
        pen.text(left + 8, 680, f"SR/ES: {receiver.name.upper()}", 9)
        pen.text(left + 8, 668, f"DOMIC: {receiver.address.upper()}", 9)
        pen.text(left + 8, 656, f"LOCAL: {receiver.city.upper()}", 9)
        pen.text(left + 8, 644, f"IVA: {iva_label(receiver.iva_condition, upper=True)}", 9)
        pen.text(left + 8, 632, f"COND.VTA: {spec.payment_terms.upper()}", 9)
        pen.text(330, 644, f"CUIT: {pen.cuit(receiver.cuit)}", 9)
        if spec.remito:
            pen.text(330, 632, f"REMITO: {spec.remito}", 9)
        if spec.associated:
            pen.text(330, 668, f"REF: {spec.associated.upper()}"[:40], 8)
        elif spec.cbu:
            pen.text(330, 668, f"CBU: {spec.cbu}", 8)
        pen.hline(left, right, self.table_top - self.style.header_height, lw=0.4, dash=(1, 1))
        if pages > 1:
            pen.text(right, 610, f"HOJA {page}/{pages}", 8, align="right")

    def totals(self, pen: Pen) -> None:
        spec = pen.spec
        pen.hline(self.LEFT, self.RIGHT, 244, lw=0.4, dash=(1, 1))
        lines = summary_lines(pen, spec, "upper")
        y = 232.0
        for label, value, is_total in lines:
            dots = "." * max(2, 30 - len(label))
            size = 10 if is_total else 8.5
            pen.text(300, y, f"{label}{dots}", size, bold=is_total)
            pen.text(self.RIGHT - 6, y, value, size, bold=is_total, align="right")
            y -= 11 if not is_total else 13
        if spec.vat_contained is not None:
            pen.text(self.LEFT + 4, 232, "REG. TRANSP. FISCAL LEY 27.743", 7.5)
            pen.text(self.LEFT + 4, 222, f"IVA CONTENIDO: {pen.money(spec.vat_contained)}", 7.5)

    def footer(self, pen: Pen, page: int, pages: int, last: bool) -> None:
        spec = pen.spec
        pen.text(self.LEFT + 4, 112, f"CAE: {spec.cae}   VTO. CAE: {pen.date(spec.cae_due_date)}", 9)
        if spec.barcode:
            pen.barcode(self.LEFT + 4, 70, 260, 26)
        pen.qr(self.RIGHT - 86, 40, 86)
