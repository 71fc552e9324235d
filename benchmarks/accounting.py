"""The accountant's figures (issue 22), printed as one JSON object:

1. **Reconciliation with ARCA.** Invoices are read by the real reader and stored in a fresh SQLite store: a
   synthetic corpus written by ``minimarket synth invoices`` and the real development set. ARCA's "Mis
   Comprobantes Recibidos" of those invoices is written from their ground truth (``*.truth.json``; for the
   development set the fields of ``expected.json``) in every generation (G1, G2, G3), as CSV and XLSX and in both
   number formats, with planted cases: rows taken out (loaded, not in ARCA), rows of invoices never loaded, rows
   with an altered amount and rows listed twice. Reported: planted cases found, missed, and every other flag —
   split into those a misread explains (the stored invoice differs from its ground truth in that field) and
   unexplained ones (false flags of the reconciliation itself).
2. **Libro IVA Digital.** A month of generated invoices (ground truth, some still in review) is stored, the two
   files are written from the store and read back with the record design; every field is compared with what the
   design says the stored invoice's record holds (derived here, independently of the writer).
3. **Pack conversion.** Lines of generated invoices (a Responsable Inscripto shop, Factura A) in shelf units
   against their ground truth, with the unit column dropped on some box lines (the price must decide) and box
   prices planted on unit lines (the implausible-cost check must flag them).

    .venv/bin/python benchmarks/accounting.py [--synth-n 60] [--synth-kind pdf] [--real DIR] [--month-n 300] [--quick]

The ``figures`` list (the contract of ``make bench``) gives, per part, what was found against what was planted (or
compared): ratio 1 is every case found, every field equal; and the false flags, which must be 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from minimarket.accounting.arca_export import ArcaRow, read_export_bytes
from minimarket.accounting.libro_iva import read_book, write_book
from minimarket.accounting.periods import parse_period
from minimarket.accounting.reconcile import Reconciliation, reconcile
from minimarket.accounting.shop import book_for_period
from minimarket.bench.figures import Figure, emit, figure, quick_arg, with_figures
from minimarket.catalog import bundled_catalog
from minimarket.config import REPO_ROOT
from minimarket.domain.afip import DOCUMENT_TYPES, VAT_ALIQUOTS
from minimarket.domain.invoice import ExtractedInvoice, Status, TaxKind
from minimarket.purchasing.packs import CatalogEntry, InvoiceLine, convert_history
from minimarket.store.accounting import stored_for_reconciliation
from minimarket.store.db import session_scope
from minimarket.store.invoices import save_extracted
from minimarket.store.models import Invoice
from minimarket.synth.arca import PlantedCase, export_bytes, plant_cases, row_from_invoice
from minimarket.synth.invoices.sample import SampleOptions, sample_invoice

DEFAULT_REAL = REPO_ROOT.parent / "shared" / "data" / "invoices"
LISTS = ("missing_in_store", "missing_in_arca", "amount_mismatch", "duplicates", "key_mismatch", "incomplete_key")
VARIANTS = (
    ("G1", "csv", None),
    ("G1", "csv", "ar"),
    ("G2", "csv", None),
    ("G2", "csv", "us"),
    ("G3", "csv", None),
    ("G3", "csv", "us"),
    ("G2", "xlsx", None),
    ("G3", "xlsx", None),
)


# --- 1. reconciliation --------------------------------------------------------------------------------------------


def _store(url: str, invoices: Iterable[ExtractedInvoice]) -> int:
    stored = 0
    with session_scope(url=url) as session:
        for invoice in invoices:
            if invoice.status == Status.REJECTED or invoice.error is not None:
                continue
            stored += int(save_extracted(session, invoice).created)
    return stored


def _extract(paths: Sequence[Path], workers: int) -> list[ExtractedInvoice]:
    from minimarket.documents.extract import extract_many

    return list(extract_many(list(paths), workers=workers))


def _flags(result: Reconciliation) -> dict[tuple[str, tuple[Any, ...]], set[int]]:
    """(list, fiscal key) → the stored invoices of that entry."""
    out: dict[tuple[str, tuple[Any, ...]], set[int]] = {}
    for name in LISTS:
        for f in getattr(result, name):
            out.setdefault((name, tuple(f.key or ())), set()).update(f.invoice_ids)
    return out


def _run_variants(
    rows: list[ArcaRow], planted: list[PlantedCase], url: str, misread: dict[tuple[Any, ...], str]
) -> dict[str, Any]:
    """Reconcile every variant of the export; planted found / missed, other flags explained or not. A flag is
    explained by a misread when its key, or the stored invoice it names, is one the reader got wrong (or left in
    review); a planted case is missed because of a misread when it was planted on such an invoice."""
    with session_scope(url=url) as session:
        stored = stored_for_reconciliation(session)
    misread_files = set(misread.values())
    misread_ids = {s.invoice_id for s in stored if Path(s.source_file or "").name in misread_files}
    wanted = {(case.kind, case.key) for case in planted}
    out: dict[str, Any] = {}
    totals = {
        "planted": 0,
        "found": 0,
        "missed": 0,
        "missed_on_misread_invoices": 0,
        "explained_by_misread": 0,
        "false_flags": 0,
    }
    seconds = 0.0
    for generation, file_type, number_format in VARIANTS:
        data = export_bytes(
            rows,
            generation=generation,  # type: ignore[arg-type]
            file_type=file_type,  # type: ignore[arg-type]
            number_format=number_format,  # type: ignore[arg-type]
            grouping=number_format is not None,
        )
        start = time.perf_counter()
        export = read_export_bytes(data, f"recibidos.{file_type}")
        result = reconcile(export, stored)
        seconds += time.perf_counter() - start
        flagged = _flags(result)
        found = set(flagged)
        extra = found - wanted
        explained = {flag for flag in extra if flag[1] in misread or flagged[flag] & misread_ids}
        missed = wanted - found
        name = f"{generation}-{file_type}-{number_format or export.number_format}"
        out[name] = {
            "planted": len(wanted),
            "found": len(wanted & found),
            "missed": sorted(f"{k}:{key}" for k, key in missed),
            "missed_on_misread_invoices": sum(1 for _, key in missed if key in misread),
            "explained_by_misread": len(explained),
            "false_flags": sorted(f"{k}:{key}" for k, key in extra - explained),
        }
        totals["planted"] += len(wanted)
        totals["found"] += len(wanted & found)
        totals["missed"] += len(missed)
        totals["missed_on_misread_invoices"] += out[name]["missed_on_misread_invoices"]
        totals["explained_by_misread"] += len(explained)
        totals["false_flags"] += len(extra - explained)
    return {"variants": out, "all_variants": totals, "seconds_read_and_reconcile": round(seconds, 3)}


def _misread(
    stored: Sequence[ExtractedInvoice], truth: dict[str, dict[str, Any]], fields: Sequence[str]
) -> dict[tuple[Any, ...], str]:
    """Fiscal keys (as ARCA has them) of the invoices the reader got wrong in a compared field or left in review,
    with their file names."""
    out: dict[tuple[Any, ...], str] = {}
    for invoice in stored:
        expected = truth.get(Path(invoice.source_file or "").name)
        if expected is None:
            continue
        got = invoice.to_json_dict()
        key = (expected["issuer_cuit"], expected["afip_code"], expected["point_of_sale"], expected["number"])
        wrong = any(str(got.get(f)) != str(expected.get(f)) for f in fields if f in expected)
        if wrong or invoice.status != Status.ACCEPTED:
            out[key] = Path(invoice.source_file or "").name
    return out


def synthetic_reconciliation(n: int, kind: str, seed: int, workers: int, work: Path) -> dict[str, Any]:
    corpus = work / "synth"
    start = time.perf_counter()
    generated_by = subprocess.run(
        [
            sys.executable,
            "-m",
            "minimarket.cli",
            "synth",
            "invoices",
            "--n",
            str(n),
            "--kind",
            kind,
            "--out",
            str(corpus),
            "--seed",
            str(seed),
            "--workers",
            str(workers),
        ],
        capture_output=True,
        text=True,
    )
    if generated_by.returncode != 0:
        raise SystemExit(f"minimarket synth invoices failed:\n{generated_by.stderr[-3000:]}")
    generated = time.perf_counter() - start
    expected: dict[str, dict[str, Any]] = json.loads((corpus / "expected.json").read_text())
    truths = {
        name: ExtractedInvoice.model_validate_json(path.read_text())
        for name in expected
        for path in corpus.glob(Path(name).stem + ".truth.json")
    }
    start = time.perf_counter()
    extracted = _extract([corpus / name for name in sorted(expected)], workers)
    read_seconds = time.perf_counter() - start
    url = f"sqlite:///{work / 'synth.db'}"
    stored = _store(url, extracted)
    truth_fields = {name: t.to_json_dict() for name, t in truths.items()}
    compared = ("issuer_cuit", "afip_code", "point_of_sale", "number", "issue_date", "total", "net_amount", "cae")
    misread = _misread(extracted, truth_fields, compared)
    catalog = bundled_catalog()
    rng = random.Random(seed)
    known = {t.fiscal_key for t in truths.values()}
    others: list[ExtractedInvoice] = []
    while len(others) < 3:
        other = sample_invoice(rng, catalog).truth()
        if other.fiscal_key not in known:
            others.append(other)
    rows, planted = plant_cases(
        [row_from_invoice(t) for _, t in sorted(truths.items())],
        [row_from_invoice(o) for o in others],
        rng,
        missing=3,
        altered=3,
        duplicated=3,
    )
    figures = _run_variants(rows, planted, url, misread)
    return {
        "documents": len(expected),
        "kind": kind,
        "stored": stored,
        "misread_or_in_review": len(misread),
        "seconds_generate": round(generated, 2),
        "seconds_read_documents": round(read_seconds, 2),
        **figures,
    }


def _dev_row(entry: dict[str, Any], extracted: ExtractedInvoice | None, line: int) -> ArcaRow:
    """ARCA's row for a real invoice: key, date, CAE and total from ``expected.json`` (the amounts it does not give
    are left empty: ARCA's other columns are not compared for these)."""
    return ArcaRow(
        line=line,
        issue_date=dt.date.fromisoformat(entry["issue_date"]),
        afip_code=int(entry["afip_code"]),
        point_of_sale=int(entry["point_of_sale"]),
        number=int(entry["number"]),
        number_to=int(entry["number"]),
        cae=entry.get("cae"),
        issuer_doc_type=80,
        issuer_cuit=entry["issuer_cuit"],
        issuer_name=(extracted.issuer_name if extracted else None) or "EMISOR",
        currency="PES",
        exchange_rate=Decimal(1),
        total=Decimal(entry["total"]),
    )


