"""The landing page: the shop's name and a card for each dashboard, with what waits there."""

from __future__ import annotations

import ipywidgets as widgets

from minimarket.analytics import formatting as fmt
from minimarket.config import Settings
from minimarket.dashboards import ui

__all__ = ["DASHBOARDS", "landing"]

DASHBOARDS = (
    (
        "analytics.ipynb",
        "Panel del negocio",
        "Compras, ventas y margen, inflación, qué reponer y aumentos de proveedores.",
    ),
    ("review.ipynb", "Facturas a revisar", "Las facturas que el lector no pudo verificar solo."),
    ("models.ipynb", "Modelos", "Qué modelo usa cada pronóstico y si los datos cambiaron."),
)


def landing(settings: Settings, shop: str | None = None) -> widgets.Widget:
    """Links to the three dashboards, titled with the shop's name; the review card says how many wait."""
    from minimarket.analytics.review import queue_size
    from minimarket.store.db import session_scope
    from minimarket.store.models import Shop

    with session_scope(shop, url=settings.sqlalchemy_url) as session:
        name = session.get(Shop, session.info["shop_id"]).name  # type: ignore[union-attr]
        waiting = queue_size(session)
    notes = {"review.ipynb": f"{fmt.number(waiting)} esperando revisión." if waiting else "Nada para revisar."}
    cards = "".join(
        f'<div class="mm-card"><a class="mm-link" href="{href}">{ui.escape(title)}</a>'
        f"<p>{ui.escape(text)}</p><p><b>{ui.escape(notes.get(href, ''))}</b></p></div>"
        for href, title, text in DASHBOARDS
    )
    summary = "Paneles del comercio: " + ", ".join(
        f"{title} ({notes[href].rstrip('.')})" if href in notes else title for href, title, _text in DASHBOARDS
    )
    body = [widgets.HTML(f'<div class="mm-cards">{cards}</div>')]
    return ui.page(name, "Paneles del comercio", body, css="mm-landing", summary=summary + ".")
