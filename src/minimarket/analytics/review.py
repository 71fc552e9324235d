"""The review queue: invoices waiting for a person, what is doubtful in each, and the person's decision.

* :func:`review_queue` — ``needs_review`` invoices, oldest first;
* :func:`review_detail` — one invoice's fields and items with the doubtful ones marked, its failed checks in
  plain Spanish, and "pedí otra foto" when a photo is too blurred to read;
* :func:`apply_review` — confirm, reject or correct, with an author (the one function the dashboard calls;
  it goes through :mod:`minimarket.store.corrections`, the same code as ``minimarket invoices correct``);
* :func:`page_image` — the invoice's page as a PNG, when its file is at hand.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minimarket.analytics import formatting as fmt
from minimarket.analytics.panel import field_label
from minimarket.config import Settings
from minimarket.domain.cuit import format_cuit
from minimarket.domain.invoice import Status
from minimarket.store.models import Invoice

__all__ = [
    "CHECK_TITLES",
    "Action",
    "FieldView",
    "QueueEntry",
    "ReviewDetail",
    "ReviewOutcome",
    "apply_review",
    "page_image",
    "queue_size",
    "retake_advice",
    "review_detail",
    "review_queue",
]

Action = Literal["confirm", "reject", "correct"]

CHECK_TITLES = {
    "cuit_check_digit": "El CUIT del emisor no es válido",
    "qr_matches_printed": "El código QR no coincide con lo impreso",
    "barcode_matches_printed": "El código de barras no coincide con lo impreso",
    "items_present": "No se leyó ningún ítem",
    "items_arithmetic": "En algún ítem, cantidad × precio no da el importe",
    "items_sum_net": "La suma de los ítems no da el neto",
    "vat_per_rate": "El IVA no corresponde a su alícuota",
    "total_arithmetic": "Neto + IVA + otros impuestos no da el total",
    "type_rules": "La letra de la factura no corresponde al emisor o al receptor",
    "date_not_future": "La fecha de emisión es posterior a hoy",
    "cae_format": "El CAE no tiene 14 dígitos",
    "issuer_name_legible": "El nombre del emisor no se leyó con certeza",
    "page_selection": "No está claro qué página es la factura",
    "key_fields": "Faltan datos clave",
    "legible": "Casi no se pudo leer",
    "total_verified": "El total no pudo verificarse",
}
_CHECK_FIELDS = {
    "cuit_check_digit": ("issuer_cuit",),
    "items_sum_net": ("net_amount", "items"),
    "items_present": ("items",),
    "items_arithmetic": ("items",),
    "total_arithmetic": ("total", "net_amount"),
    "total_verified": ("total",),
    "vat_per_rate": ("net_amount", "total"),
    "type_rules": ("invoice_type", "afip_code"),
    "date_not_future": ("issue_date",),
    "cae_format": ("cae",),
    "issuer_name_legible": ("issuer_name",),
}
HEADER = (
    "issuer_name",
    "issuer_cuit",
    "invoice_type",
    "afip_code",
    "point_of_sale",
    "number",
    "issue_date",
    "cae",
    "net_amount",
    "total",
)
"""The fields shown and editable in the review, in reading order."""
KEY_FIELDS = ("invoice_type", "afip_code", "point_of_sale", "number", "issue_date", "issuer_cuit", "total")
MIN_CONFIDENCE = 0.7
"""A field read with less confidence than this is doubtful (the reconciler's own threshold)."""
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".heic"}
_ITEM_KEY = re.compile(r"^items?\.(\d+)\.")


@dataclass(frozen=True)
class QueueEntry:
    """One invoice waiting for review, as the queue lists it."""

    invoice_id: int
    label: str
    issuer: str
    issue_date: str
    total: str
    waiting_since: str
    problems: int

    def as_row(self) -> dict[str, str]:
        return {
            "Factura": self.label,
            "Proveedor": self.issuer,
            "Fecha": self.issue_date,
            "Total": self.total,
            "En espera desde": self.waiting_since,
            "Problemas": fmt.number(self.problems),
        }


