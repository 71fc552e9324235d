"""The "Contador y compras" page on a real SQLite store: the shop's invoice lines are read and put in shelf units
once for its three reports (drafts, shelf prices, packs), which are what the library gives without them."""

from __future__ import annotations

from typing import Any

import pytest

import minimarket.store.packs
import minimarket.store.stock
from minimarket.config import Settings
from minimarket.dashboards.accounting import AccountantDesk
from minimarket.demo import seed_demo_shop
from minimarket.purchasing.reports import pack_report, purchase_plan
from minimarket.store.db import session_scope


def test_the_desk_converts_the_shops_invoice_lines_once(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_demo_shop(settings, invoices=80, samples=False, sales_days=90)
    real = minimarket.store.packs.converted_lines
    calls: list[int] = []

    def counted(session: Any, **kwargs: Any) -> Any:
        lines = real(session, **kwargs)
        calls.append(len(lines))
        return lines

    monkeypatch.setattr(minimarket.store.packs, "converted_lines", counted)
    monkeypatch.setattr(minimarket.store.stock, "converted_lines", counted)
    desk = AccountantDesk(settings)
    assert len(calls) == 1 and calls[0] > 100  # a 10,000-invoice shop: 3.5 s each time they are converted
    assert desk.drafts_box.children and desk.shelf_box.children

    with session_scope(url=settings.sqlalchemy_url) as session:
        lines = real(session)
        assert pack_report(session, lines=lines) == pack_report(session)
        assert purchase_plan(session, lines=lines).as_dict() == purchase_plan(session).as_dict()
