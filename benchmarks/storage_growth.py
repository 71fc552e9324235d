"""Storage growth: bytes per stored invoice (rows, items, events, stock movements, search index and every other
index) in a throw-away PostgreSQL and a SQLite file, and the mean size of a development-set document. Prints
JSON with a ``figures`` list; docs/SCALING.md derives the yearly growth from it.

    .venv/bin/python benchmarks/storage_growth.py [--invoices 2000] [--items 10] [--quick]

Invoices go through the store's own door (:func:`minimarket.store.invoices.save_extracted`), 100 per
transaction, into an empty shop of a freshly migrated database; the size is measured before and after (PostgreSQL:
``pg_database_size`` after ``VACUUM ANALYZE`` and a checkpoint; SQLite: the file after a WAL checkpoint).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import random
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import text

from minimarket.bench.figures import emit, figure, quick_arg, with_figures
from minimarket.bench.postgres import throwaway_postgres
from minimarket.catalog import bundled_products, bundled_suppliers
from minimarket.config import REPO_ROOT
from minimarket.domain.invoice import ExtractedInvoice, LineItem, Status, VatLine
from minimarket.store.db import dispose_engines, get_engine, session_scope, upgrade_database
from minimarket.store.invoices import save_extracted

DEV_SET = REPO_ROOT.parent / "shared" / "data" / "invoices"


@contextlib.contextmanager
def _postgres() -> Iterator[str]:
    """A throw-away cluster whose engines are disposed before it stops."""
    with throwaway_postgres() as url:
        try:
            yield url
        finally:
            dispose_engines()


def _invoices(n: int, items: int, seed: int) -> Iterator[ExtractedInvoice]:
    rng = random.Random(seed)
    suppliers = [(s.cuit, s.name) for s in bundled_suppliers()]
    products = [(p.sku, p.name) for p in bundled_products()]
    day0 = dt.date(2026, 1, 1)
    for i in range(1, n + 1):
        cuit, name = rng.choice(suppliers)
        lines = []
        for _ in range(items):
            sku, description = rng.choice(products)
            quantity, price = Decimal(rng.randint(1, 24)), Decimal(rng.randint(100, 20000)) / 100
            lines.append(LineItem(description=description, quantity=quantity, unit_price=price,
                                  amount=quantity * price, sku=sku, sku_confidence=0.9))  # fmt: skip
        net = sum((line.amount or Decimal(0) for line in lines), Decimal(0))
        vat = (net * Decimal("0.21")).quantize(Decimal("0.01"))
        yield ExtractedInvoice(
            source_file=f"factura{i}.pdf", sha256=f"{seed:08x}{i:056x}", invoice_type="A", afip_code=1,
            point_of_sale=rng.randint(1, 20), number=i, issue_date=day0 + dt.timedelta(days=i % 365),
            issuer_cuit=cuit, issuer_name=name, cae=f"{rng.randrange(10**13, 10**14)}", net_amount=net,
            vat=[VatLine(rate=Decimal("21"), base=net, amount=vat)], total=net + vat, items=lines,
            status=Status.ACCEPTED if i % 5 else Status.NEEDS_REVIEW,
        )  # fmt: skip


def _size(url: str) -> dict[str, int]:
    if url.startswith("sqlite"):
        dispose_engines()  # the store's connections hold transactions open; checkpoint with a plain one
        path = Path(url.removeprefix("sqlite:///"))
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return {"database": sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))}
    engine = get_engine(url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        conn.execute(text("CHECKPOINT"))
        sizes = {"database": int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())}
        rows = conn.execute(text(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')"
        ))  # fmt: skip
        sizes.update({str(name): int(size) for name, size in rows})
    return sizes


def measure(url: str, n: int, items: int, seed: int) -> dict[str, Any]:
    """Bytes per invoice stored through ``save_extracted`` into ``url`` (freshly migrated)."""
    upgrade_database(url)
    with session_scope("storage", url=url):
        pass
    before = _size(url)
    started = time.perf_counter()
    batch: list[ExtractedInvoice] = []
    for invoice in _invoices(n, items, seed):
        batch.append(invoice)
        if len(batch) == 100:
            with session_scope("storage", url=url) as session:
                for one in batch:
                    save_extracted(session, one)
            batch = []
    if batch:
        with session_scope("storage", url=url) as session:
            for one in batch:
                save_extracted(session, one)
    seconds = time.perf_counter() - started
    after = _size(url)
    grown = {k: after[k] - before.get(k, 0) for k in after}
    result: dict[str, Any] = {
        "invoices": n,
        "items_per_invoice": items,
        "bytes_per_invoice": round(grown["database"] / n, 1),
        "insert_seconds": round(seconds, 2),
        "invoices_per_second": round(n / seconds, 1),
    }
    tables = {k: round(v / n, 1) for k, v in sorted(grown.items(), key=lambda kv: -kv[1]) if k != "database" and v}
    if tables:
        result["bytes_per_invoice_by_table"] = tables
        result["bytes_per_invoice_outside_tables"] = round(grown["database"] / n - sum(tables.values()), 1)
    return result


def dev_documents() -> dict[str, Any]:
    files = sorted(p for p in DEV_SET.glob("*") if p.suffix.lower() in {".pdf", ".png", ".jpg", ".jpeg", ".tif"})
    if not files:
        return {"files": 0}
    sizes = [p.stat().st_size for p in files]
    return {"files": len(files), "mean_bytes": round(sum(sizes) / len(sizes), 1), "max_bytes": max(sizes)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=2000)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--seed", type=int, default=23)
    quick_arg(parser)
    args = parser.parse_args()
    if args.quick:
        args.invoices = 200
    result: dict[str, Any] = {"benchmark": "storage_growth"}
    with _postgres() as url:
        result["postgresql"] = measure(url, args.invoices, args.items, args.seed)
    with tempfile.TemporaryDirectory(prefix="mm-storage-sqlite-") as tmp:
        result["sqlite"] = measure(f"sqlite:///{Path(tmp) / 'minimarket.db'}", args.invoices, args.items, args.seed)
        dispose_engines()
    result["documents"] = dev_documents()
    result["note"] = "synthetic invoices through save_extracted; sizes include indexes, TOAST and the search index"
    pg, lite = result["postgresql"]["bytes_per_invoice"], result["sqlite"]["bytes_per_invoice"]
    figures = [
        figure(f"PostgreSQL bytes per invoice ({args.items} items) vs SQLite", pg, lite, unit="B", better="lower"),
    ]
    emit(with_figures(result, figures))


if __name__ == "__main__":
    main()
