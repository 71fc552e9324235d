"""Synthetic invoice generator throughput: documents per second per kind (one process), as one JSON object.

    .venv/bin/python benchmarks/synth_throughput.py [--n 20] [--seed 0]

For each kind (pdf, scan, photo) ``--n`` documents are generated in memory with
:func:`minimarket.synth.invoices.dataset.make_document` (default per-document resolutions: scans 150-300
dpi, photos 170-220 dpi); also the mean output size and the pages per document.
"""

from __future__ import annotations

import argparse
import json
import time

from minimarket.catalog import bundled_catalog
from minimarket.synth.invoices.dataset import make_document


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    catalog = bundled_catalog()
    make_document(catalog, args.seed, 10_000, "photo")  # warm-up: imports, fonts
    result: dict[str, object] = {"n_per_kind": args.n, "seed": args.seed}
    for kind in ("pdf", "scan", "photo"):
        started = time.perf_counter()
        sizes, pages = [], []
        for index in range(args.n):
            document = make_document(catalog, args.seed, index, kind)
            sizes.append(len(document.data))
            pages.append(document.pages)
        seconds = time.perf_counter() - started
        result[kind] = {
            "docs_per_s": round(args.n / seconds, 2),
            "s_per_doc": round(seconds / args.n, 3),
            "mean_kb": round(sum(sizes) / len(sizes) / 1024, 1),
            "mean_pages": round(sum(pages) / len(pages), 2),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
