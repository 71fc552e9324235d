"""A batch of mixed documents end to end through the API (``POST invoices/batch`` until finished, documents
stored) side by side with raw Tesseract on the same OCR pages with the same number of processes. Prints JSON.

Raw Tesseract is the floor of what reading them costs: ``tesseract page.png - -l spa`` once per page of every
scanned or photographed document (PDF scans rendered at ``Settings.render_dpi``), ``--workers`` at a time,
one OpenMP thread each. The service reads text-layer PDFs too, checks everything and stores the invoices.

    .venv/bin/python benchmarks/service_batch.py [--documents 50] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2

from minimarket.bench.figures import emit, figure, with_figures
from minimarket.client import MinimarketClient
from minimarket.config import Settings
from minimarket.documents.ingest import decode_image, load_document, open_pdf
from minimarket.documents.pdf import render_page
from minimarket.service.local import LocalServer, server_env


def _documents(folder: Path, n: int, seed: int) -> list[dict[str, object]]:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "minimarket.cli",
            "synth",
            "invoices",
            "--n",
            str(n),
            "--kind",
            "mixed",
            "--seed",
            str(seed),
            "--out",
            str(folder),
            "--workers",
            "2",
        ],
        check=True,
        capture_output=True,
    )
    manifest = [json.loads(line) for line in (folder / "manifest.jsonl").read_text().splitlines()]
    return [{**row, "path": folder / str(row["file"])} for row in manifest]


def _ocr_pages(docs: list[dict[str, object]], out: Path, settings: Settings) -> list[Path]:
    """Every page of the documents without a text layer, as the PNG Tesseract would be given."""
    pages: list[Path] = []
    for doc in docs:
        if doc["kind"] == "pdf":
            continue
        path = Path(str(doc["path"]))
        loaded = load_document(path, settings=settings)
        if loaded.kind == "pdf":
            pdf = open_pdf(loaded.data, loaded.name)
            images = [render_page(pdf, i, settings.render_dpi) for i in range(loaded.pages)]
            pdf.close()
        else:
            images = [page.pixels for page in decode_image(loaded, settings, gray=True)]
        for i, image in enumerate(images):
            target = out / f"{path.stem}-{i}.png"
            cv2.imwrite(str(target), image)
            pages.append(target)
    return pages


def _tesseract(pages: list[Path], workers: int, language: str) -> float:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def one(page: Path) -> None:
        subprocess.run(["tesseract", str(page), "-", "-l", language], env=env, capture_output=True, check=True)

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, pages))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="reader processes = Tesseract processes")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    settings = Settings()
    with tempfile.TemporaryDirectory(prefix="mm-batch-") as tmp:
        docs = _documents(Path(tmp) / "docs", args.documents, args.seed)
        pages_dir = Path(tmp) / "pages"
        pages_dir.mkdir()
        pages = _ocr_pages(docs, pages_dir, settings)
        raw = _tesseract(pages, args.workers, settings.ocr_language)
        state = Path(tmp) / "state"
        state.mkdir()
        env = server_env(state, reader_workers=args.workers, rate_limit_per_minute=10**6, batch_budget_seconds=3600)
        with (
            LocalServer(env=env, log=state / "server.log") as server,
            MinimarketClient(server.url, server.token("client")) as api,
        ):
            started = time.perf_counter()
            batch = api.submit_batch([Path(str(d["path"])) for d in docs])
            view = api.wait_batch(batch["batch_id"], timeout=3600, poll=1.0)
            end_to_end = time.perf_counter() - started
    statuses = [r.get("invoice", {}).get("status", "failed") for r in view["results"]]
    kinds = [str(d["kind"]) for d in docs]
    result = {
        "benchmark": "service_batch",
        "documents": len(docs),
        "kinds": {k: kinds.count(k) for k in sorted(set(kinds))},
        "ocr_pages": len(pages),
        "workers": args.workers,
        "batch_end_to_end_seconds": round(end_to_end, 1),
        "raw_tesseract_seconds": round(raw, 1),
        "ratio_batch_vs_raw_tesseract": round(end_to_end / raw, 2),
        "goal_ratio": 1.3,
        "done": view["done"],
        "failed": view["failed"],
        "statuses": {s: statuses.count(s) for s in sorted(set(statuses))},
        "note": "shared 2-core machine; raw Tesseract reads only the OCR pages once; the service reads every "
        "document (deblurring photos, second readings, QR) and stores it",
    }
    figures = [
        figure(f"batch of {len(docs)} mixed end to end vs raw Tesseract on its {len(pages)} OCR pages",
               round(end_to_end, 1), round(raw, 1), goal=("<=", 1.3), on="ratio", unit="s", better="lower"),
    ]  # fmt: skip
    emit(with_figures(result, figures))


if __name__ == "__main__":
    main()