def development_set_reconciliation(folder: Path, seed: int, workers: int, work: Path) -> dict[str, Any]:
    expected: dict[str, dict[str, Any]] = json.loads((folder / "expected.json").read_text())
    start = time.perf_counter()
    extracted = _extract([folder / name for name in sorted(expected)], workers)
    read_seconds = time.perf_counter() - start
    url = f"sqlite:///{work / 'dev.db'}"
    stored = _store(url, extracted)
    misread = _misread(
        extracted, expected, ("issuer_cuit", "afip_code", "point_of_sale", "number", "issue_date", "total", "cae")
    )
    by_name = {Path(i.source_file or "").name: i for i in extracted}
    rows = [_dev_row(entry, by_name.get(name), n) for n, (name, entry) in enumerate(sorted(expected.items()))]
    rng = random.Random(seed)
    other = sample_invoice(rng, bundled_catalog()).truth().model_copy(update={"issue_date": dt.date(2023, 2, 20)})
    rows, planted = plant_cases(rows, [row_from_invoice(other)], rng, missing=1, altered=2, duplicated=1)
    figures = _run_variants(rows, planted, url, misread)
    return {
        "documents": len(expected),
        "stored": stored,
        "misread_or_in_review": len(misread),
        "seconds_read_documents": round(read_seconds, 2),
        **figures,
    }


