"""OCR throughput: our full OCR path vs the raw ``tesseract`` command line, side by side, and the
documents/s of text-layer PDFs. Prints one JSON object.

    .venv/bin/python benchmarks/ocr_throughput.py [--workers 2] [--synth 6] [--rounds 2] [--pdf-repeat 10]
                                                 [--order batch|files] [--compare-src DIR]

Page images: page 1 of each real development invoice rendered at 300 dpi (PNG), plus synthetic scans and
phone photos from ``minimarket.synth`` (their page pictures, saved losslessly) when available. Both sides
read the very same files:

- ``raw_tesseract``: ``tesseract IMAGE stdout -l spa tsv`` (default page segmentation), N such processes
  in parallel, each single-threaded (``OMP_THREAD_LIMIT=1``);
- ``ours``: N worker processes, started as the batch reader starts its own (fresh, one core each:
  ``minimarket.documents.worker_process``), each calling ``minimarket.documents.extract.extract(path)``
  (decode, code search, preprocessing, OCR, fields and checks) — or, if that module is missing, the reading
  layer alone (``read_document``); the JSON says which.

- ``baseline`` (with ``--compare-src DIR``): the same as ``ours`` with the package under ``DIR/src`` (another
  checkout, e.g. ``git archive main src | tar -x -C DIR``), in worker processes of its own: before and after
  a change, side by side in one run under the same load.

Both sides take the pages in the same order: by default the one our batch reader hands documents to its
workers in (``reading_order.hand_out_order``: photos, then scans, the larger file first), so that neither side
waits at the end on one long page that happened to come last; ``--order files`` keeps real renders then
synthetic pages.

Each side runs ``--rounds`` times, alternating, and the best round counts. The machine may be shared
with other work, so besides wall-clock pages/s the CPU seconds per page of each side are reported (our
worker processes, Tesseract within them or in their children; the raw tesseract processes): their ratio does
not depend on what else runs, and ``documents_per_second_on_idle_cores`` = workers / CPU seconds per document.
``groups`` gives the CPU figures per kind of page (real renders, synthetic scans, synthetic photos).
Text-layer PDFs: the real invoices whose pages all have a usable text layer and need no OCR, and
synthetic text PDFs, each repeated ``--pdf-repeat`` times through ``extract`` with N workers.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from minimarket.config import REPO_ROOT

REAL = REPO_ROOT.parent / "shared" / "data" / "invoices"


# --- page images -------------------------------------------------------------------------------------------


def real_page_images(out: Path) -> list[Path]:
    import pypdfium2 as pdfium

    from minimarket.documents.pdf import render_page

    paths = []
    for pdf_path in sorted(REAL.glob("*.pdf")):
        with pdfium.PdfDocument(str(pdf_path)) as pdf:
            image = render_page(pdf, 0, 300, grayscale=False)
        path = out / f"real_{pdf_path.stem}.png"
        _save_png(path, image, 300)
        paths.append(path)
    return paths


def synthetic_page_images(out: Path, count: int, seed: int = 11) -> list[Path]:
    """Page pictures of synthetic scans and phone photos (the first page of each document)."""
    import pypdfium2 as pdfium

    from minimarket.documents.ingest import load_document
    from minimarket.documents.pdf import embedded_images

    try:
        from minimarket.catalog import bundled_catalog
        from minimarket.synth.invoices.dataset import make_document
    except ImportError:
        return []

    catalog = bundled_catalog()
    paths = []
    for index in range(count):
        kind = "photo" if index % 2 else "scan"
        generated = make_document(catalog, seed, index, kind)
        doc = load_document(generated.data, name=generated.name)
        if doc.kind == "pdf":
            with pdfium.PdfDocument(doc.data) as pdf:
                page = pdf[0]
                pictures = [picture.pixels for picture in embedded_images(page, 0)]
                page.close()
            if not pictures:
                continue
            image = max(pictures, key=lambda pixels: pixels.size)
            path = out / f"synth_{kind}_{index:02d}.png"
            _save_png(path, image, generated.dpi)
        else:
            path = out / f"synth_{kind}_{index:02d}.{generated.name.rsplit('.', 1)[1]}"
            path.write_bytes(generated.data)
        paths.append(path)
    return paths


def _save_png(path: Path, image: np.ndarray, dpi: int | None) -> None:
    from PIL import Image

    rgb = image if image.ndim == 2 else np.ascontiguousarray(image[..., ::-1])
    Image.fromarray(rgb).save(path, format="PNG", dpi=(dpi, dpi) if dpi else None, compress_level=1)


# --- the two sides ------------------------------------------------------------------------------------------


def _raw_one(path: str) -> tuple[float, float]:
    """Wall and CPU seconds of one raw tesseract process (its own rusage, not the other threads')."""
    started = time.perf_counter()
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    proc = subprocess.Popen(
        ["tesseract", path, "stdout", "-l", "spa", "tsv"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"tesseract failed on {path}")
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


RAW_CPU: list[float] = []
RAW_CPU_PER_IMAGE: dict[str, float] = {}


def run_raw(paths: list[Path], workers: int) -> float:
    """Wall seconds for all pages; the CPU seconds of the tesseract processes go to ``RAW_CPU`` (and per
    image, the least of the rounds, to ``RAW_CPU_PER_IMAGE``)."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(_raw_one, [str(p) for p in paths]))
    RAW_CPU.append(sum(cpu for _, cpu in results))
    for path, (_, cpu) in zip(paths, results, strict=True):
        RAW_CPU_PER_IMAGE[path.name] = min(cpu, RAW_CPU_PER_IMAGE.get(path.name, cpu))
    return time.perf_counter() - started


def _mode() -> str:
    try:
        import minimarket.documents.extract  # noqa: F401
    except ImportError:
        return "read_document (preprocess + OCR + codes; fields layer not available)"
    return "extract (decode + codes + preprocess + OCR + fields + checks)"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _ours_one(path: str) -> dict[str, Any]:
    """One document in a worker: wall seconds, and CPU seconds of the worker (all its threads: Tesseract in
    process) plus its children (a tesseract command, where the package runs one)."""
    started, cpu = time.perf_counter(), time.process_time() + _children_cpu()
    try:
        from minimarket.documents.extract import extract
    except ImportError:
        from minimarket.documents.ingest import load_document
        from minimarket.documents.reader import read_document

        text = read_document(load_document(path))
        outcome: dict[str, Any] = {"words": sum(len(p.words) for p in text.pages)}
    else:
        outcome = {"status": str(extract(path).status)}
    outcome["seconds"] = time.perf_counter() - started
    outcome["cpu"] = time.process_time() + _children_cpu() - cpu
    outcome["name"] = Path(path).name
    return outcome


def _start_worker() -> None:
    """Start a worker as its side's product starts a reading process: one core each, where the package has
    :func:`~minimarket.documents.worker_process.one_core_per_process` (an older one sets nothing)."""
    with contextlib.suppress(ImportError):
        from minimarket.documents.worker_process import one_core_per_process

        one_core_per_process()


def _warm(_: int) -> tuple[int, str]:
    import minimarket
    import minimarket.documents.reader

    with contextlib.suppress(ImportError):
        import minimarket.documents.extract
    time.sleep(0.2)
    return os.getpid(), str(Path(minimarket.__file__).parent)


def baseline_pool(workers: int, src: Path) -> tuple[ProcessPoolExecutor, str]:
    """Worker processes that import the package from ``src`` (fresh interpreters, which start from this
    process's ``sys.path``: ``src`` is put first while they start); and where they found it."""
    sys.path.insert(0, str(src))
    try:
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker
        )
        found = list(pool.map(_warm, range(workers)))  # every worker starts now, with that path
    finally:
        sys.path.remove(str(src))
    where = {package for _, package in found}
    if where != {str(src / "minimarket")}:
        pool.shutdown()
        sys.exit(f"the baseline workers imported {sorted(where)}, not {src / 'minimarket'}")
    return pool, where.pop()


GROUPS = {"real": "real_", "synthetic_scans": "synth_scan", "synthetic_photos": "synth_photo"}


def group_figures(sides: dict[str, dict[str, float]]) -> dict[str, Any]:
    """CPU seconds per page of each side by kind of page, and each side's ratio to raw tesseract."""
    out: dict[str, Any] = {}
    raw = sides["raw_tesseract"]
    for group, prefix in GROUPS.items():
        names = [name for name in raw if name.startswith(prefix)]
        if not names:
            continue
        figures: dict[str, Any] = {"pages": len(names)}
        for side, cpu in sides.items():
            figures[f"{side}_cpu_s_per_page"] = round(sum(cpu[n] for n in names) / len(names), 3)
        for side, cpu in sides.items():
            if side != "raw_tesseract":
                total = sum(cpu[n] for n in names)
                figures[f"{side}_vs_raw_by_cpu"] = round(sum(raw[n] for n in names) / total, 3)
        out[group] = figures
    return out


def run_ours(pool: ProcessPoolExecutor, paths: list[Path]) -> tuple[float, list[dict[str, Any]]]:
    started = time.perf_counter()
    results = list(pool.map(_ours_one, [str(p) for p in paths]))
    return time.perf_counter() - started, results


def best_of(rounds: int, runs: list[Callable[[], float]]) -> list[list[float]]:
    """Run each callable ``rounds`` times, alternating; returns every time of every callable."""
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(rounds):
        for i, run in enumerate(runs):
            times[i].append(run())
    return times


# --- text-layer PDFs ------------------------------------------------------------------------------------------


def text_pdf_set(out: Path, synth: int) -> tuple[list[Path], list[Path]]:
    from minimarket.documents.ingest import load_document
    from minimarket.documents.layout import TextOrigin
    from minimarket.documents.reader import read_document

    real = []
    for path in sorted(REAL.glob("*.pdf")):
        text = read_document(load_document(path))
        no_ocr = all(p.origin is TextOrigin.TEXT for p in text.pages) and not any(
            "imagen de fondo" in w for w in text.warnings
        )
        if no_ocr:
            real.append(path)
    synthetic = []
    try:
        from minimarket.catalog import bundled_catalog
        from minimarket.synth.invoices.dataset import make_document

        catalog = bundled_catalog()
        for index in range(synth):
            generated = make_document(catalog, 23, index, "pdf")
            path = out / f"synth_text_{index:02d}.pdf"
            path.write_bytes(generated.data)
            synthetic.append(path)
    except ImportError:
        pass
    return real, synthetic


def docs_per_second(pool: ProcessPoolExecutor, paths: list[Path], repeat: int, workers: int) -> dict[str, Any]:
    if not paths:
        return {"documents": 0}
    batch = [p for _ in range(repeat) for p in paths]
    run_ours(pool, paths)  # not timed: a fresh worker's first text PDF loads pdfium and its fonts
    elapsed, results = run_ours(pool, batch)
    cpu = sum(r["cpu"] for r in results)
    return {
        "documents": len(batch),
        "distinct": len(paths),
        "seconds": round(elapsed, 3),
        "documents_per_second": round(len(batch) / elapsed, 2),
        "mean_latency_ms": round(1000 * sum(r["seconds"] for r in results) / len(results), 1),
        "cpu_ms_per_document": round(1000 * cpu / len(batch), 1),
        "documents_per_second_on_idle_cores": round(workers * len(batch) / cpu, 2),
        "statuses": sorted({str(r.get("status", "read")) for r in results}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--synth", type=int, default=6, help="synthetic scan/photo page images (0: none)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pdf-repeat", type=int, default=10)
    parser.add_argument("--pdf-synth", type=int, default=10, help="synthetic text-layer PDFs")
    parser.add_argument(
        "--compare-src", type=Path, default=None, help="also run the package of this checkout (DIR/src), side by side"
    )
    parser.add_argument(
        "--order",
        choices=("batch", "files"),
        default="batch",
        help="the order both sides take the pages in: the batch reader's hand-out order (likely slowest first) "
        "or real renders then synthetic pages",
    )
    args = parser.parse_args()
    if not REAL.is_dir():
        sys.exit(f"the real invoices folder is missing: {REAL}")
    if shutil.which("tesseract") is None:
        sys.exit("tesseract is not installed")

    with tempfile.TemporaryDirectory(prefix="ocr-bench-") as tmp:
        out = Path(tmp)
        images = real_page_images(out)
        synthetic = synthetic_page_images(out, args.synth) if args.synth else []
        images += synthetic
        if args.order == "batch":
            from minimarket.documents.reading_order import hand_out_order

            images = [images[i] for i in hand_out_order([str(p) for p in images], len(images))]
        pixels = [Image.open(p).size[::-1] for p in images]
        real_pdfs, synth_pdfs = text_pdf_set(out, args.pdf_synth)

        with contextlib.ExitStack() as stack:
            pool = stack.enter_context(
                ProcessPoolExecutor(
                    max_workers=args.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker
                )
            )
            list(pool.map(_warm, range(args.workers)))
            base_pool, base_where = None, None
            if args.compare_src:
                base_pool, base_where = baseline_pool(args.workers, args.compare_src.resolve() / "src")
                stack.callback(base_pool.shutdown)
            per_image: dict[str, dict[str, float]] = {"ours": {}, "baseline": {}}
            statuses: dict[str, set[str]] = {"ours": set(), "baseline": set()}
            cpu_totals: dict[str, list[float]] = {"ours": [], "baseline": []}

            def side(name: str, executor: ProcessPoolExecutor) -> Callable[[], float]:
                def run() -> float:
                    elapsed, results = run_ours(executor, images)
                    for r in results:
                        best = per_image[name].get(r["name"], r["cpu"])
                        per_image[name][r["name"]] = min(best, r["cpu"])
                    statuses[name] |= {str(r.get("status", "read")) for r in results}
                    cpu_totals[name].append(sum(r["cpu"] for r in results))
                    return elapsed

                return run

            runs = [lambda: run_raw(images, args.workers), side("ours", pool)]
            if base_pool is not None:
                runs.append(side("baseline", base_pool))
            load_before = os.getloadavg()[0]
            times = best_of(args.rounds, runs)
            load_after = os.getloadavg()[0]
            raw_times, our_times = times[0], times[1]
            pdf_real = docs_per_second(pool, real_pdfs, args.pdf_repeat, args.workers)
            pdf_synth = docs_per_second(pool, synth_pdfs, args.pdf_repeat, args.workers)

    raw_best, our_best = min(raw_times), min(our_times)
    n = len(images)
    result = {
        "benchmark": "ocr_throughput",
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "tesseract": subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split("\n")[0],
        "page_images": {
            "total": n,
            "real_rendered_300dpi": n - len(synthetic),
            "synthetic_scans_and_photos": len(synthetic),
            "mean_megapixels": round(float(np.mean([h * w for h, w in pixels])) / 1e6, 2),
        },
        "order": args.order,
        "ours_path": _mode(),
        "raw_tesseract_command": "tesseract IMAGE stdout -l spa tsv (OMP_THREAD_LIMIT=1)",
        "raw_tesseract": {"seconds": [round(t, 2) for t in raw_times], "pages_per_second": round(n / raw_best, 3)},
        "ours": {
            "seconds": [round(t, 2) for t in our_times],
            "pages_per_second": round(n / our_best, 3),
            "statuses": sorted(statuses["ours"]),
        },
        "ours_vs_raw": round(raw_best / our_best, 3),
        "goal_ours_vs_raw": 0.85,
        "cpu_seconds_per_page": {
            "raw_tesseract": round(min(RAW_CPU) / n, 3),
            "ours": round(min(cpu_totals["ours"]) / n, 3),
            "ours_vs_raw_by_cpu": round(min(RAW_CPU) / min(cpu_totals["ours"]), 3),
            "note": "CPU time (worker processes, Tesseract in process or as children): independent of other load "
            "on a shared machine",
        },
        "load_average_1min": {"before": round(load_before, 2), "after": round(load_after, 2)},
        "text_layer_pdfs": {"real_without_ocr": pdf_real, "synthetic": pdf_synth, "goal_documents_per_second": 20},
    }
    sides = {"raw_tesseract": RAW_CPU_PER_IMAGE, "ours": per_image["ours"]}
    if base_pool is not None:
        base_times = times[2]
        base_best = min(base_times)
        result["baseline"] = {
            "package": base_where,
            "seconds": [round(t, 2) for t in base_times],
            "pages_per_second": round(n / base_best, 3),
            "statuses": sorted(statuses["baseline"]),
            "baseline_vs_raw": round(raw_best / base_best, 3),
            "cpu_seconds_per_page": round(min(cpu_totals["baseline"]) / n, 3),
            "baseline_vs_raw_by_cpu": round(min(RAW_CPU) / min(cpu_totals["baseline"]), 3),
        }
        sides["baseline"] = per_image["baseline"]
    result["groups"] = group_figures(sides)
    result["per_image_cpu_s"] = {
        name: {side: round(cpu[name], 2) for side, cpu in sides.items()} for name in sorted(RAW_CPU_PER_IMAGE)
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
