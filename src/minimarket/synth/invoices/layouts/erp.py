"""Distributor ERP invoices: one with a fully ruled grid, one with no table rules at all."""

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

LEFT, RIGHT = 28.0, 567.0


def _columns(specs: list[tuple[str, float, str, object, bool]], left: float) -> list[Column]:
    out = []
    x = left
    for title, width, align, value, wrap in specs:
        out.append(Column(title, x, width, align, value, wrap))  # type: ignore[arg-type]
        x += width
    return out


class ErpRuled(TableLayout):
    """A wholesaler's ERP: dark name band, boxed header, full grid, boxed totals, QR + CAE (+ barcode)."""

    name = "erp_ruled"
    table_top = 628
    body_bottom = 120
    last_bottom = 248
    ruled_to_bottom = True
    style = TableStyle(
        size=7.5, leading=9.5, header_size=7, header_height=15, header_fill=(0.9, 0.9, 0.9), vertical_rules=True
    )

    def columns(self, pen: Pen) -> Sequence[Column]:
        spec = pen.spec
        specs: list[tuple[str, float, str, object, bool]] = [
            ("Código", 62, "left", lambda i: i.code or "", False),
            ("Descripción", 196, "left", lambda i: i.description, True),
            ("Cant.", 40, "right", lambda i: pen.qty(i), False),
            ("UM", 26, "center", lambda i: unit_label(i, "short"), False),
            ("P. Unitario", 62, "right", lambda i: pen.money(i.unit_price), False),
            ("Bonif. %", 36, "right", lambda i: pen.pct(i.discount_pct) if i.discount_pct else "", False),
        ]
        if spec.discriminates_vat:
            specs.append(("IVA %", 36, "right", lambda i: pen.rate(i.vat_rate, "num"), False))
            specs.append(("Importe", 81, "right", lambda i: pen.money(i.amount), False))
        else:
            specs.append(("Importe", 117, "right", lambda i: pen.money(i.amount), False))
        return _columns(specs, LEFT)

    def header(self, pen: Pen, page: int, pages: int, copy: str) -> None:
        spec = pen.spec
        issuer = spec.issuer
        pen.box(LEFT, 780, 230, 36, fill=(0.12, 0.2, 0.38), stroke=False)
        name_size = 13 if len(issuer.name) < 28 else 10
        pen.text(LEFT + 8, 793, issuer.name.upper(), name_size, bold=True, gray=1.0)
        pen.text(LEFT, 768, f"{issuer.address} - {issuer.city}", 7.5)
        pen.text(LEFT, 758, f"Tel.: {issuer.phone or '-'}", 7.5)
        pen.text(LEFT, 748, iva_label(issuer.iva_condition, upper=True), 7.5, bold=True)
        mid = 300.0
        pen.box(mid - 18, 776, 36, 36, lw=1)
        pen.text(mid, 786, spec.letter, 24, bold=True, align="center")
        pen.text(mid, 766, code_label(spec, "Cód. {:02d}"), 6.5, align="center")
        x = 370.0
        title = doc_title(spec)
        pen.text(x, 798, title, 14 if len(title) < 18 else 8.5, bold=True)
        pen.text(x, 782, f"N° {spec.point_of_sale:04d}-{spec.number:08d}", 12, bold=True)
        pen.label(x, 768, "Fecha:", pen.date(spec.issue_date), 8)
        pen.label(x, 757, "C.U.I.T.:", pen.cuit(issuer.cuit), 8)
        pen.label(x, 746, "Ing. Brutos:", issuer.iibb or "-", 8)
        if issuer.activity_start:
            pen.label(x, 735, "Inicio de Actividades:", pen.date(issuer.activity_start), 8)
        pen.text(RIGHT, 822, copy, 7, align="right")
        receiver = spec.receiver
        pen.box(LEFT, 650, RIGHT - LEFT, 76, radius=4)
        pen.label(LEFT + 8, 712, "Señor(es):", receiver.name, 8)
        pen.label(LEFT + 8, 699, "Domicilio:", receiver.address, 8)
        pen.label(LEFT + 8, 686, "Localidad:", receiver.city, 8)
        pen.label(LEFT + 8, 673, "I.V.A.:", iva_label(receiver.iva_condition), 8)
        pen.label(LEFT + 8, 660, "Cond. de venta:", spec.payment_terms, 8)
        x2 = 340.0
        pen.label(x2, 712, "C.U.I.T.:", pen.cuit(receiver.cuit), 8)
        if spec.remito:
            pen.label(x2, 699, "Remito N°:", spec.remito, 8)
        if spec.seller:
            pen.label(x2, 686, "Vendedor:", spec.seller, 8)
        if spec.order_ref:
            pen.label(x2, 673, "Orden de compra:", spec.order_ref, 8)
        if spec.payment_due:
            pen.label(x2, 660, "Vencimiento:", pen.date(spec.payment_due), 8)
        if spec.associated:
            pen.label(LEFT, 636, "Comprobante asociado:", spec.associated, 8)
        elif spec.cbu:
            pen.label(LEFT, 636, "CBU del emisor:", spec.cbu, 8)
        if pages > 1:
            pen.text(RIGHT, 636, f"Hoja {page} de {pages}", 8, align="right")

    def totals(self, pen: Pen) -> None:
        lines = summary_lines(pen, pen.spec, "short")
        x0, x1 = 370.0, RIGHT
        top = 240.0
        height = 12.0
        for label, value, is_total in lines:
            h = height + (4 if is_total else 0)
            pen.box(x0, top - h, x1 - x0, h, fill=(0.9, 0.9, 0.9) if is_total else None)
            size = 10 if is_total else 7.5
            pen.text(x0 + 4, top - h + 3.5, label.upper() if is_total else label, size, bold=is_total)
            pen.text(x1 - 4, top - h + 3.5, ("$ " if is_total else "") + value, size, bold=is_total, align="right")
            top -= h
        if pen.spec.vat_contained is not None:
            pen.text(LEFT, 230, "Régimen de Transparencia Fiscal al Consumidor (Ley 27.743)", 7, bold=True)
            pen.text(LEFT, 220, f"IVA Contenido: $ {pen.money(pen.spec.vat_contained)}", 7)

    def footer(self, pen: Pen, page: int, pages: int, last: bool) -> None:
        spec = pen.spec
        drew = pen.qr(LEFT, 28, 80)
        x = LEFT + (92 if drew else 0)
        pen.label(x, 92, "CAE N°:", spec.cae, 9)
        pen.label(x, 79, "Fecha Vto. CAE:", pen.date(spec.cae_due_date), 9)
        pen.text(x, 66, "Comprobante autorizado - ARCA", 7)
        if spec.barcode:
            pen.barcode(x, 34, 230, 22)
        pen.text(RIGHT, 20, f"Página {page} de {pages}", 7, align="right")


