"""A demo shop: the bundled catalog, the sample invoices, two years of synthetic sales and purchases, CPI.

:func:`seed_demo_shop` is what ``minimarket demo seed`` (and ``make run``) calls. Every step looks at the store
first and does only what is missing, so a second run costs a few queries:

1. the bundled catalog (suppliers and products), when the shop has no products;
2. two years of synthetic POS sales (:func:`minimarket.synth.sales.simulate_sales`), when it has no sales;
3. the latest bundled CPI figure recorded as the shop's last monthly update, when none was recorded (and the
   inflation forecast the business panel shows, computed once and kept in ``<state>/cache``);
4. an opening stock count per product (one ``adjustment`` movement each, applied once);
5. synthetic supplier invoices up to ``invoices`` (:func:`generate_invoices`, bulk inserts);
6. the sample invoices in ``data/samples`` read by the real extractor and saved (skipped by file hash).

:func:`generate_invoices` is also the bulk generator for timing figures (10,000 invoices for the dashboards,
100,000 invoices / 1,000,000 items for search): rows go in with multi-row INSERTs, a few thousand at a time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from minimarket.config import Settings
from minimarket.store.models import (
    Invoice,
    InvoiceEvent,
    InvoiceItem,
    Product,
    Sale,
    StockMovement,
    Supplier,
)

__all__ = [
    "DEFAULT_INVOICES",
    "SYNTHETIC_PREFIX",
    "GenerationReport",
    "SeedReport",
    "generate_invoices",
    "seed_demo_shop",
]

DEFAULT_INVOICES = 1500
"""About one invoice a week from each of the 15 bundled suppliers over two years."""
SYNTHETIC_PREFIX = "sintetica/"
"""``source_file`` prefix of generated invoices (how a later run counts them)."""
SALES_BATCH = "demo-sales-v1"
DEMO_AUTHOR = "demo"
RECEIVER_CUIT = "20190616585"
CENT = Decimal("0.01")
CHUNK = 2000


@dataclass
class GenerationReport:
    """What :func:`generate_invoices` stored."""

    invoices: int = 0
    items: int = 0
    events: int = 0
    stock_movements: int = 0
    already_present: int = 0
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "invoices": self.invoices,
            "items": self.items,
            "events": self.events,
            "stock_movements": self.stock_movements,
            "already_present": self.already_present,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }


@dataclass
class SeedReport:
    """What :func:`seed_demo_shop` did, step by step (``None``: the step had nothing to do)."""

    shop: str
    catalog: dict[str, int] | None = None
    sales_rows: int | None = None
    inflation_month: str | None = None
    opening_stock: int | None = None
    invoices: GenerationReport = field(default_factory=GenerationReport)
    samples: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "shop": self.shop,
            "catalog": self.catalog,
            "sales_rows": self.sales_rows,
            "inflation_month": self.inflation_month,
            "opening_stock": self.opening_stock,
            "invoices": self.invoices.as_dict(),
            "samples": self.samples,
        }


# --- the seed ------------------------------------------------------------------------------------------------


def seed_demo_shop(
    settings: Settings,
    *,
    shop: str | None = None,
    invoices: int = DEFAULT_INVOICES,
    samples: bool = True,
    sales_days: int = 730,
    progress: Callable[[str], None] | None = None,
) -> SeedReport:
    """Fill ``shop`` (default: the settings' default shop) with the demo data that is still missing."""
    from minimarket.store.db import session_scope

    say = progress or (lambda _message: None)
    code = shop or settings.default_shop_code
    report = SeedReport(shop=code)
    url = settings.sqlalchemy_url
    with session_scope(code, url=url) as session:
        say("catálogo")
        report.catalog = _seed_catalog(session)
    with session_scope(code, url=url) as session:
        say("ventas sintéticas")
        report.sales_rows = _seed_sales(session, days=sales_days)
    with session_scope(code, url=url) as session:
        say("inflación")
        report.inflation_month = _seed_inflation(session, settings)
        report.opening_stock = _seed_opening_stock(session)
    with session_scope(code, url=url) as session:
        say("pronóstico de inflación")
        from minimarket.analytics.prices import forecast_cache_dir, inflation_outlook

        inflation_outlook(session, cache_dir=forecast_cache_dir(settings))  # computed once, reused by the panel
    with session_scope(code, url=url) as session:
        say("facturas sintéticas")
        end = _last_sale_day(session) or demo_end_date()
        report.invoices = generate_invoices(session, invoices, end=end, days=sales_days)
    if samples:
        say("facturas de ejemplo")
        report.samples = _seed_samples(settings, code)
    return report


def _seed_catalog(session: Session) -> dict[str, int] | None:
    if session.scalar(select(func.count(Product.id))):
        return None
    from minimarket.catalog import bundled_products, bundled_suppliers
    from minimarket.store.catalog import upsert_catalog

    return upsert_catalog(session, bundled_suppliers(), bundled_products()).as_dict()


def _seed_sales(session: Session, *, days: int) -> int | None:
    if session.scalar(select(Sale.id).limit(1)) is not None:
        return None
    from minimarket.sales_csv import SalesTable
    from minimarket.store.sales import import_sales
    from minimarket.synth.sales import simulate_sales

    end = demo_end_date()
    simulation = simulate_sales(start=end - dt.timedelta(days=days - 1), days=days)
    frame = simulation.sales
    table = SalesTable(
        dates=[d.date() for d in frame["date"]],
        skus=[str(s) for s in frame["sku"]],
        quantities=[Decimal(int(q)) for q in frame["quantity"]],
        unit_prices=[Decimal(f"{p:.2f}") for p in frame["unit_price"]],
        stores=[None] * len(frame),
    )
    return import_sales(session, table, batch=hashlib.sha256(f"{SALES_BATCH}:{days}".encode()).hexdigest()).rows


def demo_end_date() -> dt.date:
    """The demo's "today": the last day of the last month of the bundled CPI series."""
    from minimarket.forecast.cpi import headline_series

    last = headline_series().index[-1]
    return dt.date(last.year, last.month, last.days_in_month)


def _seed_inflation(session: Session, settings: Settings) -> str | None:
    from minimarket.forecast.cpi import headline_series
    from minimarket.store.inflation import observations, record_observation

    if observations(session):
        return None
    series = headline_series(settings.cpi_dir)
    month = series.index[-1]
    record_observation(
        session,
        month=str(month),
        pct=round(float(series.iloc[-1]), 4),
        source="INDEC (serie incluida)",
        author=DEMO_AUTHOR,
    )
    return str(month)


def _seed_opening_stock(session: Session) -> int | None:
    """Two weeks of each product's mean sales as the stock counted before the first sale (applied once)."""
    keys = set(session.scalars(select(StockMovement.idempotency_key).where(StockMovement.kind == "adjustment")))
    first = session.scalar(select(func.min(Sale.date)))
    rates = _daily_rates(session)
    shop_id = session.info["shop_id"]
    when = dt.datetime.combine(first or dt.date.today(), dt.time(8, 0), tzinfo=dt.UTC)
    rows = []
    for sku, pack in session.execute(select(Product.sku, Product.pack_size)):
        key = f"demo:opening:{sku}"
        if key in keys:
            continue
        units = max(int(pack or 1), math.ceil(14 * rates.get(sku, 0.5)))
        rows.append(
            {
                "shop_id": shop_id,
                "sku": sku,
                "quantity": Decimal(units),
                "kind": "adjustment",
                "reference": "recuento inicial (demo)",
                "idempotency_key": key,
                "occurred_at": when,
            }
        )
    if rows:
        session.execute(insert(StockMovement), rows)
    return len(rows) or None


def _last_sale_day(session: Session) -> dt.date | None:
    return session.scalar(select(func.max(Sale.date)))


def _daily_rates(session: Session) -> dict[str, float]:
    """Mean units sold a day per SKU over the shop's sales history (empty without sales)."""
    span = session.execute(select(func.min(Sale.date), func.max(Sale.date))).one()
    if span[0] is None:
        return {}
    days = (span[1] - span[0]).days + 1
    totals = session.execute(select(Sale.sku, func.sum(Sale.quantity)).group_by(Sale.sku))
    return {sku: max(0.0, float(total or 0)) / days for sku, total in totals}


def _seed_samples(settings: Settings, shop: str) -> list[dict[str, Any]]:
    """Read and save the bundled sample invoices that the shop does not have yet (by file hash)."""
    from minimarket.documents.batch import expand_paths
    from minimarket.learning.runtime import load_reader
    from minimarket.store.db import session_scope
    from minimarket.store.invoices import InvoiceNotStorable, save_extracted

    folder = settings.samples_dir
    if not folder.is_dir():
        return []
    files = expand_paths([folder])
    hashes = {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in files}
    with session_scope(shop, url=settings.sqlalchemy_url) as session:
        known = set(session.scalars(select(Invoice.sha256).where(Invoice.sha256.in_(hashes.values()))))
    out: list[dict[str, Any]] = []
    reader = load_reader(settings) if any(hashes[path] not in known for path in files) else None
    for path in files:
        if hashes[path] in known or reader is None:
            continue
        extracted = reader.extract(path, name=_relative(path, settings.root))
        entry: dict[str, Any] = {"file": path.name, "status": str(extracted.status)}
        try:
            with session_scope(shop, url=settings.sqlalchemy_url) as session:
                entry["invoice_id"] = save_extracted(session, extracted, author=DEMO_AUTHOR).invoice_id
        except InvoiceNotStorable as exc:
            entry["error"] = str(exc)
        out.append(entry)
    return out


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


# --- bulk synthetic invoices ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    sku: str
    code: str | None
    description: str
    pack: int
    cost: Decimal
    vat_rate: Decimal


@dataclass
class _SupplierPlan:
    supplier: Supplier
    lines: list[_Line]
    letter: str
    afip_code: int
    cursor: int = 0


_KINDS = (("pdf", "text", 0.03), ("pdf", "ocr", 0.12), ("jpg", "ocr", 0.25))
"""(file extension, how it was read, share needing review) of a generated invoice: text PDF, scan, photo."""
_KIND_WEIGHTS = (0.5, 0.3, 0.2)
_CORRECTED_FIELDS = ("total", "net_amount", "issue_date", "items.1.unit_price", "items.1.quantity", "number")
_RISING_SUPPLIERS = 2
"""The first suppliers (by CUIT) whose prices rise above inflation over the last quarter (price-rise evidence)."""


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _cpi_factors(start: dt.date, end: dt.date) -> dict[str, float]:
    """Price level of each month relative to ``end``'s month (bundled CPI; 2 % a month past its end)."""
    import pandas as pd

    from minimarket.forecast.cpi import headline_series

    try:
        known = headline_series()
    except FileNotFoundError:
        known = pd.Series(dtype=float)
    months = pd.period_range(pd.Period(start, "M"), pd.Period(end, "M"), freq="M")
    level, levels = 1.0, {}
    for month in months:
        level *= 1 + float(known.get(month, 2.0)) / 100
        levels[str(month)] = level
    return {month: value / level for month, value in levels.items()}


def _plans(session: Session) -> list[_SupplierPlan]:
    products: dict[int, list[_Line]] = {}
    for product in session.scalars(select(Product).where(Product.active).order_by(Product.sku)):
        if product.supplier_id is None or product.cost is None:
            continue
        products.setdefault(product.supplier_id, []).append(
            _Line(
                sku=product.sku,
                code=(product.ean or product.sku)[-6:],
                description=product.supplier_description or product.name.upper(),
                pack=max(1, product.pack_size or 1),
                cost=Decimal(product.cost),
                vat_rate=Decimal(product.vat_rate),
            )
        )
    plans = []
    for supplier in session.scalars(select(Supplier).order_by(Supplier.cuit)):
        lines = products.get(supplier.id)
        if not lines:
            continue
        monotributo = "monotrib" in (supplier.iva_condition or "").lower()
        plans.append(_SupplierPlan(supplier, lines, "C" if monotributo else "A", 11 if monotributo else 1))
    return plans


CHAIN_BRANCHES = ("centro", "norte", "sur")
"""The shops of a demo chain: ``<chain>-centro``, ``<chain>-norte`` and ``<chain>-sur``."""


def seed_demo_chain(
    settings: Settings,
    chain: str,
    *,
    invoices: int = DEFAULT_INVOICES,
    samples: bool = True,
    sales_days: int = 730,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """A demo chain of three shops (:data:`CHAIN_BRANCHES`), each seeded by :func:`seed_demo_shop` with a
    different number of invoices (all, 3/4, 1/2) so that the per-shop figures differ; the sample invoices go to
    the first shop only. Safe to run again."""
    from minimarket.store.chains import create_chain, join_chain
    from minimarket.store.db import ensure_shop, session_scope

    say = progress or (lambda _message: None)
    with session_scope(url=settings.sqlalchemy_url, all_shops=True) as session:
        found, _created = create_chain(session, chain, f"Cadena {chain}")
        code = found.code
    reports = []
    for index, branch in enumerate(CHAIN_BRANCHES):
        shop = f"{code}-{branch}"[:40]
        with session_scope(url=settings.sqlalchemy_url, all_shops=True) as session:
            ensure_shop(session, shop, f"{found.name} {branch.capitalize()}")
            join_chain(session, shop, code)
        say(f"comercio {shop}")
        report = seed_demo_shop(
            settings,
            shop=shop,
            invoices=invoices * (4 - index) // 4,
            samples=samples and index == 0,
            sales_days=sales_days,
            progress=progress,
        )
        reports.append(report.as_dict())
    return {"chain": code, "shops": reports}


def generate_invoices(
    session: Session,
    count: int,
    *,
    end: dt.date | None = None,
    days: int = 730,
    seed: int = 11,
    items_range: tuple[int, int] = (1, 20),
    review_window_days: int = 30,
) -> GenerationReport:
    """Make the shop hold at least ``count`` generated invoices, spread over ``days`` days ending at ``end``.

    Each one is a plausible purchase from a catalog supplier: its products at the catalog cost moved by the
    bundled CPI to the invoice's month (two suppliers rise above inflation over the last quarter), quantities
    that cover the shop's sales since the product was last bought (whole packs), VAT per product. Some need
    review (more of the scans and photos, fewer as time goes by): the older ones were corrected and accepted
    or rejected by a person (with ``corrected``/``reviewed`` events), those of the last
    ``review_window_days`` days still wait in the queue. Accepted ones put their items in stock once.
    Generated invoices are numbered by their index, so a later call only adds the missing ones.
    """
    report = GenerationReport()
    existing = int(
        session.scalar(select(func.count(Invoice.id)).where(Invoice.source_file.like(f"{SYNTHETIC_PREFIX}%"))) or 0
    )
    report.already_present = existing
    if count <= existing:
        return report
    plans = _plans(session)
    if not plans:
        raise ValueError("the shop has no catalog products with a supplier and a cost: import the catalog first")
    last = end or dt.date.today()
    first = last - dt.timedelta(days=days - 1)
    factors = _cpi_factors(first, last)
    rng = np.random.default_rng([seed, existing])
    shop_id = session.info.get("shop_id")
    if shop_id is None:
        raise RuntimeError("generate_invoices needs a session scoped to one shop")
    generator = _Generator(plans, factors, rng, shop_id, first, last, items_range, review_window_days)
    generator.load_stock(session)
    for start in range(existing, count, CHUNK):
        indexes = range(start, min(count, start + CHUNK))
        generator.store(session, [generator.build(i, count) for i in indexes], report)
    report.date_from, report.date_to = first, last
    return report


class _Generator:
    """Builds invoice rows (payload, items, events, stock) and inserts them in bulk."""

    def __init__(
        self,
        plans: Sequence[_SupplierPlan],
        factors: dict[str, float],
        rng: np.random.Generator,
        shop_id: int,
        first: dt.date,
        last: dt.date,
        items_range: tuple[int, int],
        review_window_days: int,
    ) -> None:
        self.plans = list(plans)
        self.factors = factors
        self.rng = rng
        self.shop_id = shop_id
        self.first = first
        self.last = last
        self.span = (last - first).days + 1
        self.items_range = items_range
        self.review_window = review_window_days
        self.sold: dict[str, np.ndarray] = {}
        self.bought: dict[str, float] = {}
        self.rising = {plan.supplier.cuit for plan in self.plans[:_RISING_SUPPLIERS]}

    def load_stock(self, session: Session) -> None:
        """Cumulative units sold per SKU and day (the shop's sales) and what is already in stock."""
        from minimarket.store.stock import daily_sales

        _end, daily = daily_sales(session, days=self.span, end=self.last)
        self.sold = {sku: np.cumsum(values) for sku, values in daily.items()}
        rows = session.execute(
            select(StockMovement.sku, func.sum(StockMovement.quantity))
            .where(StockMovement.kind.in_(("adjustment", "invoice_in")))
            .group_by(StockMovement.sku)
        )
        self.bought = {sku: float(total or 0) for sku, total in rows}

    # one invoice ------------------------------------------------------------------------------------------

    def build(self, index: int, count: int) -> dict[str, Any]:
        rng = self.rng
        plan = self.plans[index % len(self.plans)]
        day = self.first + dt.timedelta(days=min(self.span - 1, index * self.span // max(count, 1)))
        extension, read_by, review_share = _KINDS[int(rng.choice(3, p=_KIND_WEIGHTS))]
        progress = (day - self.first).days / max(self.span, 1)
        needs_review = rng.random() < review_share * (1.3 - 0.6 * progress)
        resolved = needs_review and (self.last - day).days > self.review_window
        rejected = resolved and rng.random() < 0.15
        lines = self._lines(plan, day, stocked=(not needs_review) or (resolved and not rejected))
        net = sum((line["amount"] for line in lines), Decimal(0))
        vat_lines = self._vat(lines) if plan.letter == "A" else []
        total = net + sum((v["amount"] for v in vat_lines), Decimal(0))
        number = 100_000 + index
        point_of_sale = int((plan.supplier.extra or {}).get("point_of_sale") or 1)
        sha = hashlib.sha256(f"minimarket-demo-invoice:{index}".encode()).hexdigest()
        fields = ("invoice_type", "afip_code", "point_of_sale", "number", "issue_date", "issuer_cuit", "issuer_name")
        money_fields = ("net_amount", "total", "items")
        sources = {name: read_by for name in (*fields, "cae", *money_fields)}
        confidence = {name: round(float(rng.uniform(0.9, 1.0)), 3) for name in sources}
        checks = [{"name": "cuit_check_digit", "ok": True, "detail": "CUIT del emisor con dígito verificador válido."}]
        read_net, read_total, misread = net, total, None
        if needs_review:  # a figure read with its decimal separator lost, as OCR does
            misread = "net_amount" if rng.random() < 0.5 else "total"
            if misread == "net_amount":
                read_net = net * 10
            else:
                read_total = total * 10
            confidence[misread] = round(float(rng.uniform(0.3, 0.6)), 3)
        checks += _arithmetic_checks(lines, read_net, vat_lines, read_total)
        failed = [c["name"] for c in checks if not c["ok"]]
        payload = {
            "invoice_type": plan.letter,
            "afip_code": plan.afip_code,
            "point_of_sale": point_of_sale,
            "number": number,
            "issue_date": day.isoformat(),
            "issuer_cuit": plan.supplier.cuit,
            "issuer_name": plan.supplier.name,
            "receiver_doc_type": 80,
            "receiver_doc_number": RECEIVER_CUIT,
            "cae": f"7{index:013d}",
            "cae_due_date": (day + dt.timedelta(days=10)).isoformat(),
            "currency": "PES",
            "exchange_rate": "1",
            "net_amount": str(read_net),
            "vat": [{"rate": str(v["rate"]), "base": str(v["base"]), "amount": str(v["amount"])} for v in vat_lines],
            "other_taxes": [],
            "total": str(read_total),
            "items": [
                {
                    "code": line["code"],
                    "description": line["description"],
                    "quantity": str(line["quantity"]),
                    "unit": "un",
                    "unit_price": str(line["unit_price"]),
                    "discount": None,
                    "amount": str(line["amount"]),
                    "vat_rate": str(line["vat_rate"]),
                    "sku": line["sku"],
                    "sku_confidence": 0.97,
                }
                for line in lines
            ],
            "source_file": f"{SYNTHETIC_PREFIX}{index:07d}.{extension}",
            "sha256": sha,
            "pages": 1,
            "sources": sources,
            "confidence": confidence,
            "checks": checks,
            "status": "needs_review" if needs_review else "accepted",
            "error": None,
        }
        created = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(10, 0), tzinfo=dt.UTC)
        events: list[dict[str, Any]] = [
            {
                "kind": "created",
                "from_status": None,
                "to_status": payload["status"],
                "author": "sistema",
                "detail": {"source_file": payload["source_file"], "failed_checks": failed},
                "created_at": created,
            }
        ]
        status = payload["status"]
        if resolved:
            status = self._resolve(payload, events, created, rejected=rejected, misread=misread)
            if status == "accepted":  # the person put the right figure back; the checks pass again
                payload["net_amount"], payload["total"] = str(net), str(total)
                payload["checks"] = checks[:1] + _arithmetic_checks(lines, net, vat_lines, total)
                read_net, read_total = net, total
        payload["status"] = status
        return {
            "invoice": {
                "shop_id": self.shop_id,
                "sha256": sha,
                "source_file": payload["source_file"],
                "invoice_type": plan.letter,
                "afip_code": plan.afip_code,
                "point_of_sale": point_of_sale,
                "number": number,
                "issue_date": day,
                "issuer_cuit": plan.supplier.cuit,
                "issuer_name": plan.supplier.name,
                "supplier_id": plan.supplier.id,
                "receiver_doc_type": 80,
                "receiver_doc_number": RECEIVER_CUIT,
                "cae": payload["cae"],
                "cae_due_date": day + dt.timedelta(days=10),
                "currency": "PES",
                "exchange_rate": Decimal(1),
                "net_amount": read_net,
                "vat_amount": sum((v["amount"] for v in vat_lines), Decimal(0)) if vat_lines else None,
                "other_taxes_amount": None,
                "total": read_total,
                "status": status,
                "payload": payload,
                "created_at": created,
                "updated_at": events[-1]["created_at"],
            },
            "lines": lines,
            "events": events,
        }

    def _lines(self, plan: _SupplierPlan, day: dt.date, stocked: bool) -> list[dict[str, Any]]:
        """The supplier's products running low on ``day`` (their stock simulated from the shop's real daily
        sales), ordered up to three weeks of cover in whole packs; topped up to the invoice's line count with
        the products closest to running out. In the last two weeks a quarter of the products were not
        reordered (what the low-stock alerts then find)."""
        offset = min(self.span - 1, (day - self.first).days)
        low, high = self.items_range
        wanted = int(self.rng.integers(low, high + 1))
        ranked = []
        for line in plan.lines:
            sold = self.sold.get(line.sku)
            done = float(sold[offset]) if sold is not None else 0.0
            recent = (done - float(sold[max(0, offset - 28)])) / min(28, offset or 1) if sold is not None else 0.1
            rate = max(recent, 0.05)
            stock = self.bought.get(line.sku, 0.0) - done
            cover = stock / rate
            forgotten = (self.last - day).days < 14 and int(hashlib.md5(line.sku.encode()).hexdigest(), 16) % 4 == 0
            ranked.append((cover, rate, stock, forgotten, line))
        ranked.sort(key=lambda entry: entry[0])
        chosen = [entry for entry in ranked if entry[0] < 10 and not entry[3]][:wanted]
        if len(chosen) < min(wanted, len(ranked)):
            rest = [entry for entry in ranked if entry not in chosen and not entry[3]]
            chosen += rest[: min(wanted, len(ranked)) - len(chosen)]
        month = day.strftime("%Y-%m")
        level = self.factors.get(month, 1.0)
        quarter_end = (self.last - day).days < 92
        out = []
        for _cover, rate, stock, _forgotten, line in chosen:
            need = max(0.0, rate * 21 - stock)
            quantity = max(1, math.ceil(need / line.pack)) * line.pack
            if stocked:
                self.bought[line.sku] = self.bought.get(line.sku, 0.0) + quantity
            factor = level * float(self.rng.uniform(0.97, 1.03))
            if quarter_end and plan.supplier.cuit in self.rising:
                factor *= 1.18
            unit_price = _money(line.cost * Decimal(f"{factor:.6f}"))
            out.append(
                {
                    "sku": line.sku,
                    "code": line.code,
                    "description": line.description,
                    "quantity": Decimal(quantity),
                    "unit_price": unit_price,
                    "amount": _money(unit_price * quantity),
                    "vat_rate": line.vat_rate,
                }
            )
        return out

    @staticmethod
    def _vat(lines: list[dict[str, Any]]) -> list[dict[str, Decimal]]:
        bases: dict[Decimal, Decimal] = {}
        for line in lines:
            bases[line["vat_rate"]] = bases.get(line["vat_rate"], Decimal(0)) + line["amount"]
        return [
            {"rate": rate, "base": base, "amount": _money(base * rate / 100)} for rate, base in sorted(bases.items())
        ]

    def _resolve(
        self,
        payload: dict[str, Any],
        events: list[dict[str, Any]],
        created: dt.datetime,
        *,
        rejected: bool,
        misread: str | None,
    ) -> str:
        """A person reviewed it a day or two later: corrected and accepted, or rejected."""
        when = created + dt.timedelta(days=int(self.rng.integers(1, 3)))
        if rejected:
            events.append(
                {
                    "kind": "reviewed",
                    "from_status": "needs_review",
                    "to_status": "rejected",
                    "author": "encargado",
                    "detail": {"action": "reject", "reason": "comprobante ilegible: se pidió otro al proveedor"},
                    "created_at": when,
                }
            )
            return "rejected"
        extra = self.rng.choice(len(_CORRECTED_FIELDS), size=int(self.rng.integers(0, 3)), replace=False)
        names = [misread] if misread else []
        names += [_CORRECTED_FIELDS[int(f)] for f in sorted(extra) if _CORRECTED_FIELDS[int(f)] not in names]
        for name in names:
            payload["sources"][name] = "manual"
            events.append(
                {
                    "kind": "corrected",
                    "from_status": "needs_review",
                    "to_status": "needs_review",
                    "author": "encargado",
                    "detail": {"field": name, "old": _field_value(payload, name), "new": None},
                    "created_at": when,
                }
            )
        events.append(
            {
                "kind": "reviewed",
                "from_status": "needs_review",
                "to_status": "accepted",
                "author": "encargado",
                "detail": {"action": "confirm", "reason": "corrección manual", "fields": names},
                "created_at": when,
            }
        )
        return "accepted"

    # bulk insert --------------------------------------------------------------------------------------------

    def store(self, session: Session, built: list[dict[str, Any]], report: GenerationReport) -> None:
        ids = list(
            session.scalars(
                insert(Invoice).returning(Invoice.id, sort_by_parameter_order=True),
                [entry["invoice"] for entry in built],
            )
        )
        items, events, movements = [], [], []
        for invoice_id, entry in zip(ids, built, strict=True):
            accepted = entry["invoice"]["status"] == "accepted"
            moved_at = entry["events"][-1]["created_at"]
            for number, line in enumerate(entry["lines"], start=1):
                items.append(
                    {
                        "shop_id": self.shop_id,
                        "invoice_id": invoice_id,
                        "line_no": number,
                        "code": line["code"],
                        "description": line["description"],
                        "quantity": line["quantity"],
                        "unit": "un",
                        "unit_price": line["unit_price"],
                        "discount": None,
                        "amount": line["amount"],
                        "vat_rate": line["vat_rate"],
                        "sku": line["sku"],
                        "sku_confidence": 0.97,
                    }
                )
                if accepted:
                    movements.append(
                        {
                            "shop_id": self.shop_id,
                            "sku": line["sku"],
                            "quantity": line["quantity"],
                            "kind": "invoice_in",
                            "reference": f"invoice:{invoice_id}",
                            "idempotency_key": f"invoice:{invoice_id}:line:{number}",
                            "occurred_at": moved_at,
                        }
                    )
            for event in entry["events"]:
                events.append({"shop_id": self.shop_id, "invoice_id": invoice_id, **event})
        for table, rows in ((InvoiceItem, items), (InvoiceEvent, events), (StockMovement, movements)):
            for start in range(0, len(rows), 5 * CHUNK):
                session.execute(insert(table), rows[start : start + 5 * CHUNK])
        session.flush()
        report.invoices += len(ids)
        report.items += len(items)
        report.events += len(events)
        report.stock_movements += len(movements)


def _arithmetic_checks(
    lines: list[dict[str, Any]], net: Decimal, vat_lines: list[dict[str, Decimal]], total: Decimal
) -> list[dict[str, Any]]:
    """The auditor's two sums, as the extractor words them (es-AR amounts)."""
    from minimarket.domain.money import format_ars

    items = sum((line["amount"] for line in lines), Decimal(0))
    vat = sum((v["amount"] for v in vat_lines), Decimal(0))
    sum_ok = items == net
    total_ok = net + vat == total
    return [
        {
            "name": "items_sum_net",
            "ok": sum_ok,
            "detail": f"La suma de los {len(lines)} ítems ({format_ars(items)}) "
            + ("coincide con el neto." if sum_ok else f"no coincide con el neto ({format_ars(net)})."),
        },
        {
            "name": "total_arithmetic",
            "ok": total_ok,
            "detail": f"neto {format_ars(net)} + IVA {format_ars(vat)} = {format_ars(net + vat)}; "
            f"total impreso {format_ars(total)}" + ("." if total_ok else " (no coincide)."),
        },
    ]


def _field_value(payload: dict[str, Any], name: str) -> Any:
    if name.startswith("items."):
        _, number, sub = name.split(".")
        items = payload["items"]
        return items[int(number) - 1].get(sub) if len(items) >= int(number) else None
    return payload.get(name)
