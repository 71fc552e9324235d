"""The landing page: the shop's name and a card for each dashboard, with what waits there."""

from __future__ import annotations

import ipywidgets as widgets

from minimarket.analytics import formatting as fmt
from minimarket.config import Settings
from minimarket.dashboards import ui

__all__ = ["CHAIN_CARD", "DASHBOARDS", "landing"]

DASHBOARDS = (
    (
        "analytics.ipynb",
        "Panel del negocio",
        "Compras, ventas y margen, inflación, qué reponer y aumentos de proveedores.",
    ),
    ("review.ipynb", "Facturas a revisar", "Las facturas que el lector no pudo verificar solo."),
    ("models.ipynb", "Modelos", "Qué modelo usa cada pronóstico y si los datos cambiaron."),
    (
        "accounting.ipynb",
        "Contador y compras",
        "Conciliación con ARCA, Libro IVA Digital, pedidos de la semana y precios de góndola.",
    ),
)


CHAIN_CARD = ("chain.ipynb", "Cadena", "Los comercios de la cadena lado a lado y los totales de toda la cadena.")
"""Shown only when the session is a chain's or its shop belongs to a chain."""


def landing(settings: Settings, shop: str | None = None, chain: str | None = None) -> widgets.Widget:
    """Links to the dashboards, titled with the shop's name; the review card says how many wait. The "Cadena"
    card appears for a chain's session (``chain``) or when the shop belongs to a chain."""
    from minimarket.analytics.review import queue_size
    from minimarket.store.chains import chain_of_shop
    from minimarket.store.db import session_scope
    from minimarket.store.models import Shop

    with session_scope(shop, url=settings.sqlalchemy_url) as session:
        row = session.get(Shop, session.info["shop_id"])
        assert row is not None
        name = row.name
        waiting = queue_size(session)
        in_chain = chain or chain_of_shop(session, row.code)
    boards = (*DASHBOARDS, CHAIN_CARD) if in_chain else DASHBOARDS
    notes = {"review.ipynb": f"{fmt.number(waiting)} esperando revisión." if waiting else "Nada para revisar."}
    if in_chain:
        notes["chain.ipynb"] = f"Cadena «{in_chain}»."
    cards = "".join(
        f'<div class="mm-card"><a class="mm-link" href="{href}">{ui.escape(title)}</a>'
        f"<p>{ui.escape(text)}</p><p><b>{ui.escape(notes.get(href, ''))}</b></p></div>"
        for href, title, text in boards
    )
    summary = "Paneles del comercio: " + ", ".join(
        f"{title} ({notes[href].rstrip('.')})" if href in notes else title for href, title, _text in boards
    )
    body = [widgets.HTML(f'<div class="mm-cards">{cards}</div>')]
    return ui.page(name, "Paneles del comercio", body, css="mm-landing", summary=summary + ".")