# --- 2. Libro IVA -------------------------------------------------------------------------------------------------


ALIQUOT_OF = {rate: code for code, rate in VAT_ALIQUOTS.items()}


def _expected_record(invoice: ExtractedInvoice) -> dict[str, Any]:
    """The comprobante record ARCA's design says ``invoice`` has."""
    a = DOCUMENT_TYPES[int(invoice.afip_code or 0)].letter in ("A", "M")
    taxes = {kind: sum((t.amount for t in invoice.other_taxes if t.kind == kind), Decimal(0)) for kind in TaxKind}
    return {
        "issue_date": invoice.issue_date,
        "afip_code": invoice.afip_code,
        "point_of_sale": invoice.point_of_sale,
        "number": invoice.number,
        "import_dispatch": "",
        "seller_doc_type": 80,
        "seller_doc": int(invoice.issuer_cuit or 0),
        "seller_name": (invoice.issuer_name or "")[:30].rstrip(),
        "total": invoice.total,
        "untaxed": (invoice.untaxed_amount or Decimal(0)) if a else Decimal(0),
        "exempt": (invoice.exempt_amount or Decimal(0)) if a else Decimal(0),
        "vat_perceptions": taxes[TaxKind.PERCEPCION_IVA],
        "national_perceptions": taxes[TaxKind.PERCEPCION_GANANCIAS],
        "iibb_perceptions": taxes[TaxKind.PERCEPCION_IIBB],
        "municipal_perceptions": Decimal(0),
        "internal_taxes": taxes[TaxKind.IMPUESTOS_INTERNOS],
        "currency": "PES",
        "exchange_rate": Decimal(1),
        "vat_count": (len({v.rate for v in invoice.vat}) or 1) if a else 0,
        "operation_code": "E" if a and not invoice.vat and invoice.exempt_amount else "0",
        "fiscal_credit": invoice.vat_total if a else Decimal(0),
        "other_taxes": taxes[TaxKind.OTHER],
        "broker_cuit": 0,
        "broker_name": "",
        "commission_vat": Decimal(0),
    }


