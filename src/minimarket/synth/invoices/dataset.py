"""Synthetic invoice documents and datasets: PDF, scanned PDF/PNG, phone-photo JPEG, each with ground truth.

One document is a pure function of (catalog, seed, index, kind): :func:`make_document`. A dataset is
``n`` of them written by :func:`write_dataset` into a folder::

    invoice_00000.pdf             the document (.pdf, .png or .jpg)
    invoice_00000.truth.json      the full ground truth (extracted-invoice contract, status "accepted")
    expected.json                 header fields of every document, in the form of the real dev set
    manifest.jsonl                one line per document: kind, layout, letter, QR variant, effects, ...
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from minimarket.catalog import Catalog, bundled_catalog
from minimarket.domain.invoice import ExtractedInvoice
from minimarket.synth.invoices.sample import SampleOptions, sample_invoice
from minimarket.synth.invoices.spec import InvoiceSpec

__all__ = [
    "DOCUMENT_KINDS",
    "GeneratedDocument",
    "Kind",
    "make_document",
    "make_spec",
    "write_dataset",
    "write_expected",
]

Kind = Literal["pdf", "scan", "photo", "mixed"]
DOCUMENT_KINDS: tuple[str, ...] = ("pdf", "scan", "photo", "mixed")
_MIXED_WEIGHTS = (("pdf", 0.4), ("scan", 0.3), ("photo", 0.3))


@dataclass
class GeneratedDocument:
    """One synthetic document, its ground truth and how it was made."""

    name: str
    data: bytes
    kind: str
    """"pdf" (text layer), "scan" (image-only PDF or PNG) or "photo" (JPEG)."""
    spec: InvoiceSpec
    truth: ExtractedInvoice
    pages: int
    effects: list[str] = field(default_factory=list)
    dpi: int | None = None

    @property
    def media_type(self) -> str:
        return {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}[self.name.rsplit(".", 1)[1]]

    def manifest(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "file": self.name,
            "kind": self.kind,
            "layout": spec.layout,
            "letter": spec.letter,
            "afip_code": spec.doc.code,
            "items": len(spec.items),
            "pages": self.pages,
            "copies": len(spec.copies),
            "extra_page": spec.extra_page,
            "number_format": spec.number_format,
            "qr_variant": spec.qr_variant,
            "barcode": spec.barcode is not None,
            "dpi": self.dpi,
            "effects": self.effects,
            "sha256": self.truth.sha256,
        }


def _rng(seed: int, index: int, salt: str = "") -> random.Random:
    return random.Random(f"minimarket-synth:{seed}:{index}:{salt}")


def make_spec(catalog: Catalog, seed: int, index: int, options: SampleOptions | None = None) -> InvoiceSpec:
    """The invoice drawn for (seed, index)."""
    return sample_invoice(_rng(seed, index), catalog, options)


def _one_page_spec(catalog: Catalog, seed: int, index: int, options: SampleOptions) -> tuple[InvoiceSpec, bytes, int]:
    """A spec whose invoice fits one page (for photos), shrinking the item count until it does."""
    from minimarket.synth.invoices.render import render_pdf

    options = replace(options, single_copy=True)
    spec = sample_invoice(_rng(seed, index), catalog, options)
    for attempt in range(1, 8):
        rendered = render_pdf(spec)
        if rendered.pages == 1:
            return spec, rendered.data, 1
        limit = max(1, len(spec.items) * 2 // 3)
        if options.min_items is not None:
            options = replace(options, min_items=min(options.min_items, limit))
        spec = sample_invoice(_rng(seed, index, f"fit{attempt}"), catalog, replace(options, max_items=limit))
    rendered = render_pdf(spec)
    return spec, rendered.data, rendered.pages


def _kind_for(seed: int, index: int, kind: str) -> str:
    if kind != "mixed":
        return kind
    roll = _rng(seed, index, "kind").random()
    total = 0.0
    for name, weight in _MIXED_WEIGHTS:
        total += weight
        if roll < total:
            return name
    return "pdf"


def make_document(
    catalog: Catalog,
    seed: int,
    index: int,
    kind: str = "pdf",
    *,
    options: SampleOptions | None = None,
    name: str | None = None,
    dpi: int | None = None,
) -> GeneratedDocument:
    """Document ``index`` of the dataset with ``seed``: same arguments → same bytes and ground truth.

    ``kind`` "pdf": text-layer PDF; "scan": the pages rasterised, scanner-degraded and re-embedded as an
    image-only PDF (or a PNG for some one-page invoices); "photo": page 1 as a phone-photo JPEG (the
    invoice is kept to one page); "mixed": one of the three, drawn from the seed. ``dpi`` overrides the
    rasterisation resolution (the default is drawn per document: 150-300 for scans, 170-220 for photos).
    """
    import cv2

    from minimarket.synth.degrade import encode_jpeg, encode_png, photo_effects, scan_effects
    from minimarket.synth.invoices.render import image_pdf, rasterize, render_pdf

    if kind not in DOCUMENT_KINDS:
        raise ValueError(f"unknown document kind {kind!r}; use one of {', '.join(DOCUMENT_KINDS)}")
    actual = _kind_for(seed, index, kind)
    options = options or SampleOptions()
    stem = name or f"invoice_{index:05d}"
    np_rng = np.random.default_rng([seed, index, 7])
    effects: list[str] = []
    used_dpi: int | None = None
    if actual == "photo":
        spec, pdf, _ = _one_page_spec(catalog, seed, index, options)
        used_dpi = dpi or int(np_rng.choice([170, 190, 200, 220]))
        page = rasterize(pdf, used_dpi)[0]
        image, effects = photo_effects(page, np_rng)
        quality = int(np_rng.integers(55, 86))
        effects.append(f"jpeg{quality}")
        data, filename, pages = encode_jpeg(image, quality), f"{stem}.jpg", 1
    else:
        spec = make_spec(catalog, seed, index, options)
        rendered = render_pdf(spec)
        pages = rendered.pages
        if actual == "pdf":
            data, filename = rendered.data, f"{stem}.pdf"
        else:
            used_dpi = dpi or int(np_rng.choice([150, 200, 200, 300]))
            images = []
            for page in rasterize(rendered.data, used_dpi):
                degraded, page_effects = scan_effects(page, np_rng)
                images.append(degraded)
                effects = effects or page_effects
            if pages == 1 and np_rng.random() < 0.3:
                grey = np.asarray(
                    cv2.cvtColor(cv2.cvtColor(images[0], cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB), np.uint8
                )
                data, filename = encode_png(grey), f"{stem}.png"
                effects.append("png_grey")
            else:
                quality = int(np_rng.integers(60, 91))
                effects.append(f"jpeg{quality}")
                encoded = [encode_jpeg(image, quality) for image in images]
                sizes = [(image.shape[1], image.shape[0]) for image in images]
                data, filename = image_pdf(encoded, sizes, used_dpi), f"{stem}.pdf"
    sha = hashlib.sha256(data).hexdigest()
    truth = spec.truth(source_file=filename, sha256=sha, pages=pages)
    return GeneratedDocument(filename, data, actual, spec, truth, pages, effects, used_dpi)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def write_expected(headers: dict[str, dict[str, Any]], path: Path) -> None:
    """``expected.json`` exactly as the real dev set formats it (sorted keys, indent 1)."""
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(headers, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def _write(document: GeneratedDocument, out: Path, truth: bool) -> None:
    (out / document.name).write_bytes(document.data)
    if truth:
        stem = document.name.rsplit(".", 1)[0]
        (out / f"{stem}.truth.json").write_text(_json(document.truth.to_json_dict()), encoding="utf-8")


def _job(args: tuple[int, int, str, SampleOptions | None, int | None]) -> GeneratedDocument:
    seed, index, kind, options, dpi = args
    return make_document(_worker_catalog(), seed, index, kind, options=options, dpi=dpi)


_CATALOG: Catalog | None = None


def _worker_catalog() -> Catalog:
    global _CATALOG
    if _CATALOG is None:
        _CATALOG = bundled_catalog()
    return _CATALOG


def _documents(
    n: int,
    kind: str,
    seed: int,
    options: SampleOptions | None,
    catalog: Catalog | None,
    workers: int,
    dpi: int | None,
) -> Iterator[GeneratedDocument]:
    if workers <= 1 or n < 4:
        cat = catalog or bundled_catalog()
        for index in range(n):
            yield make_document(cat, seed, index, kind, options=options, dpi=dpi)
        return
    jobs = [(seed, index, kind, options, dpi) for index in range(n)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_job, jobs, chunksize=2)


def write_dataset(
    n: int,
    out: Path,
    kind: str = "mixed",
    seed: int = 0,
    *,
    options: SampleOptions | None = None,
    catalog: Catalog | None = None,
    workers: int = 1,
    truth: bool = True,
    dpi: int | None = None,
    on_document: Callable[[GeneratedDocument], None] | None = None,
) -> list[dict[str, Any]]:
    """Write ``n`` documents with their truth, ``expected.json`` and ``manifest.jsonl``; returns the manifest.

    ``workers`` > 1 renders in that many processes (the output is the same). The bundled catalog is used
    unless ``catalog`` is given (workers always use the bundled one). ``dpi`` fixes the rasterisation
    resolution of scans and photos (default: drawn per document).
    """
    if n < 1:
        raise ValueError(f"--n must be at least 1, got {n}")
    if kind not in DOCUMENT_KINDS:
        raise ValueError(f"unknown document kind {kind!r}; use one of {', '.join(DOCUMENT_KINDS)}")
    out.mkdir(parents=True, exist_ok=True)
    headers: dict[str, dict[str, Any]] = {}
    manifest: list[dict[str, Any]] = []
    with (out / "manifest.jsonl").open("w", encoding="utf-8") as fh:
        for document in _documents(n, kind, seed, options, catalog if workers <= 1 else None, workers, dpi):
            _write(document, out, truth)
            headers[document.name] = document.spec.expected_header()
            entry = document.manifest()
            manifest.append(entry)
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
            if on_document is not None:
                on_document(document)
    write_expected(headers, out / "expected.json")
    return manifest
