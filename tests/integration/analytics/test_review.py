"""The review queue: oldest first, doubtful fields explained, and each decision stored once with its author."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from minimarket.analytics.review import (
    ReviewError,
    apply_review,
    retake_advice,
    review_detail,
    review_queue,
)
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


def test_confirming_with_a_correction_leaves_the_queue_and_stocks_once(use_demo: Path) -> None:
    with session_scope() as session:
        entry = review_queue(session)[0]
        detail = review_detail(session, entry.invoice_id)
        wrong = next(f for f in detail.fields if f.name in ("net_amount", "total") and f.doubtful)
        outcome = apply_review(session, entry.invoice_id, "confirm", [(wrong.name, "1.234,56")], author="Marta")
    assert outcome.status == "accepted" and outcome.changed == [wrong.name]
    with session_scope() as session:
        assert entry.invoice_id not in {e.invoice_id for e in review_queue(session)}
        events = list(session.scalars(select(InvoiceEvent).where(InvoiceEvent.invoice_id == entry.invoice_id)))
        assert {(e.kind, e.author) for e in events} >= {("corrected", "Marta"), ("status_changed", "Marta")}
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
