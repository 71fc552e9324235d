""" "Contador y compras": the reconciliation with ARCA, the Libro IVA Digital, this week's purchase drafts, shelf
prices and pack conversions of one shop. Every figure comes from :mod:`minimarket.analytics.accounting`, which
reads the same reports the CLI and the API give; here they are only laid out."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import ipywidgets as widgets

from minimarket.analytics import accounting as rows
from minimarket.analytics import formatting as fmt
from minimarket.config import Settings
from minimarket.dashboards import ui

__all__ = ["AccountantDesk", "accountant_desk"]

ALL_MONTHS = "Todos los meses del archivo"
RULES = (
    ("Múltiplo de $ 10", "10"),
    ("Múltiplo de $ 50", "50"),
    ("Múltiplo de $ 100", "100"),
    ("Terminado en 9", "9"),
    ("Terminado en 90", "90"),
    ("Terminado en 99", "99"),
)


def latin1_download(filename: str, text: str, label: str) -> str:
    """An ``<a download>`` with ``text`` in ISO-8859-1, the encoding ARCA's importer reads."""
    data = base64.b64encode(text.encode("iso-8859-1", errors="replace")).decode("ascii")
    return (
        f'<a class="mm-download" download="{ui.escape(filename)}" '
        f'href="data:text/plain;charset=iso-8859-1;base64,{data}">⬇ {ui.escape(label)}</a>'
    )


