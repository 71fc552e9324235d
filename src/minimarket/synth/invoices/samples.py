"""The sample invoices bundled in ``data/samples`` (what ``make run`` extracts), regenerated from a seed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from minimarket.catalog import bundled_catalog
from minimarket.synth.invoices.dataset import GeneratedDocument, make_document, write_expected
from minimarket.synth.invoices.sample import SampleOptions

__all__ = ["SAMPLES", "write_samples"]

SAMPLES: tuple[tuple[str, str, SampleOptions, int | None], ...] = (
    (
        "factura_a",
        "pdf",
        SampleOptions(layout="erp_ruled", letter="A", credit_note=False, max_items=12, qr_variant="valid"),
        None,
    ),
    (
        "factura_c",
        "pdf",
        SampleOptions(layout="afip_rce", letter="C", credit_note=False, max_items=6, qr_variant="valid"),
        None,
    ),
    (
        "factura_escaneada",
        "scan",
        SampleOptions(layout="two_column", letter="A", credit_note=False, max_items=10, single_copy=True),
        150,
    ),
    (
        "factura_foto",
        "photo",
        SampleOptions(layout="erp_plain", letter="B", credit_note=False, max_items=8, qr_variant="valid"),
        170,
    ),
)
"""(file stem, kind, constraints, dpi) of each sample."""


def _sample(stem: str, kind: str, options: SampleOptions, dpi: int | None, seed: int, first: int) -> GeneratedDocument:
    catalog = bundled_catalog()
    for index in range(first, first + 50):
        document = make_document(catalog, seed, index, kind, options=options, name=stem, dpi=dpi)
        if kind != "scan" or document.name.endswith(".pdf"):
            return document
    raise ValueError(f"could not draw a {kind} sample for {stem}")  # pragma: no cover - 50 draws always suffice


def write_samples(out: Path, seed: int = 2026) -> list[str]:
    """Write the sample documents and their ``expected.json`` into ``out``; returns the file names."""
    out.mkdir(parents=True, exist_ok=True)
    headers: dict[str, dict[str, Any]] = {}
    names = []
    for ordinal, (stem, kind, options, dpi) in enumerate(SAMPLES):
        document = _sample(stem, kind, options, dpi, seed, 100 * ordinal)
        (out / document.name).write_bytes(document.data)
        headers[document.name] = document.spec.expected_header()
        names.append(document.name)
    write_expected(headers, out / "expected.json")
    return names
