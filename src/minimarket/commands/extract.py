"""``minimarket extract``: read invoices (PDF, photos, scans) into checked JSON.

Exit codes: 0 every document was read (``accepted`` or ``needs_review``), 1 at least one document was
``rejected`` (or could not be saved with ``--save``), 2 usage error (no documents to read, bad option, a Dask
scheduler that cannot be reached).
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import typer

from minimarket.commands.common import ShopOption, describe_failure, fail


def extract_cmd(
    paths: list[Path] = typer.Argument(
        ..., help="Invoice files (PDF, PNG, JPEG, TIFF, WebP) or folders (searched recursively by content)."
    ),
    jsonl: bool | None = typer.Option(
        None,
        "--jsonl/--pretty",
        help="One compact JSON per line (the default when the output goes to a program or a file) "
        "or indented JSON (the default on a terminal).",
        show_default=False,
    ),
    workers: int | None = typer.Option(
        None,
        "--workers",
        "-w",
        min=1,
        max=64,
        help="Parallel worker processes (default: one per core).",
        show_default=False,
    ),
    save: bool = typer.Option(
        False, "--save", help="Store each readable invoice (idempotent: the same file or fiscal key is a duplicate)."
    ),
    shop: str | None = ShopOption,
    create_shop: bool = typer.Option(False, "--create-shop", help="With --save: create the --shop if it is new."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bar on stderr (2+ documents)."),
    rules_only: bool = typer.Option(
        False, "--rules-only", help="Read with the rules alone, without the registered invoice-extractor champion."
    ),
    dask: bool = typer.Option(
        False,
        "--dask",
        help="Read on a Dask cluster: a LocalCluster of --workers processes, or the --dask-scheduler's workers.",
    ),
    dask_scheduler: str | None = typer.Option(
        None,
        "--dask-scheduler",
        help="With --dask: address of a running scheduler (tcp://host:8786; default MINIMARKET_DASK_SCHEDULER). "
        "Its workers must see the same paths.",
        show_default=False,
    ),
) -> None:
    """Read invoices into the extracted-invoice JSON: fields, items, totals, checks and status.

    Each document prints one JSON object: one per line when the output goes to a program or a file
    (or with --jsonl), indented on a terminal (or with --pretty).

    A bad file gives an error record (status "rejected") and the rest go on.

    With --save each record also carries "saved": {invoice_id, created, duplicate_of, message}; files already
    stored are not read again (their stored record is printed), so a stopped run resumes where it stopped.

    With --dask the documents are read on a Dask cluster (same records, same order).

    The registered invoice-extractor champion is used when there is one (unless --rules-only).

    Exit code 0: all read; 1: some rejected (or not saved); 2: usage error.
    """
    from tqdm import tqdm

    from minimarket.bulk import extract_records
    from minimarket.config import cpu_cores, get_settings
    from minimarket.documents.batch import expand_paths
    from minimarket.documents.invoice_reader import InvoiceReader

    if dask_scheduler and not dask:
        fail("--dask-scheduler va con --dask", 2)
    if save:
        from minimarket.commands.common import shop_session

        with shop_session(shop, create=create_shop):  # an unknown shop stops here, before any reading
            pass
    files = expand_paths(paths)
    if not files:
        fail(
            "no hay documentos para leer en "
            + ", ".join(str(p) for p in paths)
            + " (se aceptan PDF, PNG, JPEG, TIFF, WebP)",
            2,
        )
    settings = get_settings()
    if rules_only:
        reader = InvoiceReader(settings)
    else:
        from minimarket.learning.runtime import load_reader

        reader = load_reader(settings)
    compact = jsonl if jsonl is not None else not sys.stdout.isatty()
    counts = {"accepted": 0, "needs_review": 0, "rejected": 0}
    saved = {"stored": 0, "duplicate": 0, "failed": 0}
    failed = False
    with contextlib.ExitStack() as stack:
        client = None
        if dask:
            from minimarket.cluster import ClusterUnavailable, dask_client

            try:
                client = stack.enter_context(dask_client(settings, dask_scheduler, workers=workers))
            except ClusterUnavailable as exc:
                fail(str(exc), 2)
        bar = stack.enter_context(
            tqdm(total=len(files), unit="doc", file=sys.stderr, disable=not progress or len(files) < 2, leave=False)
        )
        records = extract_records(
            reader,
            files,
            workers=workers or cpu_cores(),
            client=client,
            save=save,
            shop=shop,
            author="cli",
            describe=lambda exc: describe_failure(exc)[0],
        )
        for record in records:
            counts[record["status"]] = counts.get(record["status"], 0) + 1
            outcome = record.get("saved")
            if outcome is not None:
                if "error" in outcome:
                    saved["failed"] += 1
                    failed = True
                else:
                    saved["stored" if outcome["created"] else "duplicate"] += 1
            text = json.dumps(record, ensure_ascii=False, indent=None if compact else 2)
            if not bar.disable:
                bar.clear()
            sys.stdout.write(text + "\n")
            sys.stdout.flush()
            bar.update(1)
    summary = (
        f"{len(files)} documento(s): {counts['accepted']} aceptado(s), {counts['needs_review']} para revisar, "
        f"{counts['rejected']} rechazado(s)"
    )
    if save:
        summary += f"; guardados {saved['stored']}, duplicados {saved['duplicate']}"
        if saved["failed"]:
            summary += f", sin guardar por error {saved['failed']}"
    if len(files) > 1 or save:
        typer.echo(summary, err=True)
    if counts["rejected"] or failed:
        raise typer.Exit(1)
