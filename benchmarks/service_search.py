"""Invoice search over 100,000 stored invoices with 1,000,000 items (SQLite file): p50/p95 of the full-text search
(:mod:`minimarket.store.search`) side by side with the substring search it replaced (LIKE over names and items).

The invoices are bulk-loaded with the index triggers set aside and the index rebuilt once (as an operator would
load an archive); every query then goes through ``search()`` as the API does. Prints JSON.

    .venv/bin/python benchmarks/service_search.py [--invoices 100000] [--items 10] [--queries 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, or_, select, text

from minimarket.catalog import bundled_products, bundled_suppliers
from minimarket.store.db import dispose_engines, get_engine, session_scope, upgrade_database
from minimarket.store.models import Invoice, InvoiceItem
from minimarket.store.search import SearchQuery, search


def _bulk_load(url: str, n_invoices: int, n_items: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    suppliers = [(s.cuit, s.name) for s in bundled_suppliers()]
    products = [p.name for p in bundled_products()]
    engine = get_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        shop_id = conn.execute(text("SELECT id FROM shops WHERE code = 'default'")).scalar_one()
        triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
        for name, _sql in triggers:
            conn.execute(text(f"DROP TRIGGER {name}"))
        day0 = dt.date(2024, 1, 1)
        invoices, items = [], []
        for i in range(1, n_invoices + 1):
            cuit, name = rng.choice(suppliers)
            total = f"{rng.randint(1000, 5_000_000) / 100:.2f}"
            status = rng.choice(("accepted", "accepted", "accepted", "needs_review"))
            issued = (day0 + dt.timedelta(days=rng.randrange(900))).isoformat()
            invoices.append(
                {
                    "id": i,
                    "shop_id": shop_id,
                    "sha256": f"{i:064x}",
                    "afip_code": 1,
                    "invoice_type": "A",
                    "point_of_sale": rng.randint(1, 20),
                    "number": i,
                    "issue_date": issued,
                    "issuer_cuit": cuit,
                    "issuer_name": name,
                    "cae": f"{rng.randrange(10**13, 10**14)}",
                    "total": total,
                    "status": status,
                    "payload": "{}",
                    "created_at": "2026-01-01 00:00:00",
                    "updated_at": "2026-01-01 00:00:00",
                }
            )
            for line in range(1, n_items + 1):
                items.append(
                    {"shop_id": shop_id, "invoice_id": i, "line_no": line, "description": rng.choice(products)}
                )
            if len(items) >= 200_000 or i == n_invoices:
                conn.execute(
                    text(
                        "INSERT INTO invoices (id, shop_id, sha256, afip_code, invoice_type, point_of_sale, number,"
                        " issue_date, issuer_cuit, issuer_name, cae, total, status, payload, created_at, updated_at)"
                        " VALUES (:id, :shop_id, :sha256, :afip_code, :invoice_type, :point_of_sale, :number,"
                        " :issue_date, :issuer_cuit, :issuer_name, :cae, :total, :status, :payload, :created_at,"
                        " :updated_at)"
                    ),
                    invoices,
                )
                conn.execute(
                    text(
                        "INSERT INTO invoice_items (shop_id, invoice_id, line_no, description)"
                        " VALUES (:shop_id, :invoice_id, :line_no, :description)"
                    ),
                    items,
                )
                invoices, items = [], []
        loaded = time.perf_counter()
        conn.execute(text("DELETE FROM invoice_search"))
        conn.execute(
            text(
                "INSERT INTO invoice_search(rowid, body) SELECT i.id, lower(coalesce(i.issuer_name, '') || ' ' ||"
                " coalesce(i.issuer_cuit, '') || ' ' || coalesce(i.number, '') || ' ' || coalesce(i.cae, '') || ' '"
                " || coalesce((SELECT group_concat(it.description, ' ') FROM invoice_items it"
                " WHERE it.invoice_id = i.id), '')) FROM invoices i"
            )
        )
        for _name, sql in triggers:
            conn.execute(text(sql))
    conn_done = time.perf_counter()
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    return {"load_seconds": round(loaded - started, 1), "index_seconds": round(conn_done - loaded, 1)}


def _queries(n: int, seed: int) -> list[SearchQuery]:
    rng = random.Random(seed + 1)
    suppliers = [(s.cuit, s.name) for s in bundled_suppliers()]
    words = sorted({w for p in bundled_products() for w in p.name.lower().split() if len(w) >= 4 and w.isalpha()})
    out = []
    for k in range(n):
        kind = k % 5
        if kind == 0:
            out.append(SearchQuery(text=rng.choice(words)))
        elif kind == 1:
            out.append(SearchQuery(text=rng.choice(words)[:4]))  # a prefix as typed
        elif kind == 2:
            out.append(SearchQuery(text=f"{rng.choice(words)} {rng.choice(words)}"))
        elif kind == 3:
            cuit = rng.choice(suppliers)[0]
            out.append(SearchQuery(text=f"{cuit[:2]}-{cuit[2:10]}-{cuit[10]}", status="needs_review"))
        else:
            name = rng.choice(suppliers)[1].split()[0]
            start = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(700))
            out.append(SearchQuery(text=name, date_from=start, date_to=start + dt.timedelta(days=90)))
    return out


def _like_reference(session: object, query: SearchQuery) -> list[int]:
    """The search this replaced: substring LIKE over issuer names and item descriptions."""
    pattern = f"%{(query.text or '').strip().lower()}%"
    statement = select(Invoice.id).where(
        or_(
            func.lower(Invoice.issuer_name).like(pattern),
            Invoice.id.in_(select(InvoiceItem.invoice_id).where(func.lower(InvoiceItem.description).like(pattern))),
        )
    )
    if query.status:
        statement = statement.where(Invoice.status == query.status)
    if query.date_from:
        statement = statement.where(Invoice.issue_date >= query.date_from)
    if query.date_to:
        statement = statement.where(Invoice.issue_date <= query.date_to)
    statement = statement.order_by(Invoice.id.desc()).limit(query.limit + 1)
    return list(session.scalars(statement))  # type: ignore[attr-defined]


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(1000 * statistics.median(ordered), 2),
        "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 2),
        "max_ms": round(1000 * ordered[-1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=10, help="items per invoice")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--reference-queries", type=int, default=20, help="LIKE queries (slow) timed for comparison")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mm-search-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'search.db'}"
        upgrade_database(url)
        build = _bulk_load(url, args.invoices, args.items, args.seed)
        queries = _queries(args.queries, args.seed)
        fts, hits = [], []
        with session_scope(url=url) as session:
            for query in queries[:5]:  # warm the page cache
                search(session, query)
            for query in queries:
                started = time.perf_counter()
                page = search(session, query)
                fts.append(time.perf_counter() - started)
                hits.append(len(page.invoices))
            like = []
            for query in queries[: args.reference_queries]:
                started = time.perf_counter()
                _like_reference(session, query)
                like.append(time.perf_counter() - started)
            n_items = session.scalar(select(func.count(InvoiceItem.id)))
        dispose_engines()
    full_text = _percentiles(fts)
    reference = _percentiles(like)
    result = {
        "benchmark": "service_search",
        "invoices": args.invoices,
        "items": n_items,
        "queries": len(queries),
        "first_page_hits_mean": round(statistics.mean(hits), 1),
        "full_text": full_text,
        "like_reference": {**reference, "queries": len(like)},
        "p95_speedup_vs_like": round(reference["p95_ms"] / max(full_text["p95_ms"], 1e-6), 1),
        "goal_p95_ms": 50,
        "goal_met": full_text["p95_ms"] < 50,
        **build,
        "note": "shared 2-core machine; SQLite file in a temp folder; first page of 50 per query",
    }
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
