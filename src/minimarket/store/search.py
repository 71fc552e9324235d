"""Invoice history and search: full text, filters and cursor pagination, within one shop.

Free text matches the issuer name, issuer CUIT, invoice number, CAE and item descriptions through the full-text
index kept by triggers (SQLite FTS5, PostgreSQL ``tsvector``; migration 0003). The words of the query are
looked up as prefixes, all of them required, accents and case ignored. Characters such as ``%``, ``_``, quotes
or SQL keywords are never syntax: they are split out as separators, and a query made of symbols only is
searched literally (``%`` finds names containing "%", not everything).

Results are newest stored first (invoice id descending); ``cursor`` is the last id of the previous page.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, Integer, Select, cast, column, exists, func, literal_column, or_, select, table, text
from sqlalchemy.orm import Session

from minimarket.store.models import Invoice, InvoiceItem

MAX_LIMIT = 200
_WORD = re.compile(r"[0-9a-z]+")
_DIGITS_ONLY = re.compile(r"^[\d\s.\-/]+$")
_POS_NUMBER = re.compile(r"^\s*\d{1,5}\s*-\s*(\d{1,8})\s*$")
STATUSES = ("accepted", "needs_review", "rejected")


class SearchError(ValueError):
    """A search that cannot run as asked (bad filter, text too long); the message says what is accepted."""


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What to look for. Every filter is optional; ``text`` is free text (see the module docstring)."""

    text: str | None = None
    issuer_cuit: str | None = None
    status: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    min_total: Decimal | None = None
    max_total: Decimal | None = None
    limit: int = 50
    cursor: int | None = None
    max_text: int = 200


@dataclass(slots=True)
class SearchPage:
    """One page of results and the cursor of the next page (None on the last page)."""

    invoices: list[Invoice] = field(default_factory=list)
    next_cursor: int | None = None


def _fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def search_terms(raw: str) -> list[str]:
    """The words to look up: lower case, no accents, letters and digits only. A number written with
    separators (a CUIT "30-71234567-8", "0003-00001234") is one term: the CUIT's digits, or the number."""
    folded = _fold(raw).strip()
    pos_number = _POS_NUMBER.match(folded)
    if pos_number:
        return [str(int(pos_number.group(1)))]
    if _DIGITS_ONLY.match(folded) and re.sub(r"\D", "", folded):
        return [re.sub(r"\D", "", folded)]
    return _WORD.findall(folded)[:16]


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def validate(query: SearchQuery) -> None:
    """:class:`SearchError` for a query that cannot be run as asked."""
    if query.text is not None and len(query.text) > query.max_text:
        raise SearchError(
            f"El texto de búsqueda tiene {len(query.text)} caracteres; se aceptan hasta {query.max_text}."
        )
    if query.status is not None and query.status not in STATUSES:
        raise SearchError(f"Estado {query.status!r} desconocido; se acepta: {', '.join(STATUSES)}.")
    if query.issuer_cuit is not None and not re.fullmatch(r"\d{11}", re.sub(r"[-\s]", "", query.issuer_cuit)):
        raise SearchError("El CUIT del emisor debe tener 11 dígitos (con o sin guiones).")
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise SearchError("La fecha desde es posterior a la fecha hasta.")
    if query.min_total is not None and query.max_total is not None and query.min_total > query.max_total:
        raise SearchError("El importe mínimo es mayor que el máximo.")
    if not 1 <= query.limit <= MAX_LIMIT:
        raise SearchError(f"El tamaño de página debe estar entre 1 y {MAX_LIMIT}.")


def _text_condition(session: Session, raw: str) -> Any:
    terms = search_terms(raw)
    dialect = session.get_bind().dialect.name
    if not terms:  # symbols only: searched literally, never as wildcards
        pattern = f"%{_escape_like(raw.strip().lower())}%"
        return or_(
            Invoice.issuer_name.ilike(pattern, escape="\\"),
            exists(
                select(InvoiceItem.id).where(
                    InvoiceItem.invoice_id == Invoice.id, InvoiceItem.description.ilike(pattern, escape="\\")
                )
            ),
        )
    if dialect == "sqlite":
        match = _fts_match(raw)
        ids = text("SELECT rowid FROM invoice_search WHERE invoice_search MATCH :match").bindparams(match=match)
        return Invoice.id.in_(ids.columns(literal_column("rowid")))
    if dialect == "postgresql":
        tsquery = " & ".join(f"{term}:*" for term in terms)
        ids = text("SELECT invoice_id FROM invoice_search WHERE document @@ to_tsquery('simple', :tsquery)").bindparams(
            tsquery=tsquery
        )
        return Invoice.id.in_(ids.columns(literal_column("invoice_id")))
    raise SearchError(f"búsqueda de texto no disponible en {dialect}")


