"""SQLAlchemy 2 models. Every row belongs to a shop (:class:`ShopOwned`); see ``store.db`` for scoping."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from minimarket.store.types import ExactDecimal

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON}


class Chain(Base):
    """A chain of shops: its managers read every member shop (per shop and as a whole), never write."""

    __tablename__ = "chains"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Shop(Base):
    """A shop (tenant). The single-shop case uses the default shop. A shop belongs to at most one chain."""

    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    chain_id: Mapped[int | None] = mapped_column(ForeignKey("chains.id", ondelete="SET NULL"), index=True)


class ShopOwned:
    """Mixin for rows that belong to a shop; queries are filtered to the session's shop."""

    @declared_attr
    def shop_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)


class Supplier(ShopOwned, Base):
    __tablename__ = "suppliers"
    __table_args__ = (UniqueConstraint("shop_id", "cuit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cuit: Mapped[str] = mapped_column(String(11))
    name: Mapped[str] = mapped_column(String(200))
    iva_condition: Mapped[str | None] = mapped_column(String(40))
    lead_time_days: Mapped[int] = mapped_column(Integer, default=7)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    products: Mapped[list[Product]] = relationship(back_populates="supplier")


class Product(ShopOwned, Base):
    """Catalog entry: SKU, EAN-13, name, brand, category, unit, supplier, last known cost."""

    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("shop_id", "sku"), UniqueConstraint("shop_id", "ean"))

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    ean: Mapped[str | None] = mapped_column(String(13))
    name: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(80), index=True)
    unit: Mapped[str] = mapped_column(String(16), default="un")
    pack_size: Mapped[int] = mapped_column(Integer, default=1)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id", ondelete="SET NULL"))
    cost: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 4))
    vat_rate: Mapped[Decimal] = mapped_column(ExactDecimal(5, 2), default=Decimal("21"))
    supplier_description: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    supplier: Mapped[Supplier | None] = relationship(back_populates="products")


class Invoice(ShopOwned, Base):
    """A stored supplier invoice; ``payload`` is the full extracted-invoice JSON contract."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint(
            "shop_id", "issuer_cuit", "afip_code", "point_of_sale", "number", name="uq_invoices_fiscal_key"
        ),
        UniqueConstraint("shop_id", "sha256", name="uq_invoices_sha256"),
        Index("ix_invoices_shop_issue_date", "shop_id", "issue_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    source_file: Mapped[str | None] = mapped_column(String(500))
    invoice_type: Mapped[str | None] = mapped_column(String(4))
    afip_code: Mapped[int | None] = mapped_column(Integer)
    point_of_sale: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[int | None] = mapped_column(Integer)
    issue_date: Mapped[dt.date | None] = mapped_column(Date)
    issuer_cuit: Mapped[str | None] = mapped_column(String(11), index=True)
    issuer_name: Mapped[str | None] = mapped_column(String(200))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id", ondelete="SET NULL"))
    receiver_doc_type: Mapped[int | None] = mapped_column(Integer)
    receiver_doc_number: Mapped[str | None] = mapped_column(String(20))
    cae: Mapped[str | None] = mapped_column(String(14))
    cae_due_date: Mapped[dt.date | None] = mapped_column(Date)
    currency: Mapped[str | None] = mapped_column(String(3))
    exchange_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 6))
    net_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 2))
    vat_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 2))
    other_taxes_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 2))
    total: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 2))
    status: Mapped[str] = mapped_column(String(20), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    items: Mapped[list[InvoiceItem]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceItem.line_no"
    )
    events: Mapped[list[InvoiceEvent]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceEvent.id"
    )


class InvoiceItem(ShopOwned, Base):
    __tablename__ = "invoice_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    code: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 4))
    unit: Mapped[str | None] = mapped_column(String(16))
    unit_price: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 6))
    discount: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 2))
    amount: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 2))
    vat_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal(5, 2))
    sku: Mapped[str | None] = mapped_column(String(64), index=True)
    sku_confidence: Mapped[float | None] = mapped_column()

    invoice: Mapped[Invoice] = relationship(back_populates="items")


class InvoiceEvent(ShopOwned, Base):
    """Audit trail: every state change of an invoice (created, duplicate seen, corrected, reviewed...)."""

    __tablename__ = "invoice_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    author: Mapped[str] = mapped_column(String(100), default="system")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    invoice: Mapped[Invoice] = relationship(back_populates="events")


class Sale(ShopOwned, Base):
    """One POS line: date, SKU, quantity, unit price (imported from a POS export).

    ``row_key`` identifies the line by its content (date, SKU, quantity, price, store) and its occurrence among
    identical lines of its file: the same sales imported again — whatever the file's bytes — collide on it."""

    __tablename__ = "sales"
    __table_args__ = (
        Index("ix_sales_shop_sku_date", "shop_id", "sku", "date"),
        Index("ix_sales_shop_date_sku_qty", "shop_id", "date", "sku", "quantity"),  # covers the alerts' daily sums
        UniqueConstraint("shop_id", "row_key", name="uq_sales_row_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(18, 4))
    unit_price: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 4))
    import_batch: Mapped[str | None] = mapped_column(String(64), index=True)
    row_key: Mapped[str | None] = mapped_column(String(64))


