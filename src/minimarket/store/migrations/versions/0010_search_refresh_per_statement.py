"""search documents rewritten once per statement on PostgreSQL

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

The row triggers of 0003 rewrote an invoice's search document once for the invoice and once for each of its
items: 11 versions of the row (and of its GIN entries) for an invoice of 10 items, which VACUUM leaves behind
as free space (``benchmarks/storage_growth.py``: the search table was 16 KB of every invoice's 23 KB). Inserts
and deletes now refresh the documents of the invoices a statement touched, once, from the statement's
transition table; updates of the searched columns (corrections, rare and one row at a time) keep their row
triggers, as PostgreSQL allows no transition table on an ``UPDATE OF`` trigger. SQLite is unchanged (FTS5).
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_REFRESH_MANY = """
CREATE OR REPLACE FUNCTION minimarket_refresh_invoice_searches(targets integer[]) RETURNS void AS $$
DECLARE
  target integer;
BEGIN
  FOREACH target IN ARRAY targets LOOP
    PERFORM minimarket_refresh_invoice_search(target);
  END LOOP;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION minimarket_invoice_search_statement() RETURNS trigger AS $$
BEGIN
  IF TG_TABLE_NAME = 'invoices' THEN
    PERFORM minimarket_refresh_invoice_searches(ARRAY(SELECT DISTINCT id FROM changed));
  ELSE
    PERFORM minimarket_refresh_invoice_searches(ARRAY(SELECT DISTINCT invoice_id FROM changed));
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

_STATEMENT_TRIGGERS = {
    "invoice_search_invoices_insert": "AFTER INSERT ON invoices REFERENCING NEW TABLE AS changed"
    " FOR EACH STATEMENT EXECUTE FUNCTION minimarket_invoice_search_statement()",
    "invoice_search_items_insert": "AFTER INSERT ON invoice_items REFERENCING NEW TABLE AS changed"
    " FOR EACH STATEMENT EXECUTE FUNCTION minimarket_invoice_search_statement()",
    "invoice_search_items_delete": "AFTER DELETE ON invoice_items REFERENCING OLD TABLE AS changed"
    " FOR EACH STATEMENT EXECUTE FUNCTION minimarket_invoice_search_statement()",
}

_ROW_TRIGGERS = {  # the 0003 triggers
    "invoice_search_invoices": ("invoices", "INSERT OR UPDATE OF issuer_name, issuer_cuit, number, cae"),
    "invoice_search_items": ("invoice_items", "INSERT OR UPDATE OF description OR DELETE"),
}


def _row_triggers(events: dict[str, tuple[str, str]]) -> None:
    for name, (table, event) in events.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION minimarket_invoice_search_trigger()"
        )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_REFRESH_MANY)
    _row_triggers(
        {
            "invoice_search_invoices": ("invoices", "UPDATE OF issuer_name, issuer_cuit, number, cae"),
            "invoice_search_items": ("invoice_items", "UPDATE OF description"),
        }
    )
    for name, body in _STATEMENT_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, body in _STATEMENT_TRIGGERS.items():
        table = body.split(" ON ", 1)[1].split(" ", 1)[0]
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    _row_triggers(_ROW_TRIGGERS)
    op.execute("DROP FUNCTION IF EXISTS minimarket_invoice_search_statement()")
    op.execute("DROP FUNCTION IF EXISTS minimarket_refresh_invoice_searches(integer[])")
