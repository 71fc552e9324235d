"""The review queue: oldest first, doubtful fields explained, and each decision stored once with its author."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from minimarket.analytics.review import (
    ReviewDetail,
    ReviewError,
    apply_review,
    retake_advice,
    review_detail,
    review_queue,
)
from minimarket.domain.numbers import format_amount_ar
from minimarket.store.db import session_scope
from minimarket.store.models import InvoiceEvent, StockMovement


def test_queue_is_oldest_first_and_says_what_is_doubtful(use_demo: Path) -> None:
    with session_scope() as session:
        queue = review_queue(session)
        assert queue, "the demo shop has invoices waiting"
        dates = [e.issue_date[6:] + e.issue_date[3:5] + e.issue_date[:2] for e in queue]
        assert dates == sorted(dates)
        detail = review_detail(session, queue[0].invoice_id)
    assert detail.problems and all(title and text for title, text in detail.problems)
    doubtful = {f.name for f in detail.fields if f.doubtful}
    assert doubtful & {"net_amount", "total"}
    assert all(f.why for f in detail.fields if f.doubtful)


def _lost_separator(detail: ReviewDetail) -> tuple[str, str]:
    """The figure the demo's OCR read ten times too big (its decimal separator lost), and its right value."""
    titles = {title for title, _text in detail.problems}
    name = "net_amount" if "La suma de los ítems no da el neto" in titles else "total"
    raw = next(f.raw for f in detail.fields if f.name == name)
    value = Decimal(raw.replace(".", "").replace(",", ".")) / 10
    return name, format_amount_ar(value)


def test_confirming_is_refused_until_the_figures_add_up(use_demo: Path) -> None:
    with session_scope() as session:
        entry = review_queue(session)[0]
        with pytest.raises(ReviewError):
            apply_review(session, entry.invoice_id, "confirm", author="Marta")
    with session_scope() as session:
        assert entry.invoice_id in {e.invoice_id for e in review_queue(session)}


def test_confirming_with_a_correction_leaves_the_queue_and_stocks_once(use_demo: Path) -> None:
    with session_scope() as session:
        entry = review_queue(session)[0]
        name, value = _lost_separator(review_detail(session, entry.invoice_id))
        outcome = apply_review(session, entry.invoice_id, "confirm", [(name, value)], author="Marta")
    assert outcome.status == "accepted" and outcome.changed == [name], outcome.message
    with session_scope() as session:
        assert entry.invoice_id not in {e.invoice_id for e in review_queue(session)}
        events = list(session.scalars(select(InvoiceEvent).where(InvoiceEvent.invoice_id == entry.invoice_id)))
        assert {(e.kind, e.author) for e in events} >= {("corrected", "Marta"), ("reviewed", "Marta")}
        moved = list(
            session.scalars(select(StockMovement).where(StockMovement.reference == f"invoice:{entry.invoice_id}"))
        )
        assert moved
        with pytest.raises(ReviewError, match="ya fue revisada por Marta"):
            apply_review(session, entry.invoice_id, "confirm", author="Juan")
        again = list(
            session.scalars(select(StockMovement).where(StockMovement.reference == f"invoice:{entry.invoice_id}"))
        )
        assert len(again) == len(moved)


def test_rejecting_and_bad_input_are_told_in_spanish(use_demo: Path) -> None:
    with session_scope() as session:
        first, second = review_queue(session)[:2]
        with pytest.raises(ReviewError, match="Escribí tu nombre"):
            apply_review(session, first.invoice_id, "confirm", author="  ")
        with pytest.raises(ReviewError, match="no es un importe"):
            apply_review(session, first.invoice_id, "confirm", [("total", "doce")], author="Marta")
        assert apply_review(session, second.invoice_id, "reject", author="Marta").status == "rejected"
        assert first.invoice_id in {e.invoice_id for e in review_queue(session)}


def test_a_blurred_photo_asks_for_another_one() -> None:
    payload = {
        "source_file": "facturas/foto.jpg",
        "total": "100.00",
        "issuer_cuit": "30119039416",
        "sources": {"total": "ocr", "issuer_cuit": "ocr"},
        "confidence": {"total": 0.4, "issuer_cuit": 0.5},
        "checks": [],
    }
    advice = retake_advice(payload)
    assert advice is not None and advice.startswith("Pedí otra foto")
    assert "fecha de emisión" in advice and "confianza media 45 %" in advice
    sharp = {**payload, "source_file": "factura.pdf", "sources": {"total": "text"}, "invoice_type": "A"}
    assert retake_advice(sharp) is None
