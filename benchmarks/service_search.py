"""Invoice search over 100,000 stored invoices with 1,000,000 items (SQLite file): p50/p95 of the full-text search
(:mod:`minimarket.store.search`) side by side with the substring search it replaced (LIKE over names and items),
in process and through a real server (``GET invoices?text=…``, one request at a time).

The invoices are bulk-loaded with the index triggers set aside and the index rebuilt once (as an operator would
load an archive), each with a payload of the size a real one has (its items); every query then goes through
``search_summaries()`` as the API does. Prints JSON with a ``figures`` list.

    .venv/bin/python benchmarks/service_search.py [--invoices 100000] [--items 10] [--queries 200] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, or_, select, text

from minimarket.bench.figures import emit, figure, quick_arg, with_figures
from minimarket.catalog import bundled_products, bundled_suppliers
from minimarket.store.db import dispose_engines, get_engine, session_scope, upgrade_database
from minimarket.store.models import Invoice, InvoiceItem
from minimarket.store.search import SearchQuery, search_summaries


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
            lines = [rng.choice(products) for _ in range(n_items)]
            invoices[-1]["payload"] = _payload(invoices[-1], lines)
            for line, description in enumerate(lines, start=1):
                items.append({"shop_id": shop_id, "invoice_id": i, "line_no": line, "description": description})
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


def _payload(row: dict[str, object], lines: list[str]) -> str:
    """A stored payload of a real one's size: the header fields and each item with its figures."""
    items = [
        {"code": None, "description": d, "quantity": "2", "unit": "un", "unit_price": "1234.50", "discount": None,
         "amount": "2469.00", "vat_rate": "21", "sku": None, "sku_confidence": None}
        for d in lines
    ]  # fmt: skip
    fields = {k: row[k] for k in ("sha256", "invoice_type", "afip_code", "point_of_sale", "number", "issue_date")}
    header = {**fields, "issuer_cuit": row["issuer_cuit"], "issuer_name": row["issuer_name"], "total": row["total"]}
    checks = [{"name": name, "ok": True, "detail": ""} for name in ("cuit", "items_sum", "vat", "total")]
    return json.dumps({**header, "status": row["status"], "items": items, "checks": checks, "sources": {}})


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


def _params(query: SearchQuery) -> dict[str, str]:
    params = {"text": query.text or ""}
    if query.status:
        params["status"] = query.status
    if query.date_from and query.date_to:
        params.update(date_from=query.date_from.isoformat(), date_to=query.date_to.isoformat())
    return params


def _through_api(url: str, folder: Path, queries: list[SearchQuery]) -> dict[str, float]:
    """p50/p95 of ``GET invoices?text=…`` against a real server on the same database, one at a time, and the
    API process's CPU per request (a figure the machine's other load hardly moves)."""
    import httpx
    import psutil

    from minimarket.service.local import LocalServer, server_env

    state = folder / "state"
    state.mkdir()
    env = server_env(state, database_url=url, rate_limit_per_minute=10**6, rate_limit_per_minute_ip=10**6)
    with LocalServer(env=env, log=state / "server.log") as server:
        headers = {"Authorization": f"Bearer {server.token('manager')}"}
        assert server.process is not None
        tree = psutil.Process(server.process.pid).children(recursive=True)
        api = [p for p in tree if "--service-name minimarket " in " ".join(p.cmdline()) + " "]
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
            for query in queries[:10]:
                client.get("/api/v1/invoices", params=_params(query)).raise_for_status()
            cpu_before = sum(sum(p.cpu_times()[:2]) for p in api)
            samples = []
            for query in queries:
                started = time.perf_counter()
                client.get("/api/v1/invoices", params=_params(query)).raise_for_status()
                samples.append(time.perf_counter() - started)
            cpu = sum(sum(p.cpu_times()[:2]) for p in api) - cpu_before
    return {**_percentiles(samples), "api_cpu_ms_per_request": round(1000 * cpu / len(queries), 2)}


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
    parser.add_argument("--no-api", dest="api", action="store_false", help="in process only (no server)")
    parser.add_argument("--seed", type=int, default=7)
    quick_arg(parser)
    args = parser.parse_args()
    if args.quick:
        args.invoices, args.queries, args.reference_queries, args.api = 10_000, 60, 5, False
    with tempfile.TemporaryDirectory(prefix="mm-search-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'search.db'}"
        upgrade_database(url)
        build = _bulk_load(url, args.invoices, args.items, args.seed)
        queries = _queries(args.queries, args.seed)
        fts, hits = [], []
        with session_scope(url=url) as session:
            for query in queries[:5]:  # warm the page cache
                search_summaries(session, query)
            for query in queries:
                started = time.perf_counter()
                rows, _cursor = search_summaries(session, query)
                fts.append(time.perf_counter() - started)
                hits.append(len(rows))
            like = []
            for query in queries[: args.reference_queries]:
                started = time.perf_counter()
                _like_reference(session, query)
                like.append(time.perf_counter() - started)
            n_items = session.scalar(select(func.count(InvoiceItem.id)))
        dispose_engines()
        api = _through_api(url, Path(tmp), queries) if args.api else None
    full_text = _percentiles(fts)
    reference = _percentiles(like)
    size = f"{args.invoices:,} invoices"
    figures = [
        figure(f"search p95 in process, {size}, vs LIKE", full_text["p95_ms"], reference["p95_ms"],
               goal=("<", 50), unit="ms", better="lower"),
    ]  # fmt: skip
    if api is not None:
        figures.append(
            figure(f"search p95 through the API, {size}", api["p95_ms"], goal=("<", 50), unit="ms", better="lower")
        )
        figures.append(figure("API CPU per search request", api["api_cpu_ms_per_request"], unit="ms", better="lower"))
    result = {
        "benchmark": "service_search",
        "invoices": args.invoices,
        "items": n_items,
        "queries": len(queries),
        "first_page_hits_mean": round(statistics.mean(hits), 1),
        "full_text": full_text,
        "through_api": api,
        "like_reference": {**reference, "queries": len(like)},
        "p95_speedup_vs_like": round(reference["p95_ms"] / max(full_text["p95_ms"], 1e-6), 1),
        "goal_p95_ms": 50,
        "goal_met": (api or full_text)["p95_ms"] < 50,
        **build,
        "load_average_1min": round(os.getloadavg()[0], 1),
        "note": "shared 2-core machine; SQLite file in a temp folder; first page of 50 per query; the API figures "
        "include HTTP, the token, the shop's session and the JSON (one request at a time)",
    }
    emit(with_figures(result, figures))


if __name__ == "__main__":
    main()
