"""``minimarket invoices``: list and show stored invoices, and correct them by hand (labels for training)."""

from __future__ import annotations

import getpass
import os
import re

import typer

from minimarket.commands.common import ShopOption, fail, print_json

app = typer.Typer(help="Stored invoices: list, show, correct by hand.", no_args_is_help=True)

_ITEM_VALUE = re.compile(r"^\s*(\d+)\s*=(.*)$")


def _author(author: str | None) -> str:
    if author and author.strip():
        return author.strip()
    try:
        return os.environ.get("MINIMARKET_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "desconocido"


def _item_pairs(option: str, values: list[str] | None, field: str) -> list[tuple[str, str]]:
    pairs = []
    for raw in values or []:
        m = _ITEM_VALUE.match(raw)
        if not m:
            fail(f"{option} {raw!r}: use N=VALOR con N el número de ítem (desde 1), p. ej. {option} 3=YER-0001", 2)
        pairs.append((f"items.{int(m.group(1))}.{field}", m.group(2).strip()))
    return pairs


@app.command("list")
def list_cmd(
    text: str | None = typer.Option(None, "--text", help="Search issuer name/CUIT, number, CAE and item text."),
    status: str | None = typer.Option(None, "--status", help="accepted, needs_review or rejected."),
    limit: int = typer.Option(50, "--limit", min=1, max=1000, help="At most this many invoices."),
    shop: str | None = ShopOption,
) -> None:
    """List stored invoices (newest first) as JSON lines: id, date, issuer, number, total, status."""
    from minimarket.commands.common import shop_session
    from minimarket.config import get_settings
    from minimarket.store.invoices import InvoiceQuery, search_invoices
    from minimarket.store.search import SearchError

    if status and status not in ("accepted", "needs_review", "rejected"):
        fail(f"--status {status!r}: use accepted, needs_review or rejected", 2)
    query = InvoiceQuery(text=text, status=status, limit=limit, max_text=get_settings().max_search_text)
    with shop_session(shop) as session:
        try:
            rows, total = search_invoices(session, query)
        except SearchError as exc:
            fail(f"--text: {exc}", 2)
        out = [
            {
                "id": row.id,
                "issue_date": row.issue_date.isoformat() if row.issue_date else None,
                "issuer_cuit": row.issuer_cuit,
                "issuer_name": row.issuer_name,
                "invoice_type": row.invoice_type,
                "point_of_sale": row.point_of_sale,
                "number": row.number,
                "total": str(row.total) if row.total is not None else None,
                "status": row.status,
                "items": len(row.items),
            }
            for row in rows
        ]
    print_json({"total": total, "invoices": out})


@app.command("show")
def show_cmd(
    invoice_id: int = typer.Argument(..., help="Invoice id (see 'minimarket invoices list')."),
    events: bool = typer.Option(True, "--events/--no-events", help="Include the audit trail."),
    shop: str | None = ShopOption,
) -> None:
    """Print a stored invoice (the extracted-invoice JSON) with its items numbered from 1 and its events."""
    from minimarket.commands.common import shop_session
    from minimarket.store.invoices import get_invoice_row

    with shop_session(shop) as session:
        try:
            row = get_invoice_row(session, invoice_id)
        except LookupError:
            fail(f"no hay una factura con id {invoice_id} en este comercio", 1)
        payload = dict(row.payload)
        payload["id"] = row.id
        payload["items"] = [{"n": n, **item} for n, item in enumerate(payload.get("items") or [], start=1)]
        if events:
            payload["events"] = [
                {
                    "kind": e.kind,
                    "author": e.author,
                    "from_status": e.from_status,
                    "to_status": e.to_status,
                    "detail": e.detail,
                    "at": e.created_at.isoformat() if e.created_at else None,
                }
                for e in row.events
            ]
    print_json(payload)


@app.command("correct")
def correct_cmd(
    invoice_id: int = typer.Argument(..., help="Invoice id (see 'minimarket invoices list')."),
    invoice_type: str | None = typer.Option(None, "--invoice-type", help="Letter: A, B, C, M, E, T."),
    afip_code: str | None = typer.Option(None, "--afip-code", help="ARCA document code (1 = Factura A, 6 = B…)."),
    point_of_sale: str | None = typer.Option(None, "--point-of-sale", help="Punto de venta."),
    number: str | None = typer.Option(None, "--number", help="Invoice number."),
    issue_date: str | None = typer.Option(None, "--issue-date", help="YYYY-MM-DD or dd/mm/aaaa."),
    issuer_cuit: str | None = typer.Option(None, "--issuer-cuit", help="Issuer CUIT (check digit verified)."),
    issuer_name: str | None = typer.Option(None, "--issuer-name", help="Issuer name."),
    receiver_doc_number: str | None = typer.Option(None, "--receiver-doc-number", help="Receiver CUIT/DNI."),
    cae: str | None = typer.Option(None, "--cae", help="CAE (14 digits)."),
    cae_due_date: str | None = typer.Option(None, "--cae-due-date", help="CAE due date."),
    currency: str | None = typer.Option(None, "--currency", help="ARCA currency code (PES, DOL…)."),
    net_amount: str | None = typer.Option(None, "--net-amount", help="Net amount (1234.56 or 1.234,56)."),
    total: str | None = typer.Option(None, "--total", help="Total (1234.56 or 1.234,56)."),
    item_sku: list[str] | None = typer.Option(None, "--item-sku", help="N=SKU: catalog SKU of item N (repeatable)."),
    item_description: list[str] | None = typer.Option(None, "--item-description", help="N=TEXT (repeatable)."),
    item_quantity: list[str] | None = typer.Option(None, "--item-quantity", help="N=QUANTITY (repeatable)."),
    item_unit_price: list[str] | None = typer.Option(None, "--item-unit-price", help="N=PRICE (repeatable)."),
    item_amount: list[str] | None = typer.Option(None, "--item-amount", help="N=AMOUNT (repeatable)."),
    item_vat_rate: list[str] | None = typer.Option(None, "--item-vat-rate", help="N=RATE, e.g. 3=21 (repeatable)."),
    field: list[str] | None = typer.Option(
        None, "--set", help="FIELD=VALUE for any correctable field, e.g. items.2.code=35015 (repeatable)."
    ),
    accept: bool = typer.Option(False, "--accept", help="Confirm the invoice (accepted) after correcting it."),
    author: str | None = typer.Option(None, "--author", help="Who corrects (default: $MINIMARKET_USER or $USER)."),
    shop: str | None = ShopOption,
) -> None:
    """Correct fields of a stored invoice. Each value is validated (amounts, dates, CUIT check digit, SKU
    in the catalog, plausible bounds); nothing changes if any is wrong. The checks run again and the status
    follows them; every change is recorded as a 'corrected' event with its author, the field's source becomes
    'manual', and the next training run uses it as a label."""
    header = {
        "invoice_type": invoice_type,
        "afip_code": afip_code,
        "point_of_sale": point_of_sale,
        "number": number,
        "issue_date": issue_date,
        "issuer_cuit": issuer_cuit,
        "issuer_name": issuer_name,
        "receiver_doc_number": receiver_doc_number,
        "cae": cae,
        "cae_due_date": cae_due_date,
        "currency": currency,
        "net_amount": net_amount,
        "total": total,
    }
    pairs: list[tuple[str, str]] = [(name, value) for name, value in header.items() if value is not None]
    pairs += _item_pairs("--item-sku", item_sku, "sku")
    pairs += _item_pairs("--item-description", item_description, "description")
    pairs += _item_pairs("--item-quantity", item_quantity, "quantity")
    pairs += _item_pairs("--item-unit-price", item_unit_price, "unit_price")
    pairs += _item_pairs("--item-amount", item_amount, "amount")
    pairs += _item_pairs("--item-vat-rate", item_vat_rate, "vat_rate")
    pairs += _set_pairs(field)
    if not pairs and not accept:
        fail("nada que corregir: indique al menos un campo (p. ej. --total 1234.56) o --accept", 2)
    _review(invoice_id, pairs, "confirm" if accept else "correct", author, None, shop)


def _set_pairs(values: list[str] | None) -> list[tuple[str, str]]:
    pairs = []
    for raw in values or []:
        name, sep, value = raw.partition("=")
        if not sep or not name.strip():
            fail(f"--set {raw[:80]!r}: use CAMPO=VALOR, p. ej. --set total=1234.56", 2)
        pairs.append((name.strip(), value.strip()))
    return pairs


def _review(
    invoice_id: int,
    pairs: list[tuple[str, str]],
    action: str,
    author: str | None,
    reason: str | None,
    shop: str | None,
) -> None:
    from minimarket.commands.common import shop_session
    from minimarket.store.corrections import CorrectionError, ReviewRefused, review_invoice

    who = _author(author)
    try:
        with shop_session(shop) as session:
            outcome = review_invoice(session, invoice_id, corrections=pairs, action=action, author=who, reason=reason)
    except LookupError:
        fail(f"no hay una factura con id {invoice_id} en este comercio", 1)
    except ReviewRefused as exc:
        fail(str(exc), 1)
    except CorrectionError as exc:
        fail(str(exc), 2)
    print_json(outcome.as_dict())


@app.command("review")
def review_cmd(
    invoice_id: int = typer.Argument(..., help="Invoice id (see 'minimarket invoices list --status needs_review')."),
    action: str = typer.Argument(..., help="correct, confirm (accept it) or reject."),
    field: list[str] | None = typer.Option(
        None, "--set", help="FIELD=VALUE, e.g. total=1234.56, items.2.quantity=3, vat.1.amount=210 (repeatable)."
    ),
    reason: str | None = typer.Option(None, "--reason", help="Why (kept in the audit trail)."),
    author: str | None = typer.Option(None, "--author", help="Who reviews (default: $MINIMARKET_USER or $USER)."),
    shop: str | None = ShopOption,
) -> None:
    """Review a stored invoice: correct fields, then confirm it (accepted: its items enter stock once) or reject
    it. The checks run again after every correction; confirming is refused while its figures do not add up.
    Prints what changed, the checks and the status before and after."""
    if action.strip().lower() not in ("correct", "confirm", "reject"):
        fail(f"acción {action[:40]!r} desconocida; use correct, confirm o reject", 2)
    _review(invoice_id, _set_pairs(field), action, author, reason, shop)
