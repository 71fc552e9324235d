""" "Facturas a revisar": the queue of invoices waiting for a person, oldest first; the page beside its fields
with the doubtful ones marked and the failed checks in plain Spanish; edit, confirm or reject.

Every decision goes through :func:`minimarket.analytics.review.apply_review` with the reviewer's name.
"""

from __future__ import annotations

import os
from typing import Any

import ipywidgets as widgets

from minimarket.analytics import formatting as fmt
from minimarket.analytics.review import (
    Action,
    ReviewDetail,
    ReviewError,
    apply_review,
    page_image,
    review_detail,
    review_queue,
)
from minimarket.config import Settings
from minimarket.dashboards import ui

__all__ = ["ReviewDesk", "review_desk"]

ITEM_FIELDS = {
    "Cantidad": "quantity",
    "Precio unitario": "unit_price",
    "Importe": "amount",
    "Producto (SKU)": "sku",
    "Descripción": "description",
}


class ReviewDesk:
    """The review page of one shop; ``widget`` is what the notebook displays."""

    def __init__(self, settings: Settings, shop: str | None = None, author: str | None = None) -> None:
        self.settings = settings
        self.shop = shop
        self.detail: ReviewDetail | None = None
        self.count = widgets.HTML()
        self.count.add_class("mm-queue-count")
        self.queue = widgets.Select(options=[], rows=10, layout=widgets.Layout(width="760px"))
        self.queue.add_class("mm-queue")
        self.queue.observe(self._show, names="value")
        self.image = widgets.Image(format="jpeg", layout=widgets.Layout(max_width="560px", border="1px solid #e4e7eb"))
        self.no_image = ui.notice("No hay una imagen guardada de esta factura.", "info")
        self.page_box = widgets.VBox(layout=widgets.Layout(width="580px"))
        self.retake = widgets.HTML()
        self.problems = widgets.HTML()
        self.fields_box = widgets.VBox()
        self.items = widgets.HTML()
        self.item_number = widgets.Dropdown(description="Ítem", options=[], layout=widgets.Layout(width="140px"))
        self.item_field = widgets.Dropdown(
            options=list(ITEM_FIELDS), description="Campo", layout=widgets.Layout(width="240px")
        )
        self.item_value = widgets.Text(placeholder="nuevo valor", layout=widgets.Layout(width="200px"))
        self.author = widgets.Text(
            value=author or os.environ.get("MINIMARKET_USER", ""),
            description="Tu nombre",
            placeholder="quién revisa",
        )
        self.author.add_class("mm-author")
        self.confirm = widgets.Button(description="Confirmar", button_style="success", icon="check")
        self.confirm.add_class("mm-confirm")
        self.save = widgets.Button(description="Guardar correcciones", icon="pencil")
        self.save.add_class("mm-save")
        self.reject = widgets.Button(description="Rechazar", button_style="danger", icon="times")
        self.reject.add_class("mm-reject")
        self.result = widgets.HTML()
        self.result.add_class("mm-result")
        self.confirm.on_click(lambda _b: self._decide("confirm"))
        self.save.on_click(lambda _b: self._decide("correct"))
        self.reject.on_click(lambda _b: self._decide("reject"))
        self.editors: dict[str, widgets.Text] = {}
        form = widgets.VBox(
            [
                self.retake,
                self.problems,
                ui.heading("Datos leídos", "Los campos marcados en naranja son dudosos: compará con la imagen.", 3),
                self.fields_box,
                ui.heading("Ítems", level=3),
                self.items,
                widgets.HBox([self.item_number, self.item_field, self.item_value]),
                self.author,
                widgets.HBox([self.confirm, self.save, self.reject]),
                self.result,
            ],
            layout=widgets.Layout(width="600px"),
        )
        self.form = form
        self.body = widgets.HBox([self.page_box, form])
        self.body.add_class("mm-review-body")
        self.empty = ui.notice(
            "No hay facturas para revisar. Cuando llegue una factura dudosa (desde la API o con "
            f"{ui.code('minimarket extract factura.pdf --save')}) va a aparecer acá, la más vieja primero.",
            "ok",
            markup=True,
            css="mm-empty",
        )
        self.main = widgets.VBox()
        subtitle = "Las facturas que el lector no pudo verificar solo, de la más vieja a la más nueva."
        self.widget = ui.page("Facturas a revisar", subtitle, [self.count, self.main], css="mm-review")
        self.reload()
        waiting = len(self.queue.options)
        self.widget.summary = (
            f"Facturas a revisar. {fmt.number(waiting)} {'factura espera' if waiting == 1 else 'facturas esperan'} "
            "revisión."
            if waiting
            else "Facturas a revisar. Ninguna factura espera revisión."
        )

    def _session(self) -> Any:
        from minimarket.store.db import session_scope

        return session_scope(self.shop, url=self.settings.sqlalchemy_url)

    def reload(self, select: int | None = None) -> None:
        """Read the queue again and show ``select`` (else the oldest)."""
        with self._session() as session:
            entries = review_queue(session)
        if not entries:
            self.count.value = ui.notice_html("Ninguna factura espera revisión.", "ok")
            self.main.children = [self.empty]
            self.queue.options = []
            return
        word = "factura espera" if len(entries) == 1 else "facturas esperan"
        self.count.value = f'<div class="mm-sub"><b>{fmt.number(len(entries))}</b> {word} revisión.</div>'
        options = [(f"{e.label} · {e.issuer} · {e.issue_date} · {e.total}", e.invoice_id) for e in entries]
        ids = [value for _label, value in options]
        self.queue.unobserve(self._show, names="value")
        self.queue.options = options
        self.queue.value = select if select in ids else ids[0]
        self.queue.observe(self._show, names="value")
        self.main.children = [widgets.HBox([self.queue]), self.body]
        self._show()

    def _show(self, *_: Any) -> None:
        invoice_id = self.queue.value
        if invoice_id is None:
            return
        with self._session() as session:
            detail = review_detail(session, invoice_id)
            picture = page_image(self.settings, session, invoice_id)
        self.detail = detail
        if picture:
            self.image.value = picture
            self.page_box.children = [self.image]
        else:
            self.page_box.children = [self.no_image]
        self.retake.value = ui.notice_html(detail.retake, "warn") if detail.retake else ""
        problems = "".join(f"<li><b>{ui.escape(t)}</b>: {ui.escape(d)}</li>" for t, d in detail.problems)
        self.problems.value = (
            f'<div class="mm-notice error"><b>Qué no cierra</b><ul>{problems}</ul></div>' if problems else ""
        )
        rows = []
        self.editors = {}
        for view in detail.fields:
            editor = widgets.Text(
                value=view.raw,
                description=view.label,
                style={"description_width": "150px"},
                layout=widgets.Layout(width="420px"),
            )
            editor.add_class("mm-field")
            if view.doubtful:
                editor.add_class("mm-doubtful")
            self.editors[view.name] = editor
            why = widgets.HTML(f'<span class="mm-why">{ui.escape(view.why)}</span>' if view.doubtful else "")
            rows.append(widgets.HBox([editor, why]))
        self.fields_box.children = rows
        self.items.value = ui.table_html(
            [
                {
                    "N.º": i["n"],
                    "Descripción": i["description"],
                    "Cantidad": i["quantity"],
                    "Precio unitario": i["unit_price"],
                    "Importe": i["amount"],
                    "Producto": i["sku"] or "—",
                    "_doubtful": i["doubtful"],
                }
                for i in detail.items
            ],
            numeric=("Cantidad", "Precio unitario", "Importe"),
            highlight="_doubtful",
            empty="No se leyeron ítems.",
        )
        self.item_number.options = [i["n"] for i in detail.items]
        self.item_value.value = ""
        self.result.value = ""

    def corrections(self) -> list[tuple[str, str]]:
        """The fields the reviewer changed, as ``(field, value)`` pairs."""
        if self.detail is None:
            return []
        original = {view.name: view.raw for view in self.detail.fields}
        pairs = [(name, editor.value) for name, editor in self.editors.items() if editor.value != original[name]]
        if self.item_value.value.strip() and self.item_number.value:
            pairs.append(
                (f"items.{self.item_number.value}.{ITEM_FIELDS[self.item_field.value]}", self.item_value.value)
            )
        return pairs

    def _decide(self, action: Action) -> None:
        if self.detail is None:
            return
        invoice_id = self.detail.invoice_id
        try:
            with self._session() as session:
                outcome = apply_review(
                    session,
                    invoice_id,
                    action,
                    self.corrections(),
                    author=self.author.value,
                )
        except ReviewError as exc:
            self.result.value = ui.notice_html(str(exc), "error")
            return
        ids = [value for _label, value in self.queue.options]
        position = ids.index(invoice_id)
        following = ids[position + 1] if position + 1 < len(ids) else (ids[position - 1] if position else None)
        self.reload(select=invoice_id if outcome.status == "needs_review" else following)
        self.result.value = ui.notice_html(outcome.message, "ok")


def review_desk(settings: Settings, shop: str | None = None) -> widgets.Widget:
    """The review page's widget for ``shop`` (the default shop when None)."""
    return ReviewDesk(settings, shop).widget
