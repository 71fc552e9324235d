"""The "Cadena" page and the landing card on a real SQLite store: Spanish, es-AR formats, the card only for a
shop in a chain (or a chain's session)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from minimarket.config import Settings
from minimarket.dashboards.chain import chain_board
from minimarket.dashboards.landing import landing
from minimarket.store.chains import create_chain, join_chain
from minimarket.store.db import ensure_shop, session_scope
from minimarket.store.models import Invoice


def _chain(settings: Settings) -> None:
    with session_scope(url=settings.sqlalchemy_url, all_shops=True) as session:
        create_chain(session, "sur", "Cadena Sur")
        for code, name in (("sur-1", "Sur Centro"), ("sur-2", "Sur Puerto")):
            ensure_shop(session, code, name)
            join_chain(session, code, "sur")
    for code, total in (("sur-1", "123456.78"), ("sur-2", "1000")):
        with session_scope(code, url=settings.sqlalchemy_url) as session:
            session.add(
                Invoice(
                    sha256=code * 8,
                    status="accepted",
                    payload={},
                    total=Decimal(total),
                    issue_date=dt.date(2026, 11, 30),
                    issuer_cuit="30500010912",
                    issuer_name="La Serenísima",
                )
            )


def test_chain_page_shows_each_shop_and_the_whole_chain(settings: Settings) -> None:
    _chain(settings)
    page = chain_board(settings, shop="sur-2")
    assert page.summary == (
        "Cadena — Cadena Sur. Comercios: 2 · Facturas: 2 · Compras: $ 124.456,78 · Última factura: 30/11/2026 · "
        "Por revisar: 0 · Rechazadas: 0"
    )
    html = "".join(getattr(child, "value", "") for child in page.children)
    assert "Sur Centro" in html and "$ 123.456,78" in html and "La Serenísima" in html
    assert chain_board(settings, chain="sur").summary == page.summary


def test_chain_page_without_a_chain_says_so(settings: Settings) -> None:
    assert "no pertenece a ninguna cadena" in chain_board(settings).summary
    assert "No existe la cadena «nada»" in chain_board(settings, chain="nada").summary


def test_landing_shows_the_chain_card_only_in_a_chain(settings: Settings) -> None:
    _chain(settings)
    assert "Cadena" not in landing(settings).summary
    assert landing(settings, "sur-1").summary.endswith("Cadena (Cadena «sur»).")
    assert "Cadena (Cadena «sur»)" in landing(settings, chain="sur").summary