def libro_iva(n: int, seed: int, work: Path) -> dict[str, Any]:
    period = parse_period("2026-09")
    catalog = bundled_catalog()
    rng = random.Random(seed)
    url = f"sqlite:///{work / 'libro.db'}"
    review = 0
    with session_scope(url=url) as session:
        for index in range(n):
            spec = sample_invoice(rng, catalog)
            spec.issue_date = dt.date(2026, 9, rng.randint(1, 30))
            truth = spec.truth()
            status = Status.NEEDS_REVIEW if index % 12 == 0 else Status.ACCEPTED
            review += int(status == Status.NEEDS_REVIEW)
            digest = hashlib.sha256(truth.model_dump_json().encode()).hexdigest()
            save_extracted(session, truth.model_copy(update={"sha256": digest, "status": status}))
    start = time.perf_counter()
    with session_scope(url=url) as session:
        book = book_for_period(session, period)
        stored = _accepted(session)
    folder = work / "libro"
    write_book(book, folder)
    written = time.perf_counter() - start
    records, aliquots = read_book(folder)
    fields = differences = 0
    problems: list[Any] = []
    for record in records:
        key = (record["afip_code"], record["point_of_sale"], record["number"], f"{record['seller_doc']:011d}")
        for name, value in _expected_record(stored[key]).items():
            fields += 1
            if record[name] != value:
                differences += 1
                problems.append([record["number"], name, str(record[name]), str(value)])
    got: dict[tuple[Any, ...], set[tuple[Any, ...]]] = {}
    for aliquot in aliquots:
        key = (aliquot["afip_code"], aliquot["point_of_sale"], aliquot["number"], f"{aliquot['seller_doc']:011d}")
        got.setdefault(key, set()).add((aliquot["vat_aliquot"], aliquot["net_taxed"], aliquot["vat_amount"]))
    for key, invoice in stored.items():
        want: set[tuple[Any, ...]] = set()
        if DOCUMENT_TYPES[int(invoice.afip_code or 0)].letter in ("A", "M"):
            want = {(ALIQUOT_OF[Decimal(v.rate)], v.base, v.amount) for v in invoice.vat} or {(3, 0, 0)}
        fields += 3 * max(1, len(want))
        if got.get(key, set()) != want:
            differences += 1
            problems.append([key[2], "alicuotas", str(got.get(key)), str(want)])
    raw = (folder / "LIBRO_IVA_DIGITAL_COMPRAS_CBTE.txt").read_bytes()
    return {
        "period": str(period),
        "invoices_generated": n,
        "in_review_listed_not_written": len(book.pending),
        "in_review_expected": review,
        "comprobante_records": len(records),
        "alicuota_records": len(aliquots),
        "record_lengths_ok": all(len(line) == 325 for line in raw.split(b"\r\n")[:-1]),
        "fields_compared": fields,
        "differences": differences,
        "first_differences": problems[:10],
        "seconds_build_and_write": round(written, 3),
    }