def _label(row: Invoice) -> str:
    if row.point_of_sale is None or row.number is None:
        return f"Factura #{row.id}"
    return f"{row.invoice_type or ''} {row.point_of_sale:05d}-{row.number:08d}".strip()


def _failed(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in payload.get("checks") or [] if not c.get("ok", True)]


def queue_size(session: Session) -> int:
    """How many invoices of the shop wait for review."""
    return int(session.scalar(select(func.count(Invoice.id)).where(Invoice.status == Status.NEEDS_REVIEW.value)) or 0)


def review_queue(session: Session, *, limit: int = 200) -> list[QueueEntry]:
    """The shop's ``needs_review`` invoices, oldest first (by issue date, else by arrival)."""
    rows = session.scalars(
        select(Invoice)
        .where(Invoice.status == Status.NEEDS_REVIEW.value)
        .order_by(func.coalesce(Invoice.issue_date, func.date(Invoice.created_at)), Invoice.id)
        .limit(limit)
    )
    return [
        QueueEntry(
            invoice_id=row.id,
            label=_label(row),
            issuer=row.issuer_name or (format_cuit(row.issuer_cuit) if row.issuer_cuit else "Emisor sin leer"),
            issue_date=fmt.date(row.issue_date),
            total=fmt.money(row.total),
            waiting_since=fmt.date(row.created_at),
            problems=len(_failed(row.payload or {})),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class FieldView:
    """One field as the reviewer sees it: shown value, value to edit, and why it is doubtful (if it is)."""

    name: str
    label: str
    shown: str
    raw: str
    doubtful: bool
    why: str = ""


@dataclass(frozen=True)
class ReviewDetail:
    invoice_id: int
    label: str
    status: str
    source_file: str | None
    fields: list[FieldView]
    items: list[dict[str, str]]
    """Per item: n, description, quantity, unit_price, amount, sku (shown es-AR) and ``doubtful`` ("1"/"")"""
    problems: list[tuple[str, str]]
    """Failed checks: (title, detail), in plain Spanish."""
    retake: str | None
    """Why to ask for another photo, when it is too blurred to read."""
    history: list[str] = field(default_factory=list)


def _shown(name: str, value: Any) -> str:
    if value in (None, ""):
        return "— sin leer —"
    if name in ("net_amount", "total"):
        return fmt.money(value)
    if name in ("issue_date", "cae_due_date"):
        return fmt.date(str(value))
    if name == "issuer_cuit":
        try:
            return format_cuit(str(value))
        except ValueError:
            return str(value)
    if name == "afip_code":
        from minimarket.domain.afip import DOCUMENT_TYPES

        doc = DOCUMENT_TYPES.get(int(value))
        return f"{value} ({doc.name})" if doc is not None else str(value)
    return str(value)


def _raw(name: str, value: Any) -> str:
    if value in (None, ""):
        return ""
    if name in ("net_amount", "total"):
        return fmt.number(value, 2)
    if name in ("issue_date", "cae_due_date"):
        return fmt.date(str(value))
    return str(value)


def _doubts(payload: dict[str, Any]) -> dict[str, str]:
    """Doubtful fields and why: named by a failed check, missing key fields, low reading confidence."""
    why: dict[str, str] = {}
    for check in _failed(payload):
        name = str(check.get("name"))
        for target in _CHECK_FIELDS.get(name, ()):
            why.setdefault(target, CHECK_TITLES.get(name, name))
    for name in KEY_FIELDS:
        if payload.get(name) in (None, ""):
            why.setdefault(name, "no se pudo leer")
    sources = payload.get("sources") or {}
    for name, confidence in (payload.get("confidence") or {}).items():
        if sources.get(name) != "manual" and float(confidence) < MIN_CONFIDENCE:
            why.setdefault(name, f"lectura poco confiable ({fmt.pct(100 * float(confidence), 0)})")
    return why


def retake_advice(payload: dict[str, Any]) -> str | None:
    """ "Pedí otra foto" and why, when a photo or scan is too blurred to read (None otherwise)."""
    source = str(payload.get("source_file") or "")
    sources = payload.get("sources") or {}
    by_ocr = Path(source).suffix.lower() in IMAGE_SUFFIXES or "ocr" in sources.values()
    if not by_ocr:
        return None
    missing = [field_label(n).lower() for n in KEY_FIELDS if payload.get(n) in (None, "")]
    confidence = [float(v) for k, v in (payload.get("confidence") or {}).items() if sources.get(k) == "ocr"]
    mean = sum(confidence) / len(confidence) if confidence else None
    illegible = any(c.get("name") == "legible" for c in _failed(payload))
    reasons = []
    if len(missing) >= 2:
        reasons.append("no se pudieron leer " + ", ".join(missing))
    if mean is not None and mean < 0.6:
        reasons.append(f"lo que se leyó es poco confiable (confianza media {fmt.pct(100 * mean, 0)})")
    if illegible and not reasons:
        reasons.append("casi no se pudo leer")
    if not reasons:
        return None
    return (
        "Pedí otra foto: "
        + "; ".join(reasons)
        + ". Sacala de frente, con buena luz, sin moverte y con la factura entera en la imagen."
    )


def review_detail(session: Session, invoice_id: int) -> ReviewDetail:
    """One invoice ready for review; LookupError if the shop has no such invoice."""
    from minimarket.store.invoices import get_invoice_row

    row = get_invoice_row(session, invoice_id)
    payload = dict(row.payload or {})
    doubts = _doubts(payload)
    fields = [
        FieldView(
            name=name,
            label=field_label(name),
            shown=_shown(name, payload.get(name)),
            raw=_raw(name, payload.get(name)),
            doubtful=name in doubts,
            why=doubts.get(name, ""),
        )
        for name in HEADER
    ]
    items_doubtful = "items" in doubts
    items = [
        {
            "n": str(number),
            "description": str(item.get("description") or ""),
            "quantity": fmt.number(item["quantity"], 2) if item.get("quantity") is not None else "",
            "unit_price": fmt.number(item["unit_price"], 2) if item.get("unit_price") is not None else "",
            "amount": fmt.number(item["amount"], 2) if item.get("amount") is not None else "",
            "sku": str(item.get("sku") or ""),
            "doubtful": "1" if items_doubtful else "",
        }
        for number, item in enumerate(payload.get("items") or [], start=1)
    ]
    problems = [
        (CHECK_TITLES.get(str(c.get("name")), str(c.get("name"))), str(c.get("detail") or "")) for c in _failed(payload)
    ]
    history = [
        f"{fmt.datetime(e.created_at)} · {e.author} · {_event_text(e.kind, e.detail or {}, e.to_status)}"
        for e in row.events
    ]
    return ReviewDetail(
        invoice_id=row.id,
        label=_label(row),
        status=row.status,
        source_file=row.source_file,
        fields=fields,
        items=items,
        problems=problems,
        retake=retake_advice(payload),
        history=history,
    )


def _event_text(kind: str, detail: dict[str, Any], to_status: str | None) -> str:
    if kind == "created":
        return "recibida"
    if kind == "corrected":
        return f"corrigió {field_label(str(detail.get('field', '')))}"
    if kind in ("status_changed", "reviewed"):
        return f"pasó a {fmt.STATUS_LABELS.get(to_status or '', to_status)}"
    if kind == "duplicate_seen":
        return "llegó de nuevo (duplicada)"
    return kind


class ReviewError(ValueError):
    """A review that cannot be applied; the message (Spanish) says why."""


@dataclass(frozen=True)
class ReviewOutcome:
    invoice_id: int
    status: str
    changed: list[str]
    message: str


def apply_review(
    session: Session,
    invoice_id: int,
    action: Action,
    corrections: Sequence[tuple[str, str]] = (),
    *,
    author: str,
    settings: Settings | None = None,
) -> ReviewOutcome:
    """Confirm, reject or only correct an invoice waiting for review, through
    :func:`minimarket.store.corrections.review_invoice` (the same review as the CLI and the API: values
    validated all or nothing, checks run again, stock moved once, every change audited with ``author``).

    ``corrections`` are ``(field, value)`` pairs (``("total", "1.234,56")``, ``("items.2.quantity", "12")``);
    empty values are left out. A page showing an invoice another person has reviewed meanwhile is told so.
    Raises :class:`ReviewError` with the reason, in Spanish.
    """
    from minimarket.store.corrections import CorrectionError, review_invoice
    from minimarket.store.invoices import get_invoice_row

    if not author.strip():
        raise ReviewError("Escribí tu nombre: cada revisión queda registrada con su autor.")
    if action not in ("confirm", "reject", "correct"):
        raise ReviewError(f"acción desconocida {action!r}: confirmar, rechazar o corregir")
    try:
        row = get_invoice_row(session, invoice_id)
    except LookupError:
        raise ReviewError(f"No hay una factura #{invoice_id} en este comercio.") from None
    label = _label(row)
    if row.status != Status.NEEDS_REVIEW.value:
        who = next((e.author for e in reversed(row.events) if e.kind in ("reviewed", "status_changed")), None)
        by = f" por {who}" if who else ""
        raise ReviewError(
            f"La factura {label} ya fue revisada{by}: está {fmt.STATUS_LABELS.get(row.status, row.status)}."
        )
    pairs = [(name, value) for name, value in corrections if str(value).strip() != ""]
    if action == "correct" and not pairs:
        raise ReviewError("No cambiaste ningún dato: corregí un campo, o confirmá o rechazá la factura.")
    reason = {"confirm": "confirmada", "reject": "rechazada", "correct": "corregida"}[action]
    try:
        outcome = review_invoice(
            session,
            invoice_id,
            corrections=pairs,
            action=action,
            author=author.strip(),
            reason=f"{reason} en el panel de revisión",
            settings=settings,
        )
    except CorrectionError as exc:
        raise ReviewError(str(exc)) from None
    changed = [c.field for c in outcome.changes]
    plural = "s" if len(changed) != 1 else ""
    message = f"Factura {label} {reason}"
    message += f" ({len(changed)} campo{plural} corregido{plural})." if changed else "."
    if outcome.status == Status.NEEDS_REVIEW.value:
        pending = [CHECK_TITLES.get(c.name, c.name) for c in outcome.checks if not c.ok]
        message += " Sigue para revisar: " + "; ".join(pending) + "." if pending else ""
    elif outcome.status == Status.ACCEPTED.value and action == "correct":
        message += " Con la corrección todos los controles cierran: quedó aceptada."
    return ReviewOutcome(invoice_id=invoice_id, status=outcome.status, changed=changed, message=message)


def _document_path(settings: Settings, source_file: str | None, sha256: str | None) -> Path | None:
    candidates: list[Path] = []
    if source_file:
        path = Path(source_file)
        candidates += [path] if path.is_absolute() else [settings.root / path]
    if sha256:
        folder = settings.state_dir / "documents"
        if folder.is_dir():
            candidates += sorted(folder.glob(f"{sha256}.*"))
    return next((p for p in candidates if p.is_file()), None)


def page_image(settings: Settings, session: Session, invoice_id: int, page: int = 1, width: int = 900) -> bytes | None:
    """The invoice's page ``page`` as a JPEG about ``width`` pixels wide, or None when its file is not at hand
    (looked for at ``source_file`` and under ``<state>/documents/<sha256>.*``)."""
    from minimarket.store.invoices import get_invoice_row

    row = get_invoice_row(session, invoice_id)
    path = _document_path(settings, row.source_file, row.sha256)
    if path is None:
        return None
    from PIL import Image, ImageOps

    try:
        if path.suffix.lower() == ".pdf":
            import pypdfium2 as pdfium

            pdf = pdfium.PdfDocument(str(path))
            try:
                index = max(0, min(page, len(pdf)) - 1)
                sheet = pdf[index]
                scale = width / max(sheet.get_width(), 1)
                image = sheet.render(scale=scale).to_pil()
            finally:
                pdf.close()
        else:
            with Image.open(path) as opened:
                image = ImageOps.exif_transpose(opened).convert("RGB")
            image.thumbnail((width, width * 2))
    except (OSError, ValueError, RuntimeError):
        return None
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82)
    return out.getvalue()
