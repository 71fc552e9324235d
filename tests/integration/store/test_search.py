"""Invoice search: full text kept by triggers, filters and cursor pages; SQLite FTS5 and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from minimarket.domain.invoice import ExtractedInvoice, LineItem, Status
from minimarket.store.corrections import correct_invoice
from minimarket.store.db import session_scope
from minimarket.store.invoices import save_extracted
from minimarket.store.search import SearchError, SearchQuery, search, search_summaries, search_terms, summary

ISSUERS = [
    ("30517583231", "Distribuidora Norte SA", "YERBA PLAYADITO 1KG", "1210.00"),
    ("30711122236", "Lácteos del Oeste S.R.L.", "LECHE ENTERA LA SERENÍSIMA", "530.50"),
    ("20123456786", "Kiosco 100% Dulce", "ALFAJOR_TRIPLE", "99.99"),
]


def _invoice(n: int, cuit: str, name: str, item: str, total: str) -> ExtractedInvoice:
    return ExtractedInvoice(
        source_file=f"f{n}.pdf",
        sha256=f"{n:064d}",
        invoice_type="A",
        afip_code=1,
        point_of_sale=3,
        number=1000 + n,
        issue_date=dt.date(2026, 9, 1) + dt.timedelta(days=n),
        issuer_cuit=cuit,
        issuer_name=name,
        total=Decimal(total),
        items=[LineItem(description=item, quantity=Decimal(1), unit_price=Decimal(total), amount=Decimal(total))],
        status=Status.ACCEPTED if n % 2 else Status.NEEDS_REVIEW,
    )


def _fill(url: str | None = None, shop: str | None = None) -> list[int]:
    ids = []
    with session_scope(shop, url=url) as session:
        for n, (cuit, name, item, total) in enumerate(ISSUERS, start=1):
            ids.append(save_extracted(session, _invoice(n, cuit, name, item, total)).invoice_id)
    return ids


def _ids(url: str | None = None, shop: str | None = None, **query: object) -> list[int]:
    with session_scope(shop, url=url) as session:
        wanted = SearchQuery(**query)  # type: ignore[arg-type]
        page = search(session, wanted)
        # the API's column-only list view is the same page as the ORM rows' summaries
        assert search_summaries(session, wanted) == ([summary(row) for row in page.invoices], page.next_cursor)
        return [row.id for row in page.invoices]


def _check(url: str | None) -> None:
    ids = _fill(url)
    assert _ids(url) == sorted(ids, reverse=True)
    assert _ids(url, text="norte") == [ids[0]]
    assert _ids(url, text="lacteos oeste") == [ids[1]]  # accents and case ignored, all words
    assert _ids(url, text="serenisima") == [ids[1]]  # item descriptions
    assert _ids(url, text="yerb") == [ids[0]]  # prefixes
    assert _ids(url, text="30-71112223-6") == [ids[1]]  # a CUIT with dashes
    assert _ids(url, text="0003-00001003") == [ids[2]]  # point of sale and number
    assert _ids(url, text="%") == [ids[2]]  # literally, not a wildcard
    assert _ids(url, text="_") == [ids[2]]
    assert _ids(url, text="100% dulce") == [ids[2]]
    for hostile in ("'; DROP TABLE invoices; --", '"', "NEAR(a b)", "a OR b", "*", "x" * 200):
        assert _ids(url, text=hostile) == []
    assert _ids(url, issuer_cuit="30-51758323-1") == [ids[0]]
    assert _ids(url, status="needs_review") == [ids[1]]
    assert _ids(url, min_total=Decimal("530.50"), max_total=Decimal("1210")) == [ids[1], ids[0]]
    assert _ids(url, date_from=dt.date(2026, 9, 3)) == [ids[2], ids[1]]
    first = _ids(url, limit=2)
    with session_scope(url=url) as session:
        page = search(session, SearchQuery(limit=2))
        assert page.next_cursor == first[-1]
        rest = search(session, SearchQuery(limit=2, cursor=page.next_cursor))
        assert [r.id for r in rest.invoices] == [ids[0]] and rest.next_cursor is None
        correct_invoice(session, ids[0], [("issuer_name", "Mayorista Sur")], author="ana")
    assert _ids(url, text="mayorista") == [ids[0]] and _ids(url, text="norte") == []  # the index follows
    assert _ids(url, shop="otro", text="norte") == []


def test_sqlite_full_text_search() -> None:
    _check(None)


@pytest.mark.postgres
def test_postgresql_full_text_search(postgres_url: str) -> None:
    from minimarket.store.db import upgrade_database

    upgrade_database(postgres_url)
    _check(postgres_url)


def test_bad_queries_say_what_is_accepted() -> None:
    with session_scope() as session:
        for query, words in [
            (SearchQuery(text="a" * 201), "200"),
            (SearchQuery(status="lost"), "accepted"),
            (SearchQuery(issuer_cuit="12"), "11 dígitos"),
            (SearchQuery(limit=0), "entre 1"),
            (SearchQuery(date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 1, 1)), "posterior"),
        ]:
            with pytest.raises(SearchError, match=words):
                search(session, query)


def test_terms() -> None:
    assert search_terms("Lácteos  del OESTE") == ["lacteos", "del", "oeste"]
    assert search_terms("30-71112223-6") == ["30711122236"]
    assert search_terms("0003-00001234") == ["1234"]
    assert search_terms("%_'\"") == []


def test_cli_list_text_percent_is_literal() -> None:
    """Issue 19, item 9: ``invoices list --text "%"`` no longer matches everything."""
    from minimarket.cli import app

    ids = _fill()
    out = CliRunner().invoke(app, ["invoices", "list", "--text", "%"])
    assert out.exit_code == 0, out.output
    assert [row["id"] for row in json.loads(out.output)["invoices"]] == [ids[2]]
    everything = json.loads(CliRunner().invoke(app, ["invoices", "list"]).output)
    assert everything["total"] == 3


@pytest.mark.postgres
def test_postgresql_writes_an_invoices_search_document_once_per_statement(pg_database: str) -> None:
    from sqlalchemy import text

    from minimarket.store.db import upgrade_database

    postgres_url = pg_database
    upgrade_database(postgres_url)
    items = [
        LineItem(description=f"GALLETITAS SURTIDO {n}", quantity=Decimal(1), unit_price=Decimal(10),
                 amount=Decimal(10))
        for n in range(10)
    ]  # fmt: skip
    invoice = _invoice(40, *ISSUERS[0][:2], "x", "100").model_copy(update={"items": items, "sha256": "e" * 64})
    with session_scope("rewrites", url=postgres_url) as session:
        save_extracted(session, invoice)
        session.flush()
        written = session.execute(
            text("SELECT n_tup_ins FROM pg_stat_xact_user_tables WHERE relname = 'invoice_search'")
        ).scalar_one()
    # the invoice's statement and its items' statement: not once per item (11 for 10 items before)
    assert written <= 2
    with session_scope("rewrites", url=postgres_url) as session:
        page = search(session, SearchQuery(text="galletitas surtido 7"))
        assert [row.sha256 for row in page.invoices] == ["e" * 64]
