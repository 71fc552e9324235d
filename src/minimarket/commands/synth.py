"""``minimarket synth``: synthetic supplier invoices (documents + ground truth) for training and tests."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path

import typer

from minimarket.commands.common import fail, print_json

app = typer.Typer(help="Synthetic data: supplier invoices with ground truth.", no_args_is_help=True)


class DocumentKind(StrEnum):
    pdf = "pdf"
    scan = "scan"
    photo = "photo"
    mixed = "mixed"


@app.command("invoices")
def invoices_cmd(
    n: int = typer.Option(..., "--n", min=1, max=100_000, help="How many invoices to generate."),
    out: Path = typer.Option(..., "--out", help="Output folder (created if missing; existing files are overwritten)."),
    kind: DocumentKind = typer.Option(
        DocumentKind.mixed,
        "--kind",
        help="pdf (text layer), scan (image-only PDF/PNG), photo (phone-photo JPEG) or mixed.",
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same seed gives the same documents."),
    layout: str | None = typer.Option(None, "--layout", help="Use only this layout (default: all of them)."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Processes rendering in parallel."),
) -> None:
    """Write N invoices, one <name>.truth.json each, expected.json and manifest.jsonl into OUT."""
    from tqdm import tqdm

    from minimarket.synth.invoices.dataset import write_dataset
    from minimarket.synth.invoices.sample import LAYOUT_NAMES, SampleOptions

    if layout is not None and layout not in LAYOUT_NAMES:
        fail(f"unknown layout {layout!r}; use one of: {', '.join(LAYOUT_NAMES)}", 2)
    if out.exists() and not out.is_dir():
        fail(f"--out {out} exists and is not a folder", 2)
    options = SampleOptions(layout=layout) if layout else None
    started = time.perf_counter()
    with tqdm(total=n, desc="invoices", unit="doc", leave=False) as bar:

        def advance(_document: object) -> None:
            bar.update(1)

        try:
            manifest = write_dataset(n, out, kind.value, seed, options=options, workers=workers, on_document=advance)
        except (ValueError, OSError) as exc:
            fail(str(exc))
    seconds = time.perf_counter() - started
    kinds: dict[str, int] = {}
    for entry in manifest:
        kinds[entry["kind"]] = kinds.get(entry["kind"], 0) + 1
    print_json(
        {"out": str(out), "documents": len(manifest), "kinds": kinds, "seed": seed, "seconds": round(seconds, 2)}
    )


@app.command("samples")
def samples_cmd(
    out: Path | None = typer.Option(None, "--out", help="Output folder (default: data/samples)."),
    seed: int = typer.Option(2026, "--seed", help="Random seed of the samples."),
) -> None:
    """Regenerate the bundled sample invoices: factura A (PDF), factura C (PDF), a scan and a phone photo."""
    from minimarket.config import get_settings
    from minimarket.synth.invoices.samples import write_samples

    target = out or get_settings().samples_dir
    try:
        written = write_samples(target, seed)
    except (ValueError, OSError) as exc:
        fail(str(exc))
    print_json({"out": str(target), "files": written})


@app.command("corpus")
def corpus_cmd(
    out: Path = typer.Option(..., "--out", help="Corpus folder: <out>/<split>/<kind>/ (reused when already complete)."),
    n_train: int = typer.Option(3, "--n-train", min=0, help="Training documents per kind."),
    n_val: int = typer.Option(2, "--n-val", min=0, help="Validation documents per kind."),
    n_test: int = typer.Option(2, "--n-test", min=0, help="Test documents per kind."),
    kinds: str = typer.Option("pdf,scan,photo", "--kinds", help="Comma-separated kinds: pdf, scan, photo."),
    seed: int = typer.Option(7, "--seed", help="Seed of the whole corpus (each split and kind derives its own)."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Processes rendering in parallel."),
) -> None:
    """Write the train/val/test corpus the invoice-extractor trains on (the same one `train extractor` uses)."""
    from minimarket.learning.dataset import KINDS, generate_corpus

    chosen = [kind.strip() for kind in kinds.split(",") if kind.strip()]
    unknown = [kind for kind in chosen if kind not in KINDS]
    if unknown or not chosen:
        fail(f"unknown kind(s) {unknown or kinds!r}; use some of {', '.join(KINDS)}", 2)
    started = time.monotonic()
    folders = generate_corpus(out, {"train": n_train, "val": n_val, "test": n_test}, chosen, seed, workers=workers)
    print_json(
        {
            "out": str(out),
            "folders": {
                split: {kind: str(path) for kind, path in by_kind.items()} for split, by_kind in folders.items()
            },
            "seconds": round(time.monotonic() - started, 2),
        }
    )


@app.command("arca-export")
def arca_export_cmd(
    truth: Path = typer.Option(..., "--truth", help="Folder of invoices written by `synth invoices` (*.truth.json)."),
    out: Path = typer.Option(..., "--out", help="The export file to write (.csv or .xlsx)."),
    generation: str = typer.Option("G3", "--generation", help="G1 (until 2023), G2 (2023-2025) or G3 (per rate)."),
    number_format: str | None = typer.Option(None, "--number-format", help="ar (1234,56) or us (1234.56)."),
    missing: int = typer.Option(0, "--missing", min=0, help="Rows to take out (loaded, not in ARCA)."),
    extra: int = typer.Option(0, "--extra", min=0, help="Rows of invoices never generated (in ARCA, not loaded)."),
    altered: int = typer.Option(0, "--altered", min=0, help="Rows with a different amount."),
    duplicated: int = typer.Option(0, "--duplicated", min=0, help="Rows listed twice."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the planted cases."),
) -> None:
    """Write the "Mis Comprobantes Recibidos" export ARCA would give for those invoices, with planted cases;
    prints the planted cases as JSON."""
    import random

    from minimarket.catalog import bundled_catalog
    from minimarket.domain.invoice import ExtractedInvoice
    from minimarket.synth.arca import plant_cases, row_from_invoice, write_export
    from minimarket.synth.invoices.sample import sample_invoice

    if generation not in ("G1", "G2", "G3"):
        fail(f"--generation {generation!r}: use G1, G2 or G3", 2)
    if number_format not in (None, "ar", "us"):
        fail(f"--number-format {number_format!r}: use ar or us", 2)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        fail(f"--out {out}: the file must end in .csv or .xlsx", 2)
    files = sorted(truth.glob("*.truth.json")) if truth.is_dir() else []
    if not files:
        fail(f"--truth {truth}: no *.truth.json files (write them with `minimarket synth invoices`)", 2)
    invoices = [ExtractedInvoice.model_validate_json(f.read_text(encoding="utf-8")) for f in files]
    rng = random.Random(seed)
    catalog = bundled_catalog()
    known = {invoice.fiscal_key for invoice in invoices}
    new: list[ExtractedInvoice] = []
    while len(new) < extra:
        candidate = sample_invoice(rng, catalog).truth()
        if candidate.fiscal_key not in known:
            known.add(candidate.fiscal_key)
            new.append(candidate)
    try:
        rows, planted = plant_cases(
            [row_from_invoice(i) for i in invoices],
            [row_from_invoice(i) for i in new],
            rng,
            missing=missing,
            altered=altered,
            duplicated=duplicated,
        )
        write_export(
            out,
            rows,
            generation=generation,
            file_type="xlsx" if suffix == ".xlsx" else "csv",
            number_format=number_format,
        )
    except (ValueError, OSError) as exc:
        fail(str(exc))
    print_json({"out": str(out), "rows": len(rows), "planted": [case.as_dict() for case in planted]})