class ErpPlain(TableLayout):
    """An older ERP print: Times, no table rules, quantity first, totals as a row of labels."""

    name = "erp_plain"
    font = "Times-Roman"
    bold = "Times-Bold"
    table_top = 600
    body_bottom = 150
    last_bottom = 270
    style = TableStyle(
        size=8.5, leading=10.5, header_size=8, header_height=16, header_fill=None, header_box=True, header_bold=False
    )

    def columns(self, pen: Pen) -> Sequence[Column]:
        spec = pen.spec

        def code_desc(item: SpecItem) -> str:
            return f"{item.code}  {item.description}" if item.code else item.description

        specs: list[tuple[str, float, str, object, bool]] = [
            ("CANTIDAD", 56, "right", lambda i: pen.qty(i, 2), False),
            ("DESCRIPCION", 230, "left", code_desc, True),
            ("PRECIO UNITARIO", 78, "right", lambda i: pen.money(i.unit_price), False),
            ("BONIF.", 40, "right", lambda i: pen.pct(i.discount_pct) if i.discount_pct else "", False),
        ]
        if spec.discriminates_vat:
            specs.append(("ALICUOTA IVA", 58, "center", lambda i: pen.rate(i.vat_rate, "paren"), False))
            specs.append(("PRECIO NETO", 77, "right", lambda i: pen.money(i.amount), False))
        else:
            specs.append(("IMPORTE", 135, "right", lambda i: pen.money(i.amount), False))
        return _columns(specs, LEFT)

    def header(self, pen: Pen, page: int, pages: int, copy: str) -> None:
        spec = pen.spec
        issuer = spec.issuer
        pen.text(150, 790, issuer.name, 16 if len(issuer.name) < 30 else 12, bold=True, align="center")
        y = 774.0
        for line in (
            (issuer.address or "").upper(),
            (issuer.city or "").upper(),
            f"Tel. {issuer.phone}" if issuer.phone else "",
            iva_label(issuer.iva_condition, upper=True),
        ):
            if line:
                pen.text(150, y, line, 7.5, align="center", font="Courier")
                y -= 9.5
        mid = 300.0
        pen.box(mid - 22, 760, 44, 52)
        pen.text(mid - 14, 792, spec.letter, 14, bold=True)
        pen.text(mid - 14, 776, code_label(spec, "Código {:02d}"), 7.5)
        pen.vline(mid, 760, 700)
        pen.text(460, 800, copy, 8, align="center")
        title = doc_title(spec).title() if not spec.doc.is_fce else doc_title(spec)
        pen.text(370, 770, f"{title} Nº {spec.point_of_sale:04d}-{spec.number:08d}", 10.5, bold=True)
        pen.label(370, 752, "Fecha:", pen.date(spec.issue_date), 8)
        pen.label(370, 732, "C.U.I.T.:", pen.cuit(issuer.cuit), 8)
        pen.label(370, 722, "Ingresos Brutos:", issuer.iibb or "-", 8)
        if issuer.activity_start:
            pen.label(370, 712, "Inicio de Actividades:", pen.date(issuer.activity_start, "%d/%m/%y"), 8)
        receiver = spec.receiver
        pen.box(LEFT, 620, RIGHT - LEFT, 74)
        pen.text(60, 678, receiver.name, 8.5)
        pen.text(340, 678, f"C.U.I.T.: {pen.cuit(receiver.cuit)}", 8.5)
        pen.text(60, 666, f"{receiver.address.upper()}    {receiver.city.upper()}", 8.5)
        pen.text(60, 654, iva_label(receiver.iva_condition, upper=True), 8.5)
        pen.text(60, 640, f"COND. VENTA: {spec.payment_terms}", 8.5)
        if spec.remito:
            pen.text(340, 654, f"REMITO: {spec.remito}", 8.5)
        if spec.associated:
            pen.text(60, 627, f"COMPROBANTE ASOCIADO: {spec.associated}", 8.5)
        elif spec.cbu:
            pen.text(60, 627, f"CBU: {spec.cbu}", 8.5)

    def totals(self, pen: Pen) -> None:
        spec = pen.spec
        pen.box(LEFT, 150, RIGHT - LEFT, 112)
        if spec.discriminates_vat:
            heads = [
                "SUBTOTAL",
                "ALICUOTA IVA",
                "IVA$",
                "PERCEPCIONES IVA",
                "PERCEPCIONES OTROS",
                "IMP. INTERNOS",
                "EXENTO",
            ]
            xs = [70, 140, 205, 280, 370, 450, 520]
            for x, head in zip(xs, heads, strict=True):
                pen.text(x, 248, head, 7, align="center")
            by_kind: dict[str, list[str]] = {"percepcion_iva": [], "percepcion_iibb": [], "impuestos_internos": []}
            for tax in spec.other_taxes:
                by_kind.setdefault(str(tax.kind), []).append(pen.money(tax.amount))
            y = 237.0
            for n, vat in enumerate(spec.vat):
                pen.text(xs[0], y, pen.money(vat.base), 8, align="center")
                pen.text(xs[1], y, pen.number(vat.rate, 2), 8, align="center")
                pen.text(xs[2], y, pen.money(vat.amount), 8, align="center")
                if n == 0:
                    for x, kind in zip(
                        xs[3:6], ("percepcion_iva", "percepcion_iibb", "impuestos_internos"), strict=True
                    ):
                        pen.text(
                            x, y, " ".join(by_kind.get(kind, [])) or pen.money(spec.net_amount * 0), 8, align="center"
                        )
                    pen.text(xs[6], y, pen.money(spec.exempt_amount), 8, align="center")
                y -= 11
        else:
            pen.text(90, 248, "SUBTOTAL", 7, align="center")
            pen.text(90, 237, pen.money(spec.net_amount), 8, align="center")
            tx = 200.0
            for tax in spec.other_taxes:
                pen.text(tx, 248, tax.description.upper(), 7, align="center")
                pen.text(tx, 237, pen.money(tax.amount), 8, align="center")
                tx += 120
        pen.text(380, 190, "TOTAL", 12, bold=True)
        pen.text(440, 190, "$", 12, bold=True)
        pen.text(550, 190, pen.money(spec.total), 12, bold=True, align="right")
        pen.text(70, 165, f"Recibí(mos): {spec.payment_terms}", 8)
        if spec.vat_contained is not None:
            pen.text(300, 165, f"IVA Contenido (Ley 27.743): $ {pen.money(spec.vat_contained)}", 8)

    def footer(self, pen: Pen, page: int, pages: int, last: bool) -> None:
        spec = pen.spec
        pen.hline(LEFT + 40, RIGHT - 40, 140, lw=0.5, dash=(3, 2))
        drew = pen.qr(75, 40, 88)
        x = 180.0 if drew else 75.0
        pen.text(x, 118, f"C.A.E. Nº  {spec.cae}", 8.5)
        pen.text(x, 104, f"Fecha de Vencimiento: {pen.date(spec.cae_due_date)}", 8.5)
        if spec.barcode:
            pen.barcode(x, 58, 240, 24)
        if pages > 1:
            pen.text(RIGHT, 125, f"Hoja {page}/{pages}", 8, align="right")
