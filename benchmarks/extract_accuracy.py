"""Extraction accuracy: documents fully correct and accuracy per field, on the real development set and on
freshly generated synthetic invoices, printed as one JSON object.

    .venv/bin/python benchmarks/extract_accuracy.py [--real DIR] [--synth-n 60] [--synth-kind mixed]
                                                     [--seed 7] [--workers 2] [--synth-dir DIR] [--rules-only]

The documents are read as ``minimarket extract`` reads them: with the registered ``invoice-extractor``
champion when there is one (``--rules-only``: the rules alone); the JSON says which reader.

A document is *fully correct* when every field of its ``expected.json`` entry matches. For synthetic
documents the ``<name>.truth.json`` ground truth also scores the totals (net, VAT per rate, other taxes)
and the items (item precision, recall and F1, and every item right for *fully correct*); the scoring is
:mod:`minimarket.learning.metrics`, the same as training's.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from minimarket.config import REPO_ROOT, get_settings
from minimarket.documents.invoice_reader import InvoiceReader
from minimarket.learning.metrics import HEADER_FIELDS, DocScore, aggregate, rounded, score_document
from minimarket.learning.runtime import load_reader

DEFAULT_REAL = REPO_ROOT.parent / "shared" / "data" / "invoices"
SYNTH_FIELDS = (*HEADER_FIELDS, "issuer_name", "currency")


def evaluate(reader: InvoiceReader, folder: Path, workers: int, with_truth: bool) -> dict[str, Any]:
    """Extract every document of ``expected.json`` in ``folder`` and score it (with the full
    ``<name>.truth.json`` where there is one and ``with_truth``)."""
    expected: dict[str, dict[str, Any]] = json.loads((folder / "expected.json").read_text())
    paths = [folder / name for name in sorted(expected)]
    scores: list[DocScore] = []
    failures: list[dict[str, Any]] = []
    accepted_wrong = 0
    start = time.perf_counter()
    for path, result in zip(paths, reader.extract_many(paths, workers=workers), strict=True):
        got = result.to_json_dict()
        truth_path = folder / f"{path.stem}.truth.json"
        if with_truth and truth_path.is_file():
            truth = {**json.loads(truth_path.read_text()), **expected[path.name]}
            score = score_document(got, truth, name=path.name, fields=SYNTH_FIELDS, totals=True)
        else:
            score = score_document(got, expected[path.name], name=path.name, fields=tuple(expected[path.name]))
        scores.append(score)
        accepted_wrong += bool(score.wrong) and got["status"] == "accepted"
        if score.wrong or got["status"] != "accepted":
            failures.append(
                {
                    "file": path.name,
                    "status": got["status"],
                    "wrong": score.wrong,
                    "failed_checks": [c["name"] for c in got["checks"] if not c["ok"]],
                    "error": got.get("error"),
                }
            )
    seconds = time.perf_counter() - start
    figures = aggregate(scores)
    if not with_truth:  # header fields only: no items to count
        figures = {k: v for k, v in figures.items() if not k.startswith(("item", "sku", "description"))}
    return rounded(
        {
            "folder": str(folder),
            **figures,
            "accepted_with_wrong_field": accepted_wrong,
            "seconds": seconds,
            "documents_per_second": len(paths) / seconds if seconds else None,
            "failures": failures[:25],
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", type=Path, default=DEFAULT_REAL, help="Folder with real invoices + expected.json")
    parser.add_argument("--synth-n", type=int, default=60, help="How many synthetic invoices (0 to skip)")
    parser.add_argument("--synth-kind", default="mixed", help="pdf | scan | photo | mixed")
    parser.add_argument("--synth-dir", type=Path, default=None, help="Use this generated folder instead")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rules-only", action="store_true", help="Read without the registered champion")
    args = parser.parse_args()

    settings = get_settings()
    reader = InvoiceReader(settings) if args.rules_only else load_reader(settings)
    report: dict[str, Any] = {"benchmark": "extract_accuracy", "reader": reader.describe()}
    if (args.real / "expected.json").is_file():
        report["real"] = evaluate(reader, args.real, args.workers, with_truth=False)
    else:
        report["real"] = {"skipped": f"no expected.json in {args.real}"}

    if args.synth_dir is not None:
        report["synthetic"] = evaluate(reader, args.synth_dir, args.workers, with_truth=True)
    elif args.synth_n > 0:
        try:
            import minimarket.synth.invoices  # noqa: F401
        except ImportError:
            report["synthetic"] = {"skipped": "minimarket.synth.invoices is not available"}
        else:
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "synth"
                cmd = [
                    sys.executable, "-m", "minimarket.cli", "synth", "invoices", "--n", str(args.synth_n),
                    "--out", str(out), "--kind", args.synth_kind, "--seed", str(args.seed),
                    "--workers", str(args.workers),
                ]  # fmt: skip
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
                report["synthetic"] = evaluate(reader, out, args.workers, with_truth=True)
                report["synthetic"].update({"kind": args.synth_kind, "seed": args.seed})
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