class SalesImport(ShopOwned, Base):
    """One sales import: which file, when, by whom, how many rows stored and how many were already there."""

    __tablename__ = "sales_imports"
    __table_args__ = (UniqueConstraint("shop_id", "batch", name="uq_sales_imports_batch"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch: Mapped[str] = mapped_column(String(64))
    source_file: Mapped[str | None] = mapped_column(String(500))
    rows: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    author: Mapped[str] = mapped_column(String(100), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StockMovement(ShopOwned, Base):
    """A signed stock change (invoice items in, sales out, adjustments), applied at most once."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        UniqueConstraint("shop_id", "idempotency_key"),
        Index("ix_stock_shop_sku_qty", "shop_id", "sku", "quantity"),  # covers the stock levels' sums
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(18, 4))
    kind: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


_UNFORCED = text("forced = false")


class InflationObservation(ShopOwned, Base):
    """A monthly CPI figure a shop applies (history kept: the latest per month wins). At most one unforced figure
    per shop and month; later ones are forced revisions with a reason. It changes this shop's figures only."""

    __tablename__ = "inflation_observations"
    __table_args__ = (
        Index("ix_inflation_shop_month", "shop_id", "month"),
        Index(
            "uq_inflation_shop_month_unforced",
            "shop_id",
            "month",
            unique=True,
            sqlite_where=_UNFORCED,
            postgresql_where=_UNFORCED,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    pct: Mapped[Decimal] = mapped_column(ExactDecimal(9, 4))
    source: Mapped[str] = mapped_column(String(200))
    author: Mapped[str] = mapped_column(String(100), default="system")
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class NationalInflationObservation(Base):
    """A monthly national CPI figure (INDEC) recorded by the operators' monthly update: it extends the bundled
    series every shop starts from and is what the one registered inflation model is trained on."""

    __tablename__ = "national_inflation_observations"
    __table_args__ = (
        Index("ix_national_inflation_month", "month"),
        Index(
            "uq_national_inflation_month_unforced",
            "month",
            unique=True,
            sqlite_where=_UNFORCED,
            postgresql_where=_UNFORCED,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    pct: Mapped[Decimal] = mapped_column(ExactDecimal(9, 4))
    source: Mapped[str] = mapped_column(String(200))
    author: Mapped[str] = mapped_column(String(100), default="system")
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DriftRun(ShopOwned, Base):
    """One Evidently drift check: which data, the drift share, and where its reports are."""

    __tablename__ = "drift_runs"
    __table_args__ = (Index("ix_drift_runs_shop_dataset_created", "shop_id", "dataset", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset: Mapped[str] = mapped_column(String(40))
    drift_share: Mapped[float] = mapped_column()
    threshold: Mapped[float] = mapped_column()
    drifted: Mapped[bool] = mapped_column(Boolean)
    n_reference: Mapped[int] = mapped_column(Integer)
    n_current: Mapped[int] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    report_html: Mapped[str | None] = mapped_column(String(500))
    report_json: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Batch(ShopOwned, Base):
    """A batch of documents sent to the API (``POST invoices/batch``), worked through in the background."""

    __tablename__ = "batches"
    __table_args__ = (Index("ix_batches_status", "status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    """``queued``, ``running`` or ``finished``."""
    total: Mapped[int] = mapped_column(Integer)
    save: Mapped[bool] = mapped_column(Boolean, default=True)
    author: Mapped[str] = mapped_column(String(200), default="api")
    callback_url: Mapped[str | None] = mapped_column(String(2000))
    callback_status: Mapped[str | None] = mapped_column(String(20))
    """``pending``, ``delivered`` or ``failed`` (None without a callback_url)."""
    callback_attempts: Mapped[int] = mapped_column(Integer, default=0)
    callback_next_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    callback_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deadline_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    documents: Mapped[list[BatchDocument]] = relationship(
        back_populates="batch", cascade="all, delete-orphan", order_by="BatchDocument.position"
    )


class BatchDocument(ShopOwned, Base):
    """One document of a batch: where its bytes are kept, and its result once read (and stored)."""

    __tablename__ = "batch_documents"
    __table_args__ = (
        UniqueConstraint("batch_id", "position"),
        Index("ix_batch_documents_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    """``pending``, ``running``, ``done`` (read; a rejected document too) or ``failed`` (not processed)."""
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"))
    seconds: Mapped[float | None] = mapped_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    """The replica reading this document while it is ``running``."""
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    """Until when the claim holds; a ``running`` document whose lease lapsed is taken over by another replica."""

    batch: Mapped[Batch] = relationship(back_populates="documents")


class Notification(ShopOwned, Base):
    """A shop's notification (invoice to review, batch finished, low stock...), streamed as an SSE event;
    its id is the event id a client resumes from (``Last-Event-ID``)."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("shop_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReconciliationRun(ShopOwned, Base):
    """One reconciliation of ARCA's "Mis Comprobantes Recibidos" with the stored invoices: the file,
    the period, the counts and the whole report."""

    __tablename__ = "reconciliation_runs"
    __table_args__ = (Index("ix_reconciliation_runs_shop_created", "shop_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_file: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    period: Mapped[str | None] = mapped_column(String(7))
    generation: Mapped[str] = mapped_column(String(4))
    rows: Mapped[int] = mapped_column(Integer)
    matched: Mapped[int] = mapped_column(Integer)
    flags: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(100), default="system")
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PackConversion(ShopOwned, Base):
    """A person's confirmation of how many shelf units one invoiced unit of a supplier's product is:
    "YERBA X 1KG x10" from this supplier is 10 units of YER-0001."""

    __tablename__ = "pack_conversions"
    __table_args__ = (UniqueConstraint("shop_id", "supplier_cuit", "sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_cuit: Mapped[str] = mapped_column(String(11))
    sku: Mapped[str] = mapped_column(String(64))
    units: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(String(500))
    author: Mapped[str] = mapped_column(String(100), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ScheduleRun(Base):
    """One run of a scheduled pipeline (``pipelines/*.yaml``): when, how it ended, and what it printed.

    Not owned by a shop: a pipeline (backup, key rotation, CPI update) serves the whole installation."""

    __tablename__ = "schedule_runs"
    __table_args__ = (Index("ix_schedule_runs_pipeline_started", "pipeline", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pipeline: Mapped[str] = mapped_column(String(80))
    trigger: Mapped[str] = mapped_column(String(20), default="schedule")
    """``schedule`` (``minimarket schedule due`` / the scheduler) or ``manual`` (``schedule run NAME``)."""
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(20), default="running")
    """``running``, ``succeeded``, ``skipped`` (nothing to do), ``failed`` or ``timeout``."""
    exit_code: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str | None] = mapped_column(String(500))
    output: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    host: Mapped[str | None] = mapped_column(String(200))


SHOP_OWNED_MODELS: tuple[type[Base], ...] = (
    Supplier,
    Product,
    Invoice,
    InvoiceItem,
    InvoiceEvent,
    Sale,
    SalesImport,
    StockMovement,
    InflationObservation,
    DriftRun,
    Batch,
    BatchDocument,
    Notification,
    ReconciliationRun,
    PackConversion,
)
