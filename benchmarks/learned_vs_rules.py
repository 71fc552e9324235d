"""Rules only vs the learned invoice-extractor, side by side, per split of a fresh synthetic test set.

    .venv/bin/python benchmarks/learned_vs_rules.py [--n 30] [--kinds pdf,scan,photo] [--seed 2027]
                                                    [--workers 2] [--model-uri models:/invoice-extractor@champion]
                                                    [--data-dir DIR] [--train-sizes 16,6,6] [--train-grid G]

For each split (clean PDF, scan, phone photo) the same documents are read twice — with the default OCR
settings for the rules, with the model's OCR settings for the learned extractor — and scored against
their ground truth: documents fully correct, header-field accuracy, item precision/recall/F1, SKU match
accuracy, description CER, per-field accuracy, and where the learned extractor still goes wrong (fields,
layouts). The documents are generated with seeds no training run uses (split ``bench``). When the configured
store has no such model (a fresh clone), one is trained first on the benchmark's kinds the way the pipeline trains it
(``params.yaml``'s sizes and OCR grid; ``--train-sizes``/``--train-grid`` to change them) into a throw-away
store, and the JSON says so under ``trained``. Goals:
phone photos header fields >= 95 % and item F1 >= 90 %; clean PDFs 100 % / 99 %. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml

from minimarket.bench.champion import TrainingSizes, throwaway_env, train_extractor_champion
from minimarket.config import REPO_ROOT, get_settings
from minimarket.documents.ocr.engine import OcrSettings
from minimarket.learning.dataset import corpus_seed, load_refs, read_samples
from minimarket.learning.extractor_pyfunc import LearnedExtractor, load_extractor
from minimarket.learning.metrics import DocScore, rounded
from minimarket.learning.train import REPORTED, Evaluation, evaluate

DEFAULT_URI = "models:/invoice-extractor@champion"
GOALS = {
    "photo": {"header_accuracy": 0.95, "item_f1": 0.90},
    "pdf": {"header_accuracy": 1.0, "item_f1": 0.99},
}


def _figures(evaluation: Evaluation, kind: str) -> dict[str, Any]:
    metrics = evaluation.by_kind.get(kind, {})
    out = {key: metrics.get(key) for key in REPORTED}
    out["fully_correct"] = metrics.get("fully_correct")
    out["field_accuracy"] = metrics.get("field_accuracy")
    return out


def _where_wrong(scores: list[DocScore]) -> dict[str, Any]:
    """Which header fields fail how often, and item recall per layout."""
    fields: Counter[str] = Counter()
    layouts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    examples: list[dict[str, Any]] = []
    for score in scores:
        for name, ok in score.fields.items():
            if not ok:
                fields[name] += 1
        layout = layouts[score.layout or "?"]
        layout[0] += score.items_right
        layout[1] += score.items_true
        layout[2] += score.items_pred
        if score.wrong and len(examples) < 8:
            examples.append({"document": score.name, "layout": score.layout, "wrong": score.wrong})
    return {
        "wrong_fields": dict(fields.most_common()),
        "item_recall_by_layout": {
            name: {"right": r, "true": t, "extracted": p, "recall": round(r / t, 3) if t else None}
            for name, (r, t, p) in sorted(layouts.items())
        },
        "examples": examples,
    }


def _pipeline_training() -> tuple[TrainingSizes, str]:
    """The sizes and OCR grid the training pipeline (``params.yaml``) trains the extractor with."""
    params = yaml.safe_load((REPO_ROOT / "params.yaml").read_text(encoding="utf-8"))
    synth = params["synth_invoices"]
    sizes = TrainingSizes(int(synth["n_train"]), int(synth["n_val"]), int(synth["n_test"]))
    return sizes, str(params["train_extractor"]["ocr_grid"])


def _extractor(args: argparse.Namespace, work: Path) -> tuple[LearnedExtractor, str, dict[str, Any] | None]:
    """The extractor of ``--model-uri``; without one in the configured store (and ``--model-uri`` left at its
    default), one trained for the occasion into a throw-away store under ``work``."""
    try:
        return load_extractor(args.model_uri), args.model_uri, None
    except Exception as exc:
        if args.model_uri != DEFAULT_URI:
            raise RuntimeError(f"cannot load {args.model_uri}: {exc}") from exc
    sizes, grid = _pipeline_training()
    if args.train_sizes:
        sizes = TrainingSizes.parse(args.train_sizes)
    env = throwaway_env(work)
    trained = train_extractor_champion(
        env, work, sizes=sizes, kinds=args.kinds, workers=args.workers, ocr_grid=args.train_grid or grid
    )
    os.environ["MINIMARKET_MLFLOW_URI"] = env["MINIMARKET_MLFLOW_URI"]
    get_settings.cache_clear()  # tracking now points at the throw-away store
    uri = f"models:/invoice-extractor/{trained['version']}"
    return load_extractor(uri), uri, trained


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="documents per split")
    parser.add_argument("--kinds", default="pdf,scan,photo")
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--model-uri", default=DEFAULT_URI)
    parser.add_argument("--data-dir", type=Path, default=None, help="where the bench documents are written/reused")
    parser.add_argument(
        "--train-sizes", default=None, help="train,val,test documents per kind if a champion must be trained"
    )
    parser.add_argument("--train-grid", default=None, help="OCR grid if a champion must be trained")
    args = parser.parse_args()
    settings = get_settings()
    root = args.data_dir or settings.generated_dir / "bench_extractor"
    cache = settings.state_dir / "cache" / "readings"
    with tempfile.TemporaryDirectory(prefix="learned-vs-rules-") as tmp:
        try:
            extractor, uri, trained = _extractor(args, Path(tmp))
        except (RuntimeError, ValueError) as exc:
            print(json.dumps({"benchmark": "learned_vs_rules", "error": str(exc)}))
            sys.exit(2)
        report = _compare(args, extractor, root, cache)
    report = {"benchmark": "learned_vs_rules", "model_uri": uri, "trained": trained, **report}
    print(json.dumps(rounded(report), ensure_ascii=False, indent=2))


def _compare(args: argparse.Namespace, extractor: LearnedExtractor, root: Path, cache: Path) -> dict[str, Any]:
    """Rules and the learned extractor on the same fresh documents, per split."""
    from minimarket.learning.dataset import generate_corpus

    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    start = time.perf_counter()
    folders = generate_corpus(root, {"bench": args.n}, kinds, args.seed, workers=args.workers)["bench"]
    report: dict[str, Any] = {
        "benchmark": "learned_vs_rules",
        "model": extractor.describe(),
        "documents_per_split": args.n,
        "seed": args.seed,
        "seeds": {kind: corpus_seed(args.seed, "bench", kind) for kind in kinds},
        "splits": {},
    }
    for kind in kinds:
        refs = load_refs(folders[kind], "bench")
        t0 = time.perf_counter()
        rules_samples = read_samples(refs, OcrSettings(), cache_dir=cache, workers=args.workers)
        learned_samples = (
            rules_samples
            if extractor.config.ocr == OcrSettings()
            else read_samples(refs, extractor.config.ocr, cache_dir=cache, workers=args.workers)
        )
        rules = evaluate(rules_samples, None, "rules")
        learned = evaluate(learned_samples, extractor, "learned")
        split = {
            "rules": _figures(rules, kind),
            "learned": _figures(learned, kind),
            "learned_errors": _where_wrong(learned.scores),
            "rules_errors": {"wrong_fields": _where_wrong(rules.scores)["wrong_fields"]},
            "unread": [s.name for s in learned_samples if s.text is None],
            "seconds": round(time.perf_counter() - t0, 1),
        }
        if kind in GOALS:
            split["goals"] = {
                key: {
                    "goal": goal,
                    "learned": split["learned"].get(key),
                    "met": (split["learned"].get(key) or 0) >= goal,
                }
                for key, goal in GOALS[kind].items()
            }
        report["splits"][kind] = split
    report["seconds"] = round(time.perf_counter() - start, 1)
    return report


if __name__ == "__main__":
    main()
