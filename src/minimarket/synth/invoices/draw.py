"""Drawing toolkit shared by the layouts: text, rules, number/date formats, QR, CAE barcode, item tables.

Coordinates are reportlab points with the origin at the bottom left. A :class:`Pen` wraps one canvas
and one invoice, so layouts read like the printed page: ``pen.text(x, y, "CUIT: ...")``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from itertools import groupby

from reportlab.graphics.barcode import qrencoder
from reportlab.graphics.barcode.common import I2of5
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from minimarket.domain.cuit import format_cuit
from minimarket.domain.numbers import format_amount
from minimarket.synth.invoices.spec import InvoiceSpec, SpecItem

__all__ = ["Column", "Pen", "TableStyle", "register_fonts"]


@cache
def register_fonts() -> None:
    """Register Bitstream Vera (bundled with reportlab) as "Vera"/"Vera-Bold"."""
    pdfmetrics.registerFont(TTFont("Vera", "Vera.ttf"))
    pdfmetrics.registerFont(TTFont("Vera-Bold", "VeraBd.ttf"))


QUIET_ZONE = 4
"""Modules of white border around a QR (the standard quiet zone)."""


@lru_cache(maxsize=256)
def qr_runs(text: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """A QR (error correction M) as (module count, dark runs (row, first column, length))."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(text)
    code.make()
    runs = []
    for r, row in enumerate(code.modules):
        c = 0
        for dark, group in groupby(bool(v) for v in row):
            count = len(list(group))
            if dark:
                runs.append((r, c, count))
            c += count
    return code.getModuleCount(), tuple(runs)


@dataclass(frozen=True)
class Column:
    """One column of an item table: ``x`` is its left edge; ``value`` renders the cell text."""

    title: str
    x: float
    width: float
    align: str
    value: Callable[[SpecItem], str]
    wrap: bool = False


@dataclass(frozen=True)
class TableStyle:
    """How an item table looks."""

    size: float = 7.5
    leading: float = 9.5
    header_size: float = 7.5
    header_height: float = 14.0
    header_fill: tuple[float, float, float] | None = (0.85, 0.85, 0.85)
    header_box: bool = True
    vertical_rules: bool = False
    row_rules: bool = False
    zebra: tuple[float, float, float] | None = None
    padding: float = 2.5
    header_bold: bool = True
    row_gap: float = 2.0


