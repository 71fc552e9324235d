"""Extraction accuracy: documents fully correct and accuracy per field, on the real development set and on
freshly generated synthetic invoices, printed as one JSON object.

    .venv/bin/python benchmarks/extract_accuracy.py [--real DIR] [--synth-n 60] [--synth-kind mixed]
                                                     [--seed 7] [--workers 2] [--synth-dir DIR]

A document is *fully correct* when every field of its ``expected.json`` entry matches. For synthetic
documents the ``<name>.truth.json`` ground truth also scores the totals (net, VAT per rate, other taxes)
and the items (count, and each item's quantity, unit price and amount).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from minimarket.config import REPO_ROOT
from minimarket.documents.extract import extract_many

DEFAULT_REAL = REPO_ROOT.parent / "shared" / "data" / "invoices"
HEADER_FIELDS = ("invoice_type", "afip_code", "point_of_sale", "number", "issue_date", "issuer_cuit", "cae", "total")


def _norm(value: Any) -> str | None:
    """Numbers by value, text without case or repeated spaces (printed names are often in capitals)."""
    if value is None:
        return None
    try:
        return str(Decimal(str(value)).normalize())
    except ArithmeticError:
        return " ".join(str(value).split()).casefold()


def _money_set(rows: list[dict[str, Any]] | None, keys: tuple[str, ...]) -> Counter[tuple[str | None, ...]]:
    return Counter(tuple(_norm(row.get(k)) for k in keys) for row in rows or [])


def _score_truth(got: dict[str, Any], truth: dict[str, Any], fields: dict[str, list[bool]]) -> None:
    for name in ("net_amount", "issuer_name", "receiver_doc_number", "cae_due_date", "currency"):
        if name in truth and truth[name] is not None:
            fields[name].append(_norm(got.get(name)) == _norm(truth[name]))
    fields["vat"].append(
        _money_set(got.get("vat"), ("rate", "amount")) == _money_set(truth.get("vat"), ("rate", "amount"))
    )
    fields["other_taxes"].append(
        _money_set(got.get("other_taxes"), ("kind", "amount"))
        == _money_set(truth.get("other_taxes"), ("kind", "amount"))
    )
    t_items = truth.get("items") or []
    g_items = got.get("items") or []
    fields["items_count"].append(len(t_items) == len(g_items))
    if len(t_items) == len(g_items) and t_items:
        for key in ("quantity", "unit_price", "amount"):
            fields[f"items_{key}"].append(
                all(_norm(a.get(key)) == _norm(b.get(key)) for a, b in zip(g_items, t_items, strict=False))
            )


def evaluate(folder: Path, workers: int, with_truth: bool) -> dict[str, Any]:
    expected: dict[str, dict[str, Any]] = json.loads((folder / "expected.json").read_text())
    paths = [folder / name for name in sorted(expected)]
    fields: dict[str, list[bool]] = defaultdict(list)
    statuses: Counter[str] = Counter()
    full = 0
    failures: list[dict[str, Any]] = []
    start = time.perf_counter()
    for path, result in zip(paths, extract_many(paths, workers=workers), strict=True):
        got = result.to_json_dict()
        statuses[got["status"]] += 1
        want = expected[path.name]
        wrong = {}
        for name, value in want.items():
            ok = _norm(got.get(name)) == _norm(value)
            fields[name].append(ok)
            if not ok:
                wrong[name] = {"expected": value, "got": got.get(name)}
        full += not wrong
        if with_truth:
            truth_path = folder / f"{path.stem}.truth.json"
            if truth_path.is_file():
                _score_truth(got, json.loads(truth_path.read_text()), fields)
        if wrong or got["status"] != "accepted":
            failures.append(
                {
                    "file": path.name,
                    "status": got["status"],
                    "wrong": wrong,
                    "failed_checks": [c["name"] for c in got["checks"] if not c["ok"]],
                    "error": got.get("error"),
                }
            )
    seconds = time.perf_counter() - start
    return {
        "folder": str(folder),
        "documents": len(paths),
        "fully_correct": full,
        "fully_correct_share": round(full / len(paths), 4) if paths else None,
        "field_accuracy": {name: round(sum(v) / len(v), 4) for name, v in sorted(fields.items()) if v},
        "status": dict(statuses),
        "seconds": round(seconds, 2),
        "documents_per_second": round(len(paths) / seconds, 2) if seconds else None,
        "failures": failures[:25],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", type=Path, default=DEFAULT_REAL, help="Folder with real invoices + expected.json")
    parser.add_argument("--synth-n", type=int, default=60, help="How many synthetic invoices (0 to skip)")
    parser.add_argument("--synth-kind", default="mixed", help="pdf | scan | photo | mixed")
    parser.add_argument("--synth-dir", type=Path, default=None, help="Use this generated folder instead")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    report: dict[str, Any] = {"benchmark": "extract_accuracy"}
    if (args.real / "expected.json").is_file():
        report["real"] = evaluate(args.real, args.workers, with_truth=False)
    else:
        report["real"] = {"skipped": f"no expected.json in {args.real}"}

    if args.synth_dir is not None:
        report["synthetic"] = evaluate(args.synth_dir, args.workers, with_truth=True)
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
                report["synthetic"] = evaluate(out, args.workers, with_truth=True)
                report["synthetic"].update({"kind": args.synth_kind, "seed": args.seed})
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