class AccountantDesk:
    """The page of one shop; ``widget`` is what the notebook displays."""

    def __init__(self, settings: Settings, shop: str | None = None) -> None:
        self.settings = settings
        self.shop = shop
        with self._session() as session:
            from minimarket.store.accounting import list_runs, run_summary
            from minimarket.store.models import Shop
            from minimarket.store.packs import converted_lines

            shop_row = session.get(Shop, session.info["shop_id"])
            self.shop_name = shop_row.name if shop_row else ""
            self.months = rows.invoice_months(session)
            runs = list_runs(session, 10)
            self.runs = [run_summary(run) for run in runs]
            self.last_report: dict[str, Any] | None = dict(runs[0].report) if runs else None
            # the shop's invoice lines in shelf units, read once for the drafts, the shelf prices and the packs
            self.lines = converted_lines(session)
        self.sections = [
            *self._arca_section(),
            *self._libro_section(),
            *self._drafts_section(),
            *self._shelf_section(),
            *self._packs_section(),
        ]
        flags = self.last_report["summary"]["flags"] if self.last_report else None
        summary = (
            f"Última conciliación con ARCA: {fmt.number(flags)} para revisar."
            if flags is not None
            else "Todavía no hay conciliaciones con ARCA."
        )
        summary += f" Libro IVA: {len(self.months)} meses con facturas."
        title = f"Contador y compras — {self.shop_name}" if self.shop_name else "Contador y compras"
        self.widget = ui.page(
            title,
            "Lo que pide el contador y lo que conviene pedir.",
            self.sections,
            css="mm-accounting",
            summary=summary,
        )

    def _session(self) -> Any:
        from minimarket.store.db import session_scope

        return session_scope(self.shop, url=self.settings.sqlalchemy_url)

    # --- Conciliación con ARCA --------------------------------------------------------------------------------

    def _arca_section(self) -> list[widgets.Widget]:
        self.upload = widgets.FileUpload(accept=".csv,.xlsx", multiple=False, description="Elegir archivo")
        self.upload.add_class("mm-arca-upload")
        self.arca_period = widgets.Dropdown(
            options=[(ALL_MONTHS, "")] + [(fmt.month(m), m) for m in self.months],
            value="",
            description="Período",
            layout=widgets.Layout(width="340px"),
        )
        self.arca_button = widgets.Button(description="Conciliar", button_style="primary", icon="check")
        self.arca_button.add_class("mm-arca-run")
        self.arca_button.on_click(self._reconcile)
        self.arca_result = widgets.VBox()
        self.arca_result.add_class("mm-arca-result")
        self.arca_runs = widgets.HTML()
        self._show_runs()
        if self.last_report is not None:
            self._show_report(self.last_report, "Última conciliación guardada:")
        else:
            self.arca_result.children = [
                ui.notice(
                    "Descargá «Mis Comprobantes Recibidos» de ARCA (CSV o XLSX), elegilo y tocá Conciliar: se cruzan "
                    "con las facturas cargadas por CUIT, tipo, punto de venta y número.",
                    "info",
                )
            ]
        return [
            ui.heading(
                "Conciliación con ARCA",
                "Lo que ARCA registra contra lo que cargaste: faltantes de un lado y del otro, importes distintos, "
                "duplicadas y claves mal leídas.",
                level=2,
            ),
            widgets.HBox([self.upload, self.arca_period, self.arca_button]),
            self.arca_result,
            self.arca_runs,
        ]

    def _show_runs(self) -> None:
        self.arca_runs.value = "<h3>Conciliaciones guardadas</h3>" + ui.table_html(
            rows.run_rows(self.runs), numeric=("Filas", "Coinciden", "Para revisar"), empty="Ninguna todavía."
        )

    def _reconcile(self, _button: Any = None) -> None:
        from minimarket.accounting.arca_export import ArcaExportError, read_export_bytes
        from minimarket.accounting.periods import parse_period
        from minimarket.accounting.shop import reconcile_with_store
        from minimarket.store.accounting import list_runs, run_summary

        files = list(self.upload.value)
        if not files:
            self.arca_result.children = [ui.notice("Elegí primero el archivo de ARCA (CSV o XLSX).", "warn")]
            return
        chosen = files[0]
        try:
            export = read_export_bytes(bytes(chosen["content"]), str(chosen["name"]))
        except ArcaExportError as exc:
            self.arca_result.children = [ui.notice(str(exc), "error")]
            return
        period = parse_period(self.arca_period.value) if self.arca_period.value else None
        with self._session() as session:
            result, _run_id = reconcile_with_store(session, export, period, author="panel")
            self.runs = [run_summary(run) for run in list_runs(session, 10)]
        self._show_report(result.as_dict() | {"run_id": _run_id}, "Conciliación lista:")
        self._show_runs()

    def _show_report(self, report: dict[str, Any], title: str) -> None:
        from minimarket.accounting.report_csv import KIND_LABELS, report_csv

        summary = report.get("summary") or {}
        flags = int(summary.get("flags") or 0)
        kind = "ok" if flags == 0 else "warn"
        export = report.get("export") or {}
        lead = ui.notice(
            f"{title} {export.get('file_name')}: {fmt.number(export.get('rows'))} filas de ARCA, "
            f"{fmt.number(report.get('matched'))} coinciden, {fmt.number(flags)} para revisar.",
            kind,
        )
        parts: list[widgets.Widget] = [lead, ui.kpis(rows.reconciliation_kpis(report))]
        for list_name, label in KIND_LABELS.items():
            found = rows.reconciliation_rows(report, list_name)
            if found:
                parts.append(widgets.HTML(f"<h3>{ui.escape(label)} ({len(found)})</h3>"))
                parts.append(ui.table(found, numeric=("Total",), css=f"mm-arca-{list_name}"))
        name = f"conciliacion-arca-{report.get('run_id') or 'sin-guardar'}.csv"
        parts.append(widgets.HTML(ui.download_link(name, report_csv(report).lstrip("\ufeff"), "Descargar en CSV")))
        self.arca_result.children = parts

    # --- Libro IVA Digital ------------------------------------------------------------------------------------

    def _libro_section(self) -> list[widgets.Widget]:
        self.libro_box = widgets.VBox()
        self.libro_box.add_class("mm-libro")
        heading = ui.heading(
            "Libro IVA Digital — compras",
            "Los dos archivos de ancho fijo que importa ARCA, con las facturas aceptadas del mes; "
            "las que esperan revisión se listan y no se escriben.",
            level=2,
        )
        if not self.months:
            self.libro_box.children = [ui.notice("Todavía no hay facturas cargadas.", "info")]
            return [heading, self.libro_box]
        self.libro_period = widgets.Dropdown(
            options=[(fmt.month(m), m) for m in self.months], value=self.months[0], description="Mes"
        )
        self.libro_period.observe(self._book, names="value")
        self._book()
        return [heading, self.libro_period, self.libro_box]

    def _book(self, _change: Any = None) -> None:
        from minimarket.accounting.periods import parse_period
        from minimarket.accounting.shop import book_for_period

        period = parse_period(self.libro_period.value)
        with self._session() as session:
            book = book_for_period(session, period)
        summary = book.summary()
        totals = summary["totals"]
        kpis = {
            "Comprobantes escritos": fmt.number(summary["invoices_written"]),
            "Alícuotas": fmt.number(summary["alicuota_records"]),
            "Total": fmt.money(totals["total"]),
            "Crédito fiscal": fmt.money(totals["fiscal_credit"]),
            "En revisión (no escritas)": fmt.number(len(summary["pending_review"])),
        }
        links = " ".join(
            latin1_download(f"{name[:-4]}_{period.compact}.txt", text, name) for name, text in book.texts().items()
        )
        parts: list[widgets.Widget] = [ui.kpis(kpis), widgets.HTML(f'<div class="mm-libro-files">{links}</div>')]
        pending = rows.book_rows(summary, "pending_review")
        if pending:
            parts += [widgets.HTML("<h3>Esperan revisión</h3>"), ui.table(pending, numeric=("Total",))]
        skipped = rows.book_rows(summary, "skipped")
        if skipped:
            parts += [widgets.HTML("<h3>No se pudieron escribir</h3>"), ui.table(skipped, numeric=("Total",))]
        self.libro_box.children = parts

    # --- Pedidos de la semana ---------------------------------------------------------------------------------

    def _drafts_section(self) -> list[widgets.Widget]:
        self.budget = widgets.Text(
            placeholder="sin tope", description="Caja semanal $", layout=widgets.Layout(width="300px")
        )
        self.budget.add_class("mm-budget")
        button = widgets.Button(description="Armar pedidos", icon="shopping-cart")
        button.on_click(self._drafts)
        self.drafts_box = widgets.VBox()
        self.drafts_box.add_class("mm-drafts")
        self._drafts()
        return [
            ui.heading(
                "Pedidos de la semana",
                "Por proveedor, en su día de pedido, en bultos enteros y respetando su pedido mínimo; con una caja "
                "semanal, primero lo que se agota antes y deja más margen.",
                level=2,
            ),
            widgets.HBox([self.budget, button]),
            self.drafts_box,
        ]

    def _drafts(self, _button: Any = None) -> None:
        from minimarket.domain.numbers import parse_amount
        from minimarket.purchasing.reports import purchase_plan

        budget: Decimal | None = None
        if self.budget.value.strip():
            try:
                budget = parse_amount(self.budget.value.strip())
            except ValueError:
                self.drafts_box.children = [
                    ui.notice(f"«{self.budget.value}» no es un importe: escribí 300.000", "error")
                ]
                return
        with self._session() as session:
            plan = purchase_plan(session, budget=budget, lines=self.lines).as_dict()
        parts: list[widgets.Widget] = [
            ui.notice(
                f"Pedidos desde el {fmt.date(plan['as_of'])}: {len(plan['drafts'])} proveedores, "
                f"{fmt.money(plan['spent'])}"
                + (f" de una caja de {fmt.money(plan['budget'])}." if plan["budget"] else ".")
                + f" Prioridad: {plan['priority']}.",
                "info",
            )
        ]
        for draft in plan["drafts"]:
            parts.append(
                widgets.HTML(
                    f"<h3>{ui.escape(draft['supplier_name'])} — pedir el {fmt.date(draft['order_date'])}, "
                    f"llega el {fmt.date(draft['delivery_date'])} · {fmt.money(draft['total'])} "
                    f"(mínimo: {ui.escape(draft['minimum'])})</h3>"
                )
            )
            parts.append(ui.table(rows.draft_rows(draft), numeric=("Bultos", "Costo", "Stock", "Días de cobertura")))
        left = rows.not_fitted_rows(plan)
        if left:
            parts += [
                widgets.HTML("<h3>Lo que no entró</h3>"),
                ui.table(left, numeric=("Bultos", "Costo"), css="mm-not-fitted"),
            ]
        if not plan["drafts"] and not left:
            parts.append(ui.notice("Nada para pedir esta semana.", "ok"))
        self.drafts_box.children = parts

    # --- Precios de góndola -----------------------------------------------------------------------------------

    def _shelf_section(self) -> list[widgets.Widget]:
        self.rule = widgets.Dropdown(options=RULES, value=self.settings.shelf_price_rule, description="Precio redondo")
        self.rule.observe(self._shelf, names="value")
        self.shelf_box = widgets.VBox()
        self.shelf_box.add_class("mm-shelf")
        self._report: dict[str, Any] | None = None
        self._shelf()
        return [
            ui.heading(
                "Precios de góndola",
                "El precio sugerido redondeado como se imprime, nunca por debajo del costo más el margen mínimo de la "
                "categoría, con el margen que deja de verdad; las subas de proveedores con sus facturas.",
                level=2,
            ),
            self.rule,
            self.shelf_box,
        ]

    def _shelf(self, _change: Any = None) -> None:
        from minimarket.analytics.prices import forecast_cache_dir, inflation_outlook
        from minimarket.purchasing.reports import shelf_prices

        with self._session() as session:
            outlook = inflation_outlook(session, cache_dir=forecast_cache_dir(self.settings))
            known = {
                m.strftime("%Y-%m"): float(p)
                for m, p in zip(outlook.observed["month"], outlook.observed["pct"], strict=True)
            }
            report = shelf_prices(
                session,
                monthly_forecast_pct=outlook.forecast["pct"].tolist(),
                known_monthly_pct=known,
                rule=self.rule.value,
                lines=self.lines,
            )
        priced = rows.shelf_rows(report)
        raised = sum(1 for row in priced if row["_floor"])
        parts: list[widgets.Widget] = [
            ui.notice(
                f"{fmt.number(len(priced))} productos con precio {report['rounding_rule']}; {fmt.number(raised)} "
                "subidos al piso (costo + margen mínimo). Los resaltados son los que el piso fijó.",
                "info",
            ),
            ui.table(
                priced,
                numeric=("Costo", "Sugerido", "Precio de góndola", "Piso (costo + margen mínimo)", "Margen efectivo"),
                highlight="_floor",
                css="mm-shelf-table",
            ),
        ]
        rises = rows.rise_rows(report)
        parts += [
            widgets.HTML("<h3>Subas de proveedores por encima de la inflación</h3>"),
            ui.table(rises, empty="Ninguna suba por encima de la inflación esperada.", css="mm-rises-evidence"),
        ]
        self.shelf_box.children = parts

    # --- Bultos y costos unitarios ----------------------------------------------------------------------------

    def _packs_section(self) -> list[widgets.Widget]:
        from minimarket.purchasing.reports import pack_report

        with self._session() as session:
            report = pack_report(session, only_flagged=True, lines=self.lines)
        flagged = rows.pack_rows(report)
        text = (
            f"{fmt.number(report['lines'])} líneas de factura pasadas a unidades de góndola; "
            f"{fmt.number(report['implausible'])} con un costo unitario inverosímil."
        )
        box = widgets.VBox(
            [
                ui.notice(text, "warn" if flagged else "ok"),
                ui.table(
                    flagged, numeric=("Precio", "Costo unitario", "Último costo"), highlight="_implausible", empty=""
                ),
                ui.notice(
                    "Si un proveedor factura por bulto y el número no está en el catálogo, confirmalo con "
                    f"{ui.code('minimarket packs confirm --supplier CUIT --sku SKU --units N')}.",
                    "info",
                    markup=True,
                ),
            ]
        )
        box.add_class("mm-packs")
        return [
            ui.heading(
                "Bultos y costos unitarios",
                "Una línea «YERBA X 1KG x10» por bulto son 10 unidades a su costo unitario; lo que se aleja demasiado "
                "del último costo se marca.",
                level=2,
            ),
            box,
        ]


def accountant_desk(settings: Settings, shop: str | None = None) -> widgets.Widget:
    """The "Contador y compras" page of ``shop``."""
    return AccountantDesk(settings, shop).widget