def _accepted(session: Any) -> dict[tuple[Any, ...], ExtractedInvoice]:
    from sqlalchemy import select

    rows = session.scalars(select(Invoice).where(Invoice.status == "accepted"))
    return {
        (r.afip_code, r.point_of_sale, r.number, r.issuer_cuit): ExtractedInvoice.model_validate(r.payload)
        for r in rows
    }


# --- 3. pack conversion -------------------------------------------------------------------------------------------


def packs(n: int, seed: int) -> dict[str, Any]:
    catalog = bundled_catalog()
    entries = {p.sku: CatalogEntry(p.category, p.pack_size, p.cost, p.name) for p in catalog.products}
    rng = random.Random(seed)
    lines: list[InvoiceLine] = []
    truth_units: dict[tuple[int, int], int] = {}
    planted_flags: set[tuple[int, int]] = set()
    dropped_unit: set[tuple[int, int]] = set()
    for index in range(n):
        invoice = sample_invoice(rng, catalog, SampleOptions(letter="A", credit_note=False)).truth()
        for number, item in enumerate(invoice.items, start=1):
            if not item.sku or item.unit_price is None:
                continue
            pack = entries[item.sku].pack_size
            unit, price, units = item.unit, item.unit_price, (pack if item.unit == "bulto" else 1)
            key = (index, number)
            roll = rng.random()
            if item.unit == "bulto" and roll < 0.3:
                unit = None  # the layout printed no unit: the price must tell a box
                dropped_unit.add(key)
            elif item.unit == "un" and pack > 1 and roll < 0.03:
                price = price * pack  # a box price on a line that says units: implausible
                planted_flags.add(key)
            truth_units[key] = units
            lines.append(
                InvoiceLine(
                    invoice_id=index,
                    invoice_label=f"A {invoice.point_of_sale:05d}-{invoice.number:08d}",
                    issue_date=invoice.issue_date or dt.date(2026, 1, 1),
                    supplier_cuit=invoice.issuer_cuit,
                    supplier_name=invoice.issuer_name,
                    line_no=number,
                    description=item.description,
                    sku=item.sku,
                    quantity=item.quantity,
                    unit=unit,
                    unit_price=price,
                    discount=item.discount,
                )
            )
    start = time.perf_counter()
    converted = convert_history(lines, entries, monthly_inflation_pct=2.2)
    seconds = time.perf_counter() - start
    right = sum(c.conversion.units == truth_units[(c.line.invoice_id, c.line.line_no)] for c in converted)
    no_unit = [c for c in converted if (c.line.invoice_id, c.line.line_no) in dropped_unit]
    flagged = {(c.line.invoice_id, c.line.line_no) for c in converted if c.check.flagged}
    return {
        "invoices": n,
        "lines": len(converted),
        "boxes": sum(1 for u in truth_units.values() if u > 1),
        "units_right": right,
        "box_lines_without_unit": len(no_unit),
        "box_lines_without_unit_right": sum(c.conversion.units > 1 for c in no_unit),
        "planted_box_prices_on_unit_lines": len(planted_flags),
        "planted_flagged": len(planted_flags & flagged),
        "other_lines_flagged": len(flagged - planted_flags),
        "seconds_convert": round(seconds, 3),
    }


