"""Chains in the store (migration 0007 up and down, join and leave, the member-shop lookup) and the chain
analytics over them, on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import inspect

from minimarket.analytics.chain import chain_shops, chain_summary
from minimarket.store.chains import (
    UnknownChain,
    create_chain,
    join_chain,
    leave_chain,
    list_chains,
    member_shop,
)
from minimarket.store.db import (
    alembic_config,
    current_revision,
    ensure_shop,
    get_engine,
    head_revision,
    session_scope,
    upgrade_database,
)
from minimarket.store.models import Invoice, InvoiceItem


def _invoice(session, *, total: str, status: str, day: int, cuit: str, sku: str) -> None:
    invoice = Invoice(
        sha256=uuid.uuid4().hex * 2,
        status=status,
        payload={},
        total=Decimal(total),
        issue_date=dt.date(2026, 11, day),
        issuer_cuit=cuit,
        issuer_name=f"Proveedor {cuit[-2:]}",
    )
    invoice.items = [InvoiceItem(line_no=1, description=f"Producto {sku}", amount=Decimal(total), sku=sku)]
    session.add(invoice)


def _seed(url: str, tag: str) -> tuple[str, str, str, str]:
    """Chain ``c`` with shops a (2 invoices, one to review) and b (a rejected one); shop x in chain ``y``."""
    chain, other, a, b, x = (f"{tag}-{n}" for n in ("c", "y", "a", "b", "x"))
    with session_scope(url=url, all_shops=True) as session:
        create_chain(session, chain, "Cadena Sur")
        create_chain(session, other)
        for code in (a, b, x):
            ensure_shop(session, code)
        join_chain(session, a, chain)
        join_chain(session, b, chain)
        join_chain(session, x, other)
    with session_scope(a, url=url) as session:
        _invoice(session, total="1000.50", status="accepted", day=3, cuit="30500010912", sku="779-1")
        _invoice(session, total="200.00", status="needs_review", day=9, cuit="30500010912", sku="779-2")
    with session_scope(b, url=url) as session:
        _invoice(session, total="999.99", status="rejected", day=20, cuit="20123456786", sku="779-9")
        _invoice(session, total="300.00", status="accepted", day=5, cuit="20123456786", sku="779-1")
    with session_scope(x, url=url) as session:
        _invoice(session, total="5000.00", status="accepted", day=25, cuit="27000000006", sku="779-7")
    return chain, a, b, x


def _check_chain(url: str, tag: str) -> None:
    chain, a, b, x = _seed(url, tag)
    with session_scope(url=url, all_shops=True, read_only=True) as session:
        shops = {s.code: s for s in chain_shops(session, chain)}
        assert set(shops) == {a, b}
        assert shops[a].invoices == 2 and shops[a].review_queue == 1
        assert shops[a].purchases_total == Decimal("1200.50")
        assert shops[a].last_invoice_date == dt.date(2026, 11, 9)
        assert shops[b].purchases_total == Decimal("300.00") and shops[b].rejected == 1
        assert shops[a].row_es()["Compras"] == "$ 1.200,50"
        summary = chain_summary(session, chain)
        assert summary.shops == 2 and summary.invoices == 4
        assert summary.purchases_total == Decimal("1500.50")
        assert summary.last_invoice_date == dt.date(2026, 11, 20)
        assert [r.key for r in summary.top_suppliers] == ["30500010912", "20123456786"]
        top = {r.key: r for r in summary.top_products}
        assert top["779-1"].total == Decimal("1300.50") and top["779-1"].shops == 2
        assert "779-7" not in top and "779-9" not in top  # another chain's; a rejected invoice
        assert summary.as_json()["purchases_total"] == "1500.50"
        assert member_shop(session, chain, a) is not None
        assert member_shop(session, chain, str(shops[b].shop_id)) is not None
        assert member_shop(session, chain, x) is None
        assert member_shop(session, chain, "nadie") is None
        with pytest.raises(UnknownChain, match="no existe la cadena"):
            chain_shops(session, "no-hay")
    with session_scope(url=url, all_shops=True) as session:
        assert leave_chain(session, b) == chain
        assert leave_chain(session, b) is None
        info = {c.code: c for c in list_chains(session)}
        assert info[chain].shops == (a,)


def test_chains_on_sqlite(isolated_state) -> None:
    url = f"sqlite:///{isolated_state / 'chains.db'}"
    _check_chain(url, "sq")
    command.downgrade(alembic_config(url), "0006")
    assert "chains" not in inspect(get_engine(url)).get_table_names()
    assert "chain_id" not in {c["name"] for c in inspect(get_engine(url)).get_columns("shops")}
    upgrade_database(url)
    assert current_revision(url) == head_revision()


@pytest.mark.postgres
def test_chains_on_postgresql(postgres_url: str) -> None:
    upgrade_database(postgres_url)
    _check_chain(postgres_url, f"pg{uuid.uuid4().hex[:6]}")
    command.downgrade(alembic_config(postgres_url), "0006")
    engine = get_engine(postgres_url)
    assert "chains" not in inspect(engine).get_table_names()
    upgrade_database(postgres_url)
    assert "chain_id" in {c["name"] for c in inspect(get_engine(postgres_url)).get_columns("shops")}
    command.downgrade(alembic_config(postgres_url), "base")  # the session's server is shared: leave it empty
    upgrade_database(postgres_url)
