"""Invoices drawn by the synthetic generator (their ground truth), shared by the accounting tests."""

from __future__ import annotations

import random

import pytest

from minimarket.catalog import bundled_catalog
from minimarket.domain.invoice import ExtractedInvoice
from minimarket.synth.invoices.sample import sample_invoice


@pytest.fixture(scope="session")
def invoices() -> list[ExtractedInvoice]:
    """60 invoices of every letter, credit notes, percepciones and exempt lines included (fixed seed)."""
    catalog = bundled_catalog()
    rng = random.Random(2212)
    return [sample_invoice(rng, catalog).truth() for _ in range(60)]


@pytest.fixture(scope="session")
def others() -> list[ExtractedInvoice]:
    """Invoices the shop never loaded."""
    catalog = bundled_catalog()
    rng = random.Random(77)
    return [sample_invoice(rng, catalog).truth() for _ in range(3)]