def _amount(column: Any, session: Session) -> Any:
    """Totals compare as numbers (SQLite keeps them as exact text)."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(column, Float)
    return column


_FTS = table("invoice_search", column("rowid", Integer))


def _fts_match(raw: str) -> str | None:
    """The FTS5 query of ``raw`` (quoted prefix terms, all required), or None for a symbols-only text."""
    terms = search_terms(raw)
    return " AND ".join(f'"{term}"*' for term in terms) if terms else None


def filtered(session: Session, query: SearchQuery) -> Select[Any]:
    """The invoices matching every filter of ``query`` (no order, no paging)."""
    return _filters(session, query, select(Invoice))


def _filters(session: Session, query: SearchQuery, stmt: Select[Any], text_done: bool = False) -> Select[Any]:
    if query.text and query.text.strip() and not text_done:
        stmt = stmt.where(_text_condition(session, query.text))
    if query.issuer_cuit:
        stmt = stmt.where(Invoice.issuer_cuit == re.sub(r"[-\s]", "", query.issuer_cuit))
    if query.status:
        stmt = stmt.where(Invoice.status == query.status)
    if query.date_from:
        stmt = stmt.where(Invoice.issue_date >= query.date_from)
    if query.date_to:
        stmt = stmt.where(Invoice.issue_date <= query.date_to)
    if query.min_total is not None:
        stmt = stmt.where(_amount(Invoice.total, session) >= float(query.min_total))
    if query.max_total is not None:
        stmt = stmt.where(_amount(Invoice.total, session) <= float(query.max_total))
    return stmt


def statement(session: Session, query: SearchQuery) -> Select[Any]:
    """The SELECT of one page (``limit + 1`` rows, to know whether there is a next page).

    On SQLite a text search is driven by the FTS5 index in descending rowid (= invoice id) order, so a page
    costs the matches it reads until the page is full, not every match of a common word."""
    match = _fts_match(query.text) if query.text and query.text.strip() else None
    if match is not None and session.get_bind().dialect.name == "sqlite":
        stmt = select(Invoice).join(_FTS, _FTS.c.rowid == Invoice.id).where(text("invoice_search MATCH :match"))
        stmt = _filters(session, query, stmt.params(match=match), text_done=True)
        if query.cursor is not None:
            stmt = stmt.where(_FTS.c.rowid < query.cursor)
        return stmt.order_by(_FTS.c.rowid.desc()).limit(query.limit + 1)
    stmt = filtered(session, query)
    if query.cursor is not None:
        stmt = stmt.where(Invoice.id < query.cursor)
    return stmt.order_by(Invoice.id.desc()).limit(query.limit + 1)


def search(session: Session, query: SearchQuery) -> SearchPage:
    """One page of this shop's invoices matching ``query`` (newest stored first)."""
    validate(query)
    rows: list[Invoice] = list(session.scalars(statement(session, query)))
    page = SearchPage(invoices=rows[: query.limit])
    if len(rows) > query.limit:
        page.next_cursor = page.invoices[-1].id
    return page


_SUMMARY_COLUMNS = (
    Invoice.id,
    Invoice.issue_date,
    Invoice.issuer_cuit,
    Invoice.issuer_name,
    Invoice.invoice_type,
    Invoice.point_of_sale,
    Invoice.number,
    Invoice.total,
    Invoice.currency,
    Invoice.status,
    Invoice.created_at,
)


def _item_count(session: Session) -> Any:
    """The number of items of the stored payload, counted by the database (the payload is not decoded)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.coalesce(func.json_array_length(Invoice.payload["items"]), 0)
    return func.coalesce(func.json_array_length(Invoice.payload, "$.items"), 0)


def search_summaries(session: Session, query: SearchQuery) -> tuple[list[dict[str, Any]], int | None]:
    """One page of :func:`search` as list views (:func:`summary`) and the next cursor, read as plain columns:
    no ORM objects are built and no payload is decoded (what the API's history endpoint answers)."""
    validate(query)
    stmt = statement(session, query).with_only_columns(*_SUMMARY_COLUMNS, _item_count(session).label("items"))
    rows = session.execute(stmt).all()
    page = [_summary_row(row._mapping) for row in rows[: query.limit]]
    return page, (page[-1]["id"] if len(rows) > query.limit else None)


def _summary_row(row: Any) -> dict[str, Any]:
    issued, created, total = row["issue_date"], row["created_at"], row["total"]
    return {
        "id": row["id"],
        "issue_date": issued.isoformat() if issued else None,
        "issuer_cuit": row["issuer_cuit"],
        "issuer_name": row["issuer_name"],
        "invoice_type": row["invoice_type"],
        "point_of_sale": row["point_of_sale"],
        "number": row["number"],
        "total": str(total) if total is not None else None,
        "currency": row["currency"],
        "status": row["status"],
        "items": int(row["items"] or 0),
        "created_at": created.isoformat() if created else None,
    }


def summary(invoice: Invoice, items: int | None = None) -> dict[str, Any]:
    """The list view of one invoice (what a history table shows)."""
    return {
        "id": invoice.id,
        "issue_date": invoice.issue_date.isoformat() if invoice.issue_date else None,
        "issuer_cuit": invoice.issuer_cuit,
        "issuer_name": invoice.issuer_name,
        "invoice_type": invoice.invoice_type,
        "point_of_sale": invoice.point_of_sale,
        "number": invoice.number,
        "total": str(invoice.total) if invoice.total is not None else None,
        "currency": invoice.currency,
        "status": invoice.status,
        "items": items if items is not None else len((invoice.payload or {}).get("items") or []),
        "created_at": invoice.created_at.isoformat() if invoice.created_at else None,
    }
