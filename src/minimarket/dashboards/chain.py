""" "Cadena": the figures of every shop of a chain side by side, and the whole chain's totals with its main
suppliers and products. Thin: the figures are :mod:`minimarket.analytics.chain`'s."""

from __future__ import annotations

import ipywidgets as widgets

from minimarket.analytics import formatting as fmt
from minimarket.analytics.chain import Ranked, chain_shops, chain_summary
from minimarket.config import Settings
from minimarket.dashboards import ui

__all__ = ["chain_board", "session_chain"]


def session_chain(settings: Settings, chain: str | None = None, shop: str | None = None) -> str | None:
    """The chain the page shows: ``chain`` if given, else the chain of ``shop`` (default: the default shop)."""
    from minimarket.store.chains import chain_of_shop
    from minimarket.store.db import session_scope

    if chain:
        return chain.strip()
    with session_scope(url=settings.sqlalchemy_url, all_shops=True, read_only=True) as session:
        return chain_of_shop(session, shop or settings.default_shop_code)


def _ranked(rows: list[Ranked], what: str) -> list[dict[str, str]]:
    return [{what: r.label, "Compras": fmt.money(r.total), "Comercios": fmt.number(r.shops)} for r in rows]


def chain_board(settings: Settings, chain: str | None = None, shop: str | None = None) -> widgets.Widget:
    """The chain page of ``chain`` (or of the chain ``shop`` belongs to)."""
    from minimarket.store.chains import UnknownChain
    from minimarket.store.db import session_scope

    code = session_chain(settings, chain, shop)
    if code is None:
        text = "Este comercio no pertenece a ninguna cadena (un administrador lo suma con «minimarket shop join»)."
        return ui.page("Cadena", "Sin cadena", [ui.notice(text)], css="mm-chain", summary=text)
    try:
        with session_scope(url=settings.sqlalchemy_url, all_shops=True, read_only=True) as session:
            shops = chain_shops(session, code)
            summary = chain_summary(session, code)
    except UnknownChain:
        text = f"No existe la cadena «{code}»."
        return ui.page("Cadena", "Sin cadena", [ui.notice(text, "error")], css="mm-chain", summary=text)
    totals = summary.totals_es()
    body: list[widgets.Widget] = [ui.kpis(totals), ui.heading("Por comercio", level=2)]
    if shops:
        body.append(ui.table([s.row_es() for s in shops]))
        fig = ui.figure("Compras por comercio", height=280, money_axis=True)
        fig.add_bar(
            x=[s.name for s in shops],
            y=[float(s.purchases_total) for s in shops],
            text=[fmt.money(s.purchases_total) for s in shops],
            hovertemplate="%{x}: %{text}<extra></extra>",
        )
        body.append(fig)
    else:
        body.append(ui.notice("La cadena todavía no tiene comercios."))
    if summary.top_suppliers:
        body += [ui.heading("Principales proveedores", level=2), ui.table(_ranked(summary.top_suppliers, "Proveedor"))]
    if summary.top_products:
        body += [ui.heading("Principales productos", level=2), ui.table(_ranked(summary.top_products, "Producto"))]
    line = " · ".join(f"{k}: {v}" for k, v in totals.items())
    return ui.page(f"Cadena — {summary.name}", "Todos los comercios de la cadena", body, css="mm-chain", summary=line)
