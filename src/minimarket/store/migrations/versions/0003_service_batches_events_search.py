"""service: batches, batch documents, notifications, invoice full-text search

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04

The full-text index is kept by triggers so that every writer (CLI, API, corrections) keeps it current:
SQLite FTS5 (``invoice_search``, rowid = invoice id) or PostgreSQL ``tsvector`` with a GIN index. The
indexed text of an invoice is its issuer name, issuer CUIT, number, CAE and item descriptions, lower-cased
without accents.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from alembic import op


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_SQLITE_BODY = (
    "lower(coalesce(i.issuer_name, '') || ' ' || coalesce(i.issuer_cuit, '') || ' ' || coalesce(i.number, '')"
    " || ' ' || coalesce(i.cae, '') || ' ' || coalesce((SELECT group_concat(it.description, ' ')"
    " FROM invoice_items it WHERE it.invoice_id = i.id), ''))"
)

_SQLITE_REFRESH = (
    "DELETE FROM invoice_search WHERE rowid = {id};"
    " INSERT INTO invoice_search(rowid, body) SELECT i.id, " + _SQLITE_BODY + " FROM invoices i WHERE i.id = {id};"
)

_SQLITE_TRIGGERS = {
    "invoice_search_ai": "AFTER INSERT ON invoices BEGIN " + _SQLITE_REFRESH.format(id="new.id") + " END",
    "invoice_search_au": "AFTER UPDATE OF issuer_name, issuer_cuit, number, cae ON invoices BEGIN "
    + _SQLITE_REFRESH.format(id="new.id")
    + " END",
    "invoice_search_ad": "AFTER DELETE ON invoices BEGIN DELETE FROM invoice_search WHERE rowid = old.id; END",
    "invoice_items_search_ai": "AFTER INSERT ON invoice_items BEGIN "
    + _SQLITE_REFRESH.format(id="new.invoice_id")
    + " END",
    "invoice_items_search_au": "AFTER UPDATE OF description ON invoice_items BEGIN "
    + _SQLITE_REFRESH.format(id="new.invoice_id")
    + " END",
    "invoice_items_search_ad": "AFTER DELETE ON invoice_items BEGIN "
    + _SQLITE_REFRESH.format(id="old.invoice_id")
    + " END",
}

_PG_ACCENTS = ("áàäâãéèëêíìïîóòöôõúùüûñç", "aaaaaeeeeiiiiooooouuuunc")

_PG_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION minimarket_refresh_invoice_search(target integer) RETURNS void AS $$
BEGIN
  DELETE FROM invoice_search WHERE invoice_id = target;
  INSERT INTO invoice_search (invoice_id, document)
  SELECT i.id, to_tsvector('simple', translate(lower(
      coalesce(i.issuer_name, '') || ' ' || coalesce(i.issuer_cuit, '') || ' ' || coalesce(i.number::text, '')
      || ' ' || coalesce(i.cae, '') || ' ' || coalesce(
        (SELECT string_agg(it.description, ' ') FROM invoice_items it WHERE it.invoice_id = i.id), '')),
      '{_PG_ACCENTS[0]}', '{_PG_ACCENTS[1]}'))
  FROM invoices i WHERE i.id = target;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION minimarket_invoice_search_trigger() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF TG_TABLE_NAME = 'invoice_items' THEN
      PERFORM minimarket_refresh_invoice_search(OLD.invoice_id);
    END IF;
    RETURN OLD;
  END IF;
  IF TG_TABLE_NAME = 'invoice_items' THEN
    PERFORM minimarket_refresh_invoice_search(NEW.invoice_id);
  ELSE
    PERFORM minimarket_refresh_invoice_search(NEW.id);
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def _service_tables() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("save", sa.Boolean(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("callback_url", sa.String(length=2000), nullable=True),
        sa.Column("callback_status", sa.String(length=20), nullable=True),
        sa.Column("callback_attempts", sa.Integer(), nullable=False),
        sa.Column("callback_next_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("callback_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_batches_shop_id_shops"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
    )
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.create_index("ix_batches_status", ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_batches_shop_id"), ["shop_id"], unique=False)

    op.create_table(
        "batch_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("seconds", sa.Double(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_batch_documents_batch_id_batches"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_batch_documents_invoice_id_invoices"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_batch_documents_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_documents")),
        sa.UniqueConstraint("batch_id", "position", name=op.f("uq_batch_documents_batch_id")),
    )
    with op.batch_alter_table("batch_documents", schema=None) as batch_op:
        batch_op.create_index("ix_batch_documents_status", ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_batch_documents_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_batch_documents_shop_id"), ["shop_id"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_notifications_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("shop_id", "dedupe_key", name=op.f("uq_notifications_shop_id")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_shop_id"), ["shop_id"], unique=False)


def _search_sqlite() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE invoice_search USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')"
    )
    for name, body in _SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute("INSERT INTO invoice_search(rowid, body) SELECT i.id, " + _SQLITE_BODY + " FROM invoices i")


def _search_postgresql() -> None:
    op.create_table(
        "invoice_search",
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("document", postgresql.TSVECTOR(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_search_invoice_id_invoices"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_invoice_search")),
    )
    op.execute("CREATE INDEX ix_invoice_search_document ON invoice_search USING gin (document)")
    op.execute(_PG_FUNCTIONS)
    op.execute(
        "CREATE TRIGGER invoice_search_invoices AFTER INSERT OR UPDATE OF issuer_name, issuer_cuit, number, cae"
        " ON invoices FOR EACH ROW EXECUTE FUNCTION minimarket_invoice_search_trigger()"
    )
    op.execute(
        "CREATE TRIGGER invoice_search_items AFTER INSERT OR UPDATE OF description OR DELETE"
        " ON invoice_items FOR EACH ROW EXECUTE FUNCTION minimarket_invoice_search_trigger()"
    )
    op.execute("SELECT minimarket_refresh_invoice_search(id) FROM invoices")


def upgrade() -> None:
    _service_tables()
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _search_sqlite()
    elif dialect == "postgresql":
        _search_postgresql()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS invoice_search")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS invoice_search_items ON invoice_items")
        op.execute("DROP TRIGGER IF EXISTS invoice_search_invoices ON invoices")
        op.drop_table("invoice_search")
        op.execute("DROP FUNCTION IF EXISTS minimarket_invoice_search_trigger()")
        op.execute("DROP FUNCTION IF EXISTS minimarket_refresh_invoice_search(integer)")
    op.drop_table("notifications")
    op.drop_table("batch_documents")
    op.drop_table("batches")
