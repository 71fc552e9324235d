""" "Panel del negocio": invoices, purchases, sales and margin, inflation, what to reorder, supplier price rises
and how well invoices are read — filtered by period, supplier and category.

The data is read once (:func:`minimarket.analytics.snapshot.load_snapshot` and the shop reports); a filter
change recomputes the figures in memory and updates the charts in place.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ipywidgets as widgets
import pandas as pd

from minimarket.analytics import formatting as fmt
from minimarket.analytics import panel as figures
from minimarket.analytics.prices import (
    InflationOutlook,
    PurchaseOrder,
    forecast_cache_dir,
    inflation_outlook,
    order_rows,
    price_rises,
    purchase_order_csv,
    purchase_orders,
    select_orders,
    select_rises,
)
from minimarket.analytics.snapshot import Filters, Snapshot, load_snapshot
from minimarket.config import Settings
from minimarket.dashboards import ui

__all__ = ["BusinessPanel", "business_panel"]

ALL_SUPPLIERS = "Todos los proveedores"
ALL_CATEGORIES = "Todas las categorías"
EMPTY_SUMMARY = "Todavía no hay datos en este comercio: cargá facturas y ventas (o probá con minimarket demo seed)."
STATUS_COLORS = {"aceptada": "#27ae60", "para revisar": "#f2994a", "rechazada": "#eb5757"}


def _months(first: dt.date, last: dt.date) -> list[tuple[str, dt.date]]:
    periods = pd.period_range(pd.Period(first, "M"), pd.Period(last, "M"), freq="M")
    return [(fmt.month(str(p)), p.start_time.date()) for p in periods]


class BusinessPanel:
    """The business panel of one shop; ``widget`` is what the notebook displays."""

    def __init__(self, settings: Settings, shop: str | None = None) -> None:
        from minimarket.store.db import session_scope

        self.settings = settings
        with session_scope(shop, url=settings.sqlalchemy_url) as session:
            self.snapshot: Snapshot = load_snapshot(session)
            self.outlook: InflationOutlook | None = None
            self.orders: list[PurchaseOrder] = []
            self.orders_as_of = ""
            self.rises: list[dict[str, str]] = []
            if not self.snapshot.empty:
                self.outlook = inflation_outlook(session, cache_dir=forecast_cache_dir(settings))
                known = {
                    m.strftime("%Y-%m"): float(p)
                    for m, p in zip(self.outlook.observed["month"], self.outlook.observed["pct"], strict=True)
                }
                self.rises = price_rises(session, self.outlook, known=known)
                self.orders_as_of, self.orders = purchase_orders(session)
        title = f"Panel del negocio — {self.snapshot.shop_name}" if self.snapshot.shop_name else "Panel del negocio"
        loaded = f"Datos al {fmt.datetime(self.snapshot.loaded_at)}. Recargá la página para verlos de nuevo."
        if self.snapshot.empty:
            self.widget = ui.page(title, loaded, [self._empty_state()], css="mm-panel", summary=EMPTY_SUMMARY)
            return
        self._build()
        self.refresh()
        summary = " · ".join(f"{k}: {v}" for k, v in figures.headline(self.snapshot, self.filters()).as_dict().items())
        self.widget = ui.page(title, loaded, self.sections, css="mm-panel", summary=summary)

    # --- layout -----------------------------------------------------------------------------------------------

    @staticmethod
    def _empty_state() -> widgets.Widget:
        return ui.notice(
            "Todavía no hay datos en este comercio. Para empezar: "
            f"<br>1. cargá el catálogo con {ui.code('minimarket catalog import')};"
            f"<br>2. cargá facturas de proveedores con {ui.code('minimarket extract facturas/ --save')} "
            "(o desde la API);"
            f"<br>3. importá las ventas del punto de venta con {ui.code('minimarket sales import ventas.csv')}."
            f"<br>Para probar con datos de ejemplo: {ui.code('minimarket demo seed')}.",
            "info",
            markup=True,
            css="mm-empty",
        )

    def _build(self) -> None:
        snap = self.snapshot
        span = snap.date_range or (dt.date.today(), dt.date.today())
        months = _months(*span)
        start = max(0, len(months) - 12)
        self.months = widgets.SelectionRangeSlider(
            options=months,
            index=(start, len(months) - 1),
            description="Período",
            layout=widgets.Layout(width="520px"),
            style={"description_width": "70px"},
        )
        self.period = widgets.ToggleButtons(
            options=list(fmt.PERIODS), value="semana", description="Agrupar por", style={"button_width": "80px"}
        )
        self.supplier = widgets.Dropdown(
            options=[(ALL_SUPPLIERS, "")] + [(name, cuit) for name, cuit in snap.suppliers],
            value="",
            description="Proveedor",
            layout=widgets.Layout(width="420px"),
        )
        self.supplier.add_class("mm-filter-supplier")
        self.category = widgets.Dropdown(
            options=[(ALL_CATEGORIES, "")] + [(c, c) for c in snap.categories],
            value="",
            description="Categoría",
            layout=widgets.Layout(width="320px"),
        )
        self.category.add_class("mm-filter-category")
        self.range_label = widgets.HTML()
        self.kpis = ui.kpis({})
        self.invoices_fig = ui.figure("Facturas procesadas por estado")
        for label, color in STATUS_COLORS.items():
            self.invoices_fig.add_bar(
                name=label,
                x=[],
                y=[],
                marker_color=color,
                hovertemplate="%{x|%d/%m/%Y}: %{y:,.0f} facturas<extra>" + label + "</extra>",
            )
        self.invoices_fig.update_layout(barmode="stack")
        self.top_bought = ui.figure("Lo más comprado (facturas)", height=380, money_axis=False)
        self.top_sold = ui.figure("Lo más vendido (punto de venta)", height=380, money_axis=False)
        for fig, color in ((self.top_bought, "#2f80ed"), (self.top_sold, "#9b51e0")):
            fig.add_bar(
                x=[], y=[], orientation="h", marker_color=color, hovertemplate="%{y}<br>$ %{x:,.2f}<extra></extra>"
            )
            fig.update_xaxes(tickprefix="$ ", tickformat=",.0f")
            fig.update_yaxes(autorange="reversed", automargin=True)
            fig.update_layout(margin={"l": 10})
        self.margin_fig = ui.figure("Ventas estimadas y margen bruto", money_axis=True)
        self.margin_fig.add_bar(
            name="Ventas sin IVA",
            x=[],
            y=[],
            marker_color="#2f80ed",
            hovertemplate="$ %{y:,.2f}<extra>Ventas sin IVA</extra>",
        )
        self.margin_fig.add_bar(
            name="Costo (último costo facturado)",
            x=[],
            y=[],
            marker_color="#bdbdbd",
            hovertemplate="$ %{y:,.2f}<extra>Costo</extra>",
        )
        self.margin_fig.add_scatter(
            name="Margen bruto (%)",
            x=[],
            y=[],
            yaxis="y2",
            mode="lines+markers",
            marker_color="#27ae60",
            hovertemplate="%{y:,.1f} %<extra>Margen</extra>",
        )
        self.margin_fig.update_layout(
            yaxis2={"overlaying": "y", "side": "right", "ticksuffix": " %", "rangemode": "tozero", "showgrid": False}
        )
        self.review_fig = ui.figure("Facturas que necesitaron a una persona (%)", height=280)
        self.review_fig.add_scatter(
            x=[],
            y=[],
            mode="lines+markers",
            marker_color="#f2994a",
            hovertemplate="%{x|%m/%Y}: %{y:,.1f} %<extra></extra>",
        )
        self.review_fig.update_yaxes(ticksuffix=" %", rangemode="tozero")
        self.fields_fig = ui.figure("Correcciones por campo", height=280)
        self.fields_fig.add_bar(
            x=[], y=[], marker_color="#eb5757", hovertemplate="%{x}: %{y:,.0f} correcciones<extra></extra>"
        )
        self.ocr_fig = ui.figure("Errores de lectura por OCR: campos corregidos por factura", height=280)
        self.ocr_fig.add_scatter(
            x=[],
            y=[],
            mode="lines+markers",
            marker_color="#9b51e0",
            hovertemplate="%{x|%m/%Y}: %{y:,.2f} campos por factura<extra></extra>",
        )
        self.ocr_fig.update_yaxes(rangemode="tozero")
        self.orders_box = widgets.VBox()
        self.orders_box.add_class("mm-orders")
        self.rises_box = widgets.HTML()
        self.rises_box.add_class("mm-rises")
        for control in (self.months, self.period, self.supplier, self.category):
            control.observe(self.refresh, names="value")
        filters = widgets.VBox(
            [widgets.HBox([self.months, self.range_label]), widgets.HBox([self.supplier, self.category]), self.period]
        )
        filters.add_class("mm-filters")
        no_sales = self.snapshot.sales.empty
        no_invoices = self.snapshot.invoices.empty
        sales_note = ui.notice(
            f"Todavía no hay ventas: importá las del punto de venta con {ui.code('minimarket sales import ventas.csv')}"
            " para ver lo más vendido, los márgenes y qué reponer.",
            "info",
            markup=True,
        )
        invoices_note = ui.notice(
            f"Todavía no hay facturas: cargalas con {ui.code('minimarket extract facturas/ --save')} o desde la API.",
            "info",
            markup=True,
        )
        self.sections: list[widgets.Widget] = [
            filters,
            self.kpis,
            ui.heading("Facturas", level=2),
            invoices_note if no_invoices else self.invoices_fig,
            ui.heading("Lo más comprado y lo más vendido", "Top 10 en pesos del período elegido.", level=2),
            widgets.HBox([self.top_bought, sales_note if no_sales else self.top_sold]),
            ui.heading(
                "Ventas y margen bruto",
                "Ventas del punto de venta sin IVA contra lo que costaron al último costo facturado.",
                level=2,
            ),
            sales_note if no_sales else self.margin_fig,
            ui.heading("Inflación y precios", level=2),
            *self._inflation_section(),
            ui.heading(
                "Qué reponer y a quién pedírselo",
                f"Productos en o por debajo de su punto de pedido al {fmt.date(self.orders_as_of or None)}, "
                "agrupados por proveedor; cada pedido se descarga como CSV.",
                level=2,
            ),
            self.orders_box,
            ui.heading(
                "Aumentos de proveedores por encima de la inflación",
                "El costo subió bastante más que la inflación esperada de su categoría; las facturas son la prueba.",
                level=2,
            ),
            self.rises_box,
            ui.heading("Calidad de lectura de facturas", level=2),
            widgets.HBox([self.review_fig, self.fields_fig]),
            self.ocr_fig,
        ]

    def _inflation_section(self) -> list[widgets.Widget]:
        outlook = self.outlook
        if outlook is None:
            return []
        fig = ui.figure("Inflación mensual: medida y esperada", height=340)
        fig.add_scatter(
            name="Medida (INDEC)",
            x=outlook.observed["month"],
            y=outlook.observed["pct"],
            mode="lines+markers",
            marker_color="#2f80ed",
            hovertemplate="%{x|%m/%Y}: %{y:,.2f} %<extra>INDEC</extra>",
        )
        forecast = outlook.forecast
        fig.add_scatter(
            name="Intervalo del 90 %",
            x=list(forecast["month"]) + list(forecast["month"])[::-1],
            y=list(forecast["upper"]) + list(forecast["lower"])[::-1],
            fill="toself",
            fillcolor="rgba(242,153,74,0.2)",
            line={"width": 0},
            hoverinfo="skip",
        )
        fig.add_scatter(
            name="Esperada",
            x=forecast["month"],
            y=forecast["pct"],
            mode="lines+markers",
            line={"dash": "dash"},
            marker_color="#f2994a",
            hovertemplate="%{x|%m/%Y}: %{y:,.2f} %<extra>Esperada</extra>",
        )
        fig.update_yaxes(ticksuffix=" %")
        fig.update_xaxes(tickformat="%m/%Y")
        summary = ui.notice(outlook.summary, "info", css="mm-inflation-summary")
        return [summary, fig]

    # --- figures ------------------------------------------------------------------------------------------------

    def filters(self) -> Filters:
        first, last = self.months.value
        end = (pd.Period(last, "M").end_time).date()
        return Filters(
            date_from=first,
            date_to=end,
            supplier_cuit=self.supplier.value or None,
            category=self.category.value or None,
        )

    def refresh(self, *_: Any) -> None:
        """Recompute every figure for the current filters."""
        chosen = self.filters()
        snap = self.snapshot
        self.range_label.value = (
            f'<span class="mm-sub">del {fmt.date(chosen.date_from)} al {fmt.date(chosen.date_to)}</span>'
        )
        self.kpis.value = ui.kpis_html(figures.headline(snap, chosen).as_dict())
        period = self.period.value
        counts = figures.invoices_by_period(snap, chosen, period)
        tick = "%m/%Y" if period == "mes" else "%d/%m/%Y"
        with self.invoices_fig.batch_update():
            for trace in self.invoices_fig.data:
                trace.x = list(counts["period"]) if not counts.empty else []
                trace.y = list(counts[trace.name]) if not counts.empty else []
            self.invoices_fig.layout.xaxis.tickformat = tick
        for fig, by in ((self.top_bought, "compras"), (self.top_sold, "ventas")):
            top = figures.top_products(snap, chosen, by)
            with fig.batch_update():
                fig.data[0].x = list(top["pesos"])
                fig.data[0].y = [_short(name) for name in top["name"]]
        money = figures.revenue_and_margin(snap, chosen, period)
        with self.margin_fig.batch_update():
            self.margin_fig.data[0].x = self.margin_fig.data[1].x = self.margin_fig.data[2].x = list(money["period"])
            self.margin_fig.data[0].y = list(money["revenue"])
            self.margin_fig.data[1].y = list(money["cost"])
            self.margin_fig.data[2].y = list(money["margin_pct"])
            self.margin_fig.layout.xaxis.tickformat = tick
        quality = figures.extraction_quality(snap, chosen)
        with self.review_fig.batch_update(), self.ocr_fig.batch_update(), self.fields_fig.batch_update():
            self.review_fig.data[0].x = list(quality.monthly["month"])
            self.review_fig.data[0].y = list(quality.monthly["review_share"])
            self.ocr_fig.data[0].x = list(quality.monthly["month"])
            self.ocr_fig.data[0].y = list(quality.monthly["ocr_corrections"])
            self.fields_fig.data[0].x = list(quality.by_field["field"])
            self.fields_fig.data[0].y = list(quality.by_field["corrections"])
        self._orders(chosen)
        self._rises(chosen)

    def _orders(self, chosen: Filters) -> None:
        boxes: list[widgets.Widget] = []
        for order in select_orders(self.orders, chosen):
            head = (
                f"<b>{ui.escape(order.supplier_name)}</b> · entrega en {order.lead_time_days} días · "
                f"pedido estimado {fmt.money(order.estimated_cost)} · "
                + ui.download_link(order.filename, purchase_order_csv(order), "Descargar pedido (CSV)")
            )
            table = ui.table_html(
                order_rows(order),
                numeric=("Stock", "Venta diaria", "Punto de pedido", "Días de cobertura", "Pedir", "Costo unitario"),
            )
            boxes.append(widgets.HTML(head + table))
        if not boxes:
            boxes = [ui.notice("No hay productos para reponer con estos filtros: el stock alcanza.", "ok")]
        self.orders_box.children = boxes

    def _rises(self, chosen: Filters) -> None:
        self.rises_box.value = ui.table_html(
            select_rises(self.rises, chosen),
            numeric=("Aumento", "Inflación esperada", "Exceso"),
            empty="Ningún proveedor subió sus precios bastante más que la inflación con estos filtros.",
        )


def _short(name: str, limit: int = 38) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def business_panel(settings: Settings, shop: str | None = None) -> widgets.Widget:
    """The panel's widget for ``shop`` (the default shop when None)."""
    return BusinessPanel(settings, shop).widget
