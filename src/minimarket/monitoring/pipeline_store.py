"""The pipeline's own store: a scratch SQLite database seeded with the data the pipeline made.

The DVC ``drift`` stage must check every source out of the box, on a fresh clone, without touching the
shop's database: it rebuilds this store each run with the bundled catalog, the synthetic sales
(``data/generated/sales.csv``) and synthetic supplier invoices (the corpus generator's invoices for the
pipeline's seed, as ground truth, spread over two years), then checks drift against it.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

SALES_COLUMNS = ("date", "sku", "quantity", "unit_price")


@dataclass(frozen=True)
class SeededStore:
    """What :func:`seed_store` put in the scratch database at ``url``."""

    url: str
    products: int
    sales_rows: int
    invoices: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def seed_store(path: Path, *, sales_csv: Path, invoices: int, seed: int) -> SeededStore:
    """Recreate the SQLite store at ``path``: migrations, the bundled catalog, the sales of ``sales_csv`` and
    ``invoices`` synthetic invoices drawn with ``seed`` (each saved as its ground truth)."""
    from minimarket.catalog import bundled_catalog
    from minimarket.sales_csv import SalesColumns, read_sales_csv
    from minimarket.store.catalog import upsert_catalog
    from minimarket.store.db import dispose_engines, session_scope, upgrade_database
    from minimarket.store.invoices import save_extracted
    from minimarket.store.sales import batch_id, import_sales
    from minimarket.synth.invoices.dataset import make_spec

    path.parent.mkdir(parents=True, exist_ok=True)
    dispose_engines()
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    url = f"sqlite:///{path.resolve()}"
    upgrade_database(url)
    catalog = bundled_catalog()
    columns = SalesColumns(*SALES_COLUMNS)
    raw = sales_csv.read_bytes()
    table = read_sales_csv(raw, columns)
    with session_scope(url=url) as session:
        products = upsert_catalog(session, catalog.suppliers, catalog.products)
        sales = import_sales(session, table, batch=batch_id(raw))
    saved = 0
    with session_scope(url=url) as session:
        for index in range(invoices):
            name = f"synthetic-{seed}-{index:05d}"
            truth = make_spec(catalog, seed, index).truth(f"{name}.pdf", hashlib.sha256(name.encode()).hexdigest())
            saved += save_extracted(session, truth, author="pipeline").created
    return SeededStore(url=url, products=products.products_added, sales_rows=sales.rows, invoices=saved)


def drift_store(store: str, *, path: Path, sales_csv: Path, invoices: int, seed: int) -> SeededStore | None:
    """The store the drift check reads: ``"pipeline"`` seeds the scratch store at ``path`` (see
    :func:`seed_store`), ``"shop"`` is the shop's own database (None: the Settings' database)."""
    if store == "shop":
        return None
    if store != "pipeline":
        raise ValueError(f"unknown store {store!r}: use 'pipeline' (a scratch store the pipeline seeds) or 'shop'")
    return seed_store(path, sales_csv=sales_csv, invoices=invoices, seed=seed)
