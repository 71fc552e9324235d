"""Non-invoice pages that suppliers staple to invoices: a price list of offers, or commercial terms.

They carry numbers, dates and product names that are *not* the invoice's, so an extractor has to tell
pages apart.
"""

from __future__ import annotations

from decimal import Decimal

from minimarket.domain.money import to_cents
from minimarket.synth.invoices.draw import Pen
from minimarket.synth.invoices.spec import InvoiceSpec

LEFT, RIGHT = 48.0, 547.0

_TERMS = (
    "1. Los precios incluyen bonificaciones comerciales vigentes a la fecha de emisión y pueden variar sin previo "
    "aviso.",
    "2. Los reclamos por faltantes o mercadería dañada deberán realizarse al momento de la entrega, dejando "
    "constancia en el remito.",
    "3. Las devoluciones se aceptan dentro de los 7 días con la mercadería en su envase original y se "
    "documentan con nota de crédito.",
    "4. Los pagos fuera de término devengarán un interés punitorio del 4% mensual.",
    "5. Los cheques deberán emitirse a la orden de la empresa, no a la orden.",
    "6. Horario de recepción de pedidos: lunes a viernes de 8 a 17 hs. Pedido mínimo para envío sin cargo: $ 150.000.",
)


def draw_extra_page(pen: Pen, spec: InvoiceSpec) -> None:
    """Draw the page named by ``spec.extra_page`` on the current (A4) page."""
    if spec.extra_page == "ofertas":
        _offers(pen, spec)
    else:
        _terms(pen, spec)


def _offers(pen: Pen, spec: InvoiceSpec) -> None:
    issuer = spec.issuer
    pen.text(297, 790, issuer.name.upper(), 14, bold=True, align="center")
    pen.box(LEFT, 730, RIGHT - LEFT, 40, fill=(0.85, 0.1, 0.1), stroke=False)
    pen.text(297, 744, "¡OFERTAS DE LA SEMANA!", 20, bold=True, align="center", gray=1.0)
    pen.text(
        297,
        712,
        f"Válidas del {pen.date(spec.issue_date)} hasta agotar stock. Precios finales con IVA.",
        9,
        align="center",
    )
    y = 680.0
    pen.text(LEFT, y, "Producto", 9, bold=True)
    pen.text(400, y, "Antes", 9, bold=True, align="right")
    pen.text(RIGHT, y, "Oferta", 9, bold=True, align="right")
    pen.hline(LEFT, RIGHT, y - 4)
    y -= 18
    for item in spec.items[:24]:
        before = to_cents(item.unit_price * Decimal("1.35"))
        offer = to_cents(before * Decimal("0.85"))
        pen.text(LEFT, y, item.description[:60], 9)
        pen.text(400, y, f"$ {pen.money(before)}", 9, align="right", gray=0.45)
        pen.text(RIGHT, y, f"$ {pen.money(offer)}", 10, bold=True, align="right")
        y -= 15
        if y < 120:
            break
    pen.text(297, 80, "Consulte a su vendedor por precios por bulto cerrado.", 9, align="center")
    pen.text(
        297,
        66,
        f"Pedidos: {issuer.phone or '-'}  ·  Días de visita: {', '.join(issuer.order_days) or '-'}",
        9,
        align="center",
    )


def _terms(pen: Pen, spec: InvoiceSpec) -> None:
    issuer = spec.issuer
    pen.text(LEFT, 790, issuer.name.upper(), 13, bold=True)
    pen.text(LEFT, 776, f"{issuer.address} - {issuer.city}", 8)
    pen.hline(LEFT, RIGHT, 768)
    pen.text(297, 740, "CONDICIONES GENERALES DE VENTA", 14, bold=True, align="center")
    y = 710.0
    for paragraph in _TERMS:
        y = pen.paragraph(LEFT, y, paragraph, RIGHT - LEFT, 9.5, 12.5) - 8
    y -= 12
    pen.text(LEFT, y, "Datos para transferencias", 10, bold=True)
    y -= 15
    pen.text(LEFT, y, f"Titular: {issuer.name}", 9)
    pen.text(LEFT, y - 12, f"CUIT: {pen.cuit(issuer.cuit)}", 9)
    pen.text(LEFT, y - 24, "Banco de la Nación Argentina - Cuenta corriente en pesos", 9)
    pen.text(LEFT, y - 36, f"Alias: {issuer.name.split()[0].upper()}.PAGOS", 9)
    pen.text(LEFT, 90, f"Última actualización: {pen.date(spec.issue_date.replace(day=1))}", 8, gray=0.4)
    pen.text(RIGHT, 90, "Página informativa - no válida como factura", 8, gray=0.4, align="right")
