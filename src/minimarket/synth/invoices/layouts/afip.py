"""ARCA's "Comprobantes en línea" look: ORIGINAL band, letter box, boxed totals listing every VAT rate."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from minimarket.domain.money import to_cents
from minimarket.synth.invoices.draw import Column, Pen, TableStyle
from minimarket.synth.invoices.layouts.base import TableLayout, code_label, doc_title, iva_label, unit_label
from minimarket.synth.invoices.spec import SpecItem

_ALL_RATES = (Decimal("27"), Decimal("21"), Decimal("10.5"), Decimal("5"), Decimal("2.5"), Decimal("0"))
LEFT, RIGHT = 20.0, 575.0


class AfipRce(TableLayout):
    """Mimics invoices issued with ARCA's free web service (RCE)."""

    name = "afip_rce"
    table_top = 608
    body_bottom = 128
    last_bottom = 262
    style = TableStyle(size=7.5, leading=9, header_size=6.5, header_height=16, header_fill=(0.8, 0.8, 0.8))

    def columns(self, pen: Pen) -> Sequence[Column]:
        spec = pen.spec

        def sub(item: SpecItem) -> str:
            return pen.money(item.amount, grouping=False)

        if spec.discriminates_vat:

            def with_vat(item: SpecItem) -> str:
                rate = item.vat_rate or Decimal(0)
                return pen.money(to_cents(item.amount * (1 + rate / 100)), grouping=False)

            widths = [
                ("Código", 60, "left", lambda i: i.code or "", False),
                ("Producto / Servicio", 146, "left", lambda i: i.description, True),
                ("Cantidad", 44, "right", lambda i: pen.qty(i, 2), False),
                ("U. medida", 44, "left", lambda i: unit_label(i, "long"), False),
                ("Precio Unit.", 54, "right", lambda i: pen.money(i.unit_price, grouping=False), False),
                ("% Bonif", 32, "right", lambda i: pen.pct(i.discount_pct), False),
                ("Subtotal", 56, "right", sub, False),
                ("Alicuota IVA", 34, "center", lambda i: pen.rate(i.vat_rate), False),
                ("Subtotal c/IVA", 85, "right", with_vat, False),
            ]
        else:
            widths = [
                ("Código", 60, "left", lambda i: i.code or "", False),
                ("Producto / Servicio", 180, "left", lambda i: i.description, True),
                ("Cantidad", 48, "right", lambda i: pen.qty(i, 2), False),
                ("U. medida", 50, "left", lambda i: unit_label(i, "long"), False),
                ("Precio Unit.", 60, "right", lambda i: pen.money(i.unit_price, grouping=False), False),
                ("% Bonif", 36, "right", lambda i: pen.pct(i.discount_pct), False),
                ("Imp. Bonif.", 50, "right", lambda i: pen.money(i.discount, grouping=False), False),
                ("Subtotal", 71, "right", sub, False),
            ]
        out = []
        x = LEFT
        for title, width, align, value, wrap in widths:
            out.append(Column(title, x, width, align, value, wrap))
            x += width
        return out

    def header(self, pen: Pen, page: int, pages: int, copy: str) -> None:
        spec = pen.spec
        issuer = spec.issuer
        mid = (LEFT + RIGHT) / 2
        pen.box(LEFT, 790, RIGHT - LEFT, 22)
        pen.text(mid, 797, copy, 12, bold=True, align="center")
        pen.box(LEFT, 682, RIGHT - LEFT, 108)
        pen.box(mid - 21, 748, 42, 42, lw=0.8)
        pen.text(mid, 764, spec.letter, 26, bold=True, align="center")
        pen.text(
            mid,
            752,
            code_label(spec, "COD. {:02d}" if spec.doc.code < 100 else "COD. {}"),
            6.5,
            bold=True,
            align="center",
        )
        pen.vline(mid, 748, 682)
        name_lines = pen.wrap(issuer.name.upper(), 240, 15, bold=True)[:2]
        y = 762 if len(name_lines) == 1 else 770
        for line in name_lines:
            pen.text(30, y, line, 15, bold=True)
            y -= 17
        pen.label(30, 728, "Razón Social:", issuer.name.upper(), 7.5)
        pen.label(30, 712, "Domicilio Comercial:", f"{issuer.address} - {issuer.city}", 7.5)
        pen.label(30, 694, "Condición frente al IVA:", iva_label(issuer.iva_condition), 7.5)
        title = doc_title(spec)
        pen.text(mid + 32, 764, title, 16 if len(title) < 20 else 9, bold=True)
        x = pen.label(mid + 32, 744, "Punto de Venta:", f"{spec.point_of_sale:05d}", 8)
        pen.label(x + 14, 744, "Comp. Nro:", f"{spec.number:08d}", 8)
        pen.label(mid + 32, 731, "Fecha de Emisión:", pen.date(spec.issue_date), 8)
        pen.label(mid + 32, 714, "CUIT:", issuer.cuit, 7.5)
        pen.label(mid + 32, 703, "Ingresos Brutos:", issuer.iibb or issuer.cuit, 7.5)
        start = pen.date(issuer.activity_start) if issuer.activity_start else "-"
        pen.label(mid + 32, 692, "Fecha de Inicio de Actividades:", start, 7.5)
        # period / due date band
        pen.box(LEFT, 666, RIGHT - LEFT, 14)
        x = pen.label(30, 670, "Período Facturado Desde:", pen.date(spec.issue_date), 7.5)
        x = pen.label(x + 14, 670, "Hasta:", pen.date(spec.issue_date), 7.5)
        if spec.payment_due:
            pen.label(x + 20, 670, "Fecha de Vto. para el pago:", pen.date(spec.payment_due), 7.5)
        # receiver
        receiver = spec.receiver
        pen.box(LEFT, 614, RIGHT - LEFT, 50)
        pen.label(26, 652, "CUIT:", receiver.cuit, 7.5)
        pen.label(220, 652, "Apellido y Nombre / Razón Social:", receiver.name, 7.5)
        pen.label(26, 639, "Condición frente al IVA:", iva_label(receiver.iva_condition), 7.5)
        pen.label(260, 639, "Domicilio:", f"{receiver.address} - {receiver.city}", 7.5)
        pen.label(26, 626, "Condición de venta:", spec.payment_terms, 7.5)
        if spec.associated:
            pen.label(260, 626, "Comprobante asociado:", spec.associated, 7.5)
        elif spec.cbu:
            pen.label(260, 626, "CBU del Emisor:", spec.cbu, 7.5)

    def totals(self, pen: Pen) -> None:
        spec = pen.spec
        pen.box(LEFT, 132, RIGHT - LEFT, 122)
        label_x, value_x = 488, 568
        y = 240
        if spec.other_taxes:
            pen.text(28, 240, "Otros tributos", 7.5, bold=True)
            pen.box(28, 214, 300, 12, fill=(0.85, 0.85, 0.85), stroke=False)
            for x, title in ((32, "Descripción"), (170, "Detalle"), (240, "Alíc. %"), (322, "Importe")):
                pen.text(x, 217, title, 7, bold=True, align="right" if title == "Importe" else "left")
            ty = 204
            for tax in spec.other_taxes:
                pen.text(32, ty, tax.description, 7)
                pen.text(240, ty, pen.number(tax.rate, 2) if tax.rate is not None else "", 7)
                pen.text(322, ty, pen.money(tax.amount, grouping=False), 7, align="right")
                ty -= 10
        else:
            pen.label(150, 240, "Importe Otros Tributos: $", pen.money(spec.other_taxes_total, grouping=False), 8)
        rows: list[tuple[str, Decimal]] = []
        if spec.discriminates_vat:
            rows.append(("Importe Neto Gravado: $", spec.net_amount))
            if spec.exempt_amount:
                rows.append(("Importe Exento: $", spec.exempt_amount))
            by_rate = {v.rate: v.amount for v in spec.vat}
            for rate in _ALL_RATES:
                text = format(rate.normalize(), "f")
                rows.append((f"IVA {text}%: $", by_rate.get(rate, Decimal("0"))))
        else:
            rows.append(("Subtotal: $", spec.net_amount))
        rows.append(("Importe Otros Tributos: $", spec.other_taxes_total))
        step = 11 if len(rows) < 10 else 10
        y = 240
        for label, value in rows:
            pen.text(label_x, y, label, 8, bold=True, align="right")
            pen.text(value_x, y, pen.money(value, grouping=False), 8, bold=True, align="right")
            y -= step
        pen.text(label_x, y - 2, "Importe Total: $", 9.5, bold=True, align="right")
        pen.text(value_x, y - 2, pen.money(spec.total, grouping=False), 9.5, bold=True, align="right")
        if spec.vat_contained is not None:
            pen.box(28, 138, 300, 34)
            pen.text(32, 162, "Régimen de Transparencia Fiscal al Consumidor (Ley 27.743)", 7, bold=True)
            pen.label(32, 151, "IVA Contenido: $", pen.money(spec.vat_contained, grouping=False), 7)
            pen.label(32, 141, "Otros Impuestos Nacionales Indirectos: $", pen.money(Decimal(0), grouping=False), 7)

    def footer(self, pen: Pen, page: int, pages: int, last: bool) -> None:
        spec = pen.spec
        pen.qr(22, 28, 88)
        pen.text(122, 92, "ARCA", 24, bold=True, gray=0.35)
        pen.text(122, 72, "Comprobante Autorizado", 8.5, bold=True)
        pen.text(
            122,
            60,
            "Esta Agencia no se responsabiliza por los datos ingresados en el detalle de la operación",
            5.5,
            font="Helvetica-Oblique",
        )
        pen.text(297, 118, f"Pág. {page}/{pages}", 8, bold=True, align="center")
        pen.label(430, 100, "CAE N°:", spec.cae, 9)
        pen.label(400, 87, "Fecha de Vto. de CAE:", pen.date(spec.cae_due_date), 9)
        if spec.barcode:
            pen.barcode(330, 30, 230, 22)