class Pen:
    """A canvas plus the invoice being drawn, with the invoice's own number and date formats."""

    def __init__(self, canvas: Canvas, spec: InvoiceSpec, font: str = "Helvetica", bold: str = "Helvetica-Bold"):
        self.c = canvas
        self.spec = spec
        self.font = font
        self.bold = bold

    # -- text ------------------------------------------------------------------------------------
    def text(
        self,
        x: float,
        y: float,
        value: str,
        size: float = 8,
        *,
        bold: bool = False,
        align: str = "left",
        font: str | None = None,
        gray: float = 0.0,
    ) -> None:
        name = font or (self.bold if bold else self.font)
        self.c.setFont(name, size)
        self.c.setFillGray(gray)
        if align == "right":
            self.c.drawRightString(x, y, value)
        elif align == "center":
            self.c.drawCentredString(x, y, value)
        else:
            self.c.drawString(x, y, value)
        self.c.setFillGray(0)

    def label(self, x: float, y: float, label: str, value: str, size: float = 8, gap: float = 3) -> float:
        """Bold ``label`` then regular ``value``; returns the x after the value."""
        self.text(x, y, label, size, bold=True)
        lx = x + self.width(label, size, bold=True) + gap
        self.text(lx, y, value, size)
        return lx + self.width(value, size)

    def width(self, value: str, size: float, *, bold: bool = False, font: str | None = None) -> float:
        return float(pdfmetrics.stringWidth(value, font or (self.bold if bold else self.font), size))

    def wrap(self, value: str, width: float, size: float, *, bold: bool = False, font: str | None = None) -> list[str]:
        lines = simpleSplit(value, font or (self.bold if bold else self.font), size, width)
        return lines or [""]

    def paragraph(
        self, x: float, y: float, value: str, width: float, size: float = 8, leading: float | None = None
    ) -> float:
        """Wrapped text from ``y`` downwards; returns the y below the last line."""
        leading = leading or size * 1.25
        for line in self.wrap(value, width, size):
            self.text(x, y, line, size)
            y -= leading
        return y

    # -- rules -----------------------------------------------------------------------------------
    def box(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        lw: float = 0.6,
        fill: tuple[float, float, float] | None = None,
        radius: float = 0,
        stroke: bool = True,
    ) -> None:
        self.c.setLineWidth(lw)
        if fill is not None:
            self.c.setFillColorRGB(*fill)
        if radius:
            self.c.roundRect(x, y, w, h, radius, stroke=int(stroke), fill=int(fill is not None))
        else:
            self.c.rect(x, y, w, h, stroke=int(stroke), fill=int(fill is not None))
        self.c.setFillGray(0)

    def hline(self, x1: float, x2: float, y: float, lw: float = 0.6, dash: Sequence[float] | None = None) -> None:
        self.c.setLineWidth(lw)
        if dash:
            self.c.setDash(list(dash))
        self.c.line(x1, y, x2, y)
        if dash:
            self.c.setDash([])

    def vline(self, x: float, y1: float, y2: float, lw: float = 0.6) -> None:
        self.c.setLineWidth(lw)
        self.c.line(x, y1, x, y2)

    # -- formats ---------------------------------------------------------------------------------
    def money(self, value: Decimal, *, grouping: bool | None = None) -> str:
        group = self.spec.grouping if grouping is None else grouping
        return format_amount(value, self.spec.number_format, 2, group)

    def number(self, value: Decimal, decimals: int) -> str:
        return format_amount(value, self.spec.number_format, decimals, self.spec.grouping)

    def qty(self, item: SpecItem, decimals: int = 0) -> str:
        """Quantity: 3 decimals for weights, ``decimals`` otherwise."""
        if item.unit == "kg":
            return self.number(item.quantity, 3)
        return self.number(item.quantity, decimals)

    def rate(self, rate: Decimal | None, style: str = "pct") -> str:
        """VAT rate as printed: "21%", "10,5%", "21,00", "(21.00)"; exempt lines print "Exento"."""
        if rate is None:
            return "Exento" if style == "pct" else "EX"
        if style == "pct":
            text = format(rate.normalize(), "f")
            return (text.replace(".", ",") if self.spec.number_format == "ar" else text) + "%"
        if style == "paren":
            return f"({self.number(rate, 2)})"
        return self.number(rate, 2)

    def pct(self, value: Decimal) -> str:
        return self.number(value, 2)

    @staticmethod
    def date(value: dt.date, style: str = "%d/%m/%Y") -> str:
        return value.strftime(style)

    @staticmethod
    def cuit(value: str, dashed: bool = True) -> str:
        return format_cuit(value) if dashed else value

    # -- codes -----------------------------------------------------------------------------------
    def qr(self, x: float, y: float, size: float) -> bool:
        """The invoice's QR (if it has one) with its bottom-left corner at (x, y); whether it drew."""
        if not self.spec.qr_text:
            return False
        count, runs = qr_runs(self.spec.qr_text)
        box = size / (count + 2 * QUIET_ZONE)
        path = self.c.beginPath()
        for row, col, length in runs:
            path.rect(x + (col + QUIET_ZONE) * box, y + size - (row + QUIET_ZONE + 1) * box, length * box, box)
        self.c.setFillGray(0)
        self.c.drawPath(path, stroke=0, fill=1)
        return True

    def barcode(self, x: float, y: float, width: float, height: float = 28, digits_below: bool = True) -> bool:
        """The legacy Interleaved 2 of 5 CAE barcode (if the invoice has one), ``width`` points wide."""
        if not self.spec.barcode:
            return False
        probe = I2of5(self.spec.barcode, barWidth=1, checksum=0, bearers=0, quiet=0, humanReadable=0)
        bar_width = width / probe.width
        code = I2of5(
            self.spec.barcode, barWidth=bar_width, barHeight=height, checksum=0, bearers=0, quiet=0, humanReadable=0
        )
        code.drawOn(self.c, x, y)
        if digits_below:
            self.text(x + width / 2, y - 9, self.spec.barcode, 7, align="center")
        return True

    # -- item tables -----------------------------------------------------------------------------
    def row_lines(self, columns: Sequence[Column], item: SpecItem, style: TableStyle) -> int:
        lines = 1
        for col in columns:
            if col.wrap:
                lines = max(lines, len(self.wrap(col.value(item), col.width - 2 * style.padding, style.size)))
        return lines

    def row_height(self, columns: Sequence[Column], item: SpecItem, style: TableStyle) -> float:
        return self.row_lines(columns, item, style) * style.leading + style.row_gap

    def table_header(self, columns: Sequence[Column], top: float, style: TableStyle) -> float:
        """Draw the header band whose top edge is ``top``; returns the y where rows start."""
        x0 = columns[0].x
        x1 = columns[-1].x + columns[-1].width
        h = style.header_height
        if style.header_fill is not None or style.header_box:
            self.box(x0, top - h, x1 - x0, h, fill=style.header_fill, stroke=style.header_box)
        for col in columns:
            lines = self.wrap(col.title, col.width - 2, style.header_size, bold=style.header_bold)[:2]
            base = top - h / 2 - style.header_size / 3 + (len(lines) - 1) * style.header_size / 2
            for line in lines:
                if col.align == "right":
                    tx, align = col.x + col.width - style.padding, "right"
                elif col.align == "center":
                    tx, align = col.x + col.width / 2, "center"
                else:
                    tx, align = col.x + style.padding, "left"
                self.text(tx, base, line, style.header_size, bold=style.header_bold, align=align)
                base -= style.header_size
            if style.vertical_rules and col is not columns[0]:
                self.vline(col.x, top, top - h)
        return top - h

    def table_row(self, columns: Sequence[Column], item: SpecItem, y: float, style: TableStyle, index: int) -> float:
        """Draw one item whose top edge is ``y``; returns the y of its bottom edge."""
        height = self.row_height(columns, item, style)
        x0 = columns[0].x
        x1 = columns[-1].x + columns[-1].width
        if style.zebra is not None and index % 2 == 1:
            self.box(x0, y - height, x1 - x0, height, fill=style.zebra, stroke=False)
        baseline = y - style.leading + 2
        for col in columns:
            text = col.value(item)
            lines = self.wrap(text, col.width - 2 * style.padding, style.size) if col.wrap else [text]
            ly = baseline
            for line in lines:
                if col.align == "right":
                    self.text(col.x + col.width - style.padding, ly, line, style.size, align="right")
                elif col.align == "center":
                    self.text(col.x + col.width / 2, ly, line, style.size, align="center")
                else:
                    self.text(col.x + style.padding, ly, line, style.size)
                ly -= style.leading
        if style.row_rules:
            self.hline(x0, x1, y - height, lw=0.3)
        return y - height

    def table_rules(self, columns: Sequence[Column], top: float, bottom: float) -> None:
        """Vertical rules and a frame from ``top`` to ``bottom`` (for ruled tables)."""
        x0 = columns[0].x
        x1 = columns[-1].x + columns[-1].width
        self.box(x0, bottom, x1 - x0, top - bottom)
        for col in columns[1:]:
            self.vline(col.x, top, bottom)
