"""The invoice layouts, by name (see :data:`LAYOUTS`)."""

from __future__ import annotations

from minimarket.synth.invoices.layouts.afip import AfipRce
from minimarket.synth.invoices.layouts.base import Layout
from minimarket.synth.invoices.layouts.classic import Copies, DotMatrix, ExtraPage
from minimarket.synth.invoices.layouts.erp import ErpPlain, ErpRuled
from minimarket.synth.invoices.layouts.modern import Landscape, TwoColumn
from minimarket.synth.invoices.layouts.thermal import Thermal

LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        AfipRce(),
        ErpRuled(),
        ErpPlain(),
        Thermal(),
        TwoColumn(),
        Landscape(),
        Copies(),
        ExtraPage(),
        DotMatrix(),
    )
}
"""Every layout by name; the keys equal :data:`minimarket.synth.invoices.sample.LAYOUT_NAMES`."""

__all__ = ["LAYOUTS", "Layout"]
