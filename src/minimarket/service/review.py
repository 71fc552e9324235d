"""The review of a stored invoice by a person: corrections with their author, then confirm or reject.

Thin adapter over the store's correction logic (:func:`minimarket.store.corrections.correct_invoice`,
which validates every value and records each change with its author; accepting an invoice creates its
stock movements once). When the store's review function lands (re-running the checks after a correction),
this is the one place to switch to it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from minimarket.domain.invoice import Status
from minimarket.store.corrections import correct_invoice
from minimarket.store.invoices import get_invoice_row, set_status

ACTIONS = ("confirm", "reject")


def review_invoice(
    session: Session,
    invoice_id: int,
    corrections: list[tuple[str, str]],
    *,
    author: str,
    action: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """Apply ``corrections`` (all or nothing), then ``confirm`` (accepted) or ``reject``; what changed."""
    if action is not None and action not in ACTIONS:
        raise ValueError(f"acción {action!r} desconocida; se acepta: {', '.join(ACTIONS)}")
    applied = []
    status = Status.ACCEPTED if action == "confirm" else None
    if corrections or status is not None:
        applied = correct_invoice(
            session, invoice_id, corrections, author=author, status=status, reason=reason or "revisión"
        )
    if action == "reject":
        row = get_invoice_row(session, invoice_id)
        if row.status != str(Status.REJECTED):
            set_status(session, invoice_id, Status.REJECTED, author=author, reason=reason or "rechazada en revisión")
    row = get_invoice_row(session, invoice_id)
    return {
        "invoice_id": invoice_id,
        "author": author,
        "status": row.status,
        "corrected": [c.as_dict() for c in applied],
    }