def figures_of(out: dict[str, Any]) -> list[Figure]:
    """The figures contract: planted cases found, false flags, Libro IVA fields equal, boxes converted."""
    found: list[Figure] = []
    for part in ("reconciliation_synthetic", "reconciliation_development_set"):
        totals = out.get(part, {}).get("all_variants")
        if not totals:
            continue
        name = part.replace("reconciliation_", "arca_")
        found.append(
            figure(
                f"{name}.planted_found",
                totals["found"],
                totals["planted"],
                goal=(">=", 1),
                on="ratio",
                unit="cases",
                better="higher",
            )
        )
        unexplained = totals["missed"] - totals["missed_on_misread_invoices"]
        found.append(figure(f"{name}.missed_unexplained", unexplained, goal=("<=", 0), unit="cases", better="lower"))
        found.append(figure(f"{name}.false_flags", totals["false_flags"], goal=("<=", 0), unit="flags", better="lower"))
    book = out["libro_iva"]
    equal = book["fields_compared"] - book["differences"]
    found.append(
        figure(
            "libro_iva.fields_equal",
            equal,
            book["fields_compared"],
            goal=(">=", 1),
            on="ratio",
            unit="fields",
            better="higher",
        )
    )
    packs = out["pack_conversion"]
    found.append(
        figure("packs.units_right", packs["units_right"], packs["lines"], goal=(">=", 1), on="ratio", better="higher")
    )
    found.append(
        figure(
            "packs.planted_costs_flagged",
            packs["planted_flagged"],
            packs["planted_box_prices_on_unit_lines"],
            goal=(">=", 1),
            on="ratio",
            better="higher",
        )
    )
    found.append(
        figure("packs.other_lines_flagged", packs["other_lines_flagged"], goal=("<=", 0), unit="lines", better="lower")
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synth-n", type=int, default=60, help="Synthetic invoices to read and reconcile")
    parser.add_argument("--synth-kind", default="pdf", help="pdf | scan | photo | mixed")
    parser.add_argument("--real", type=Path, default=DEFAULT_REAL, help="Real invoices + expected.json")
    parser.add_argument("--month-n", type=int, default=300, help="Invoices of the Libro IVA month")
    parser.add_argument("--pack-n", type=int, default=400, help="Invoices of the pack-conversion check")
    parser.add_argument("--seed", type=int, default=2212)
    parser.add_argument("--workers", type=int, default=2)
    quick_arg(parser)
    args = parser.parse_args()
    if args.quick:
        args.synth_n, args.month_n, args.pack_n = min(args.synth_n, 12), min(args.month_n, 60), min(args.pack_n, 60)
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    with tempfile.TemporaryDirectory(prefix="mm-accounting-") as tmp:
        work = Path(tmp)
        out: dict[str, Any] = {"machine": "shared (timings indicative)"}
        if args.synth_n > 0:
            out["reconciliation_synthetic"] = synthetic_reconciliation(
                args.synth_n, args.synth_kind, args.seed, args.workers, work
            )
        if (args.real / "expected.json").is_file():
            out["reconciliation_development_set"] = development_set_reconciliation(
                args.real, args.seed, args.workers, work
            )
        out["libro_iva"] = libro_iva(args.month_n, args.seed, work)
        out["pack_conversion"] = packs(args.pack_n, args.seed)
    emit(with_figures(out, figures_of(out)))


if __name__ == "__main__":
    main()
