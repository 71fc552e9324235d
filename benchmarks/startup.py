"""Start-up of the command line, side by side with the rules-only path and with raw Tesseract. Prints JSON.

    .venv/bin/python benchmarks/startup.py [--rounds 5] [--pdf FILE] [--scans 12] [--workers 2] [--use-store]

Every figure is the wall time of ``minimarket`` run as a user runs it (a fresh process), best of
``--rounds``, with the CPU seconds of the process and its children beside it:

- ``help``: ``minimarket --help``;
- ``one_text_pdf``: ``minimarket extract FILE --jsonl`` on one text-layer PDF, with the ``invoice-extractor``
  champion (``champion``: its local copy, the usual case; ``champion_after_store_change``: the first call
  after the tracking store changed, which asks MLflow's registry; ``champion_without_local_copy``: the
  first call ever, which also fetches the parts) and with ``--rules-only``;
- ``scans``: ``--scans`` page images of the real development invoices (their pages rendered at 300 dpi,
  first pages first) read by ``minimarket extract DIR --workers N`` with the champion, start-up
  included, against N single-thread ``tesseract IMAGE stdout -l spa`` processes on the same images
  (``ours_vs_raw`` = raw seconds / our seconds; goal 0.8).

By default the champion is a small extractor trained for the occasion into a temporary tracking store
(``minimarket train extractor`` on a few synthetic PDFs, 10 of them for the promotion gate to decide on, about a
minute); ``--use-store`` uses the champion of the configured store instead. Python's bytecode cache is written
by a warm-up run first, as on any installation (``PYTHONDONTWRITEBYTECODE`` is cleared for the runs). The
machine may be busy with other work: compare the figures of one run with each other, and the CPU seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from minimarket.bench.champion import TrainingSizes, throwaway_env, train_extractor_champion
from minimarket.config import REPO_ROOT

REAL = REPO_ROOT.parent / "shared" / "data" / "invoices"
CLI = Path(sys.executable).parent / "minimarket"
HEAVY = ("mlflow", "sklearn", "pandas", "scipy", "prophet", "evidently", "dvc")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(command: list[str], env: dict[str, str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall and CPU seconds (process and children) of one command."""
    cpu, started = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
    return time.perf_counter() - started, _children_cpu() - cpu, done


def _best(command: list[str], env: dict[str, str], rounds: int, ok: tuple[int, ...] = (0,)) -> dict[str, Any]:
    walls, cpus = [], []
    for _ in range(rounds):
        wall, cpu, done = _run(command, env)
        if done.returncode not in ok:
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
        walls.append(wall)
        cpus.append(cpu)
    best = min(range(rounds), key=walls.__getitem__)
    return {"seconds": round(walls[best], 3), "cpu_seconds": round(cpus[best], 3), "all_seconds": _r(walls)}


def _r(values: list[float]) -> list[float]:
    return [round(v, 3) for v in values]


def _imports(args: list[str], env: dict[str, str]) -> list[str]:
    """The heavy libraries ``minimarket ARGS`` imports (a separate, untimed run)."""
    probe = (
        "import json, sys\nfrom minimarket.cli import app\ntry:\n    app(sys.argv[1:], prog_name='minimarket')\n"
        "except SystemExit:\n    pass\n"
        f"print('IMPORTED', json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r}))),"
        " file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", probe, *args], env=env, capture_output=True, text=True, timeout=900)
    line = next((x for x in done.stderr.splitlines() if x.startswith("IMPORTED ")), "IMPORTED null")
    return json.loads(line.removeprefix("IMPORTED "))


def _local_cache(state: Path) -> Path:
    return state / "cache" / "models"


def _one_pdf(pdf: Path, env: dict[str, str], state: Path, rounds: int, cold: bool) -> dict[str, Any]:
    command = [str(CLI), "extract", str(pdf), "--jsonl"]
    _run(command, env)  # warm-up: bytecode, local record and copy
    _run([*command, "--rules-only"], env)
    champion = _best(command, env, rounds)
    rules = _best([*command, "--rules-only"], env, rounds)
    cache = _local_cache(state)
    records = list(cache.glob("*/*.champion.json"))
    after_change: dict[str, Any] | None = None
    without_copy: dict[str, Any] | None = None
    if cold and records:  # the first call after a change of the store, then the very first call
        for record in records:
            record.unlink()
        after_change = _best(command, env, 1)
        shutil.rmtree(cache)
        without_copy = _best(command, env, 1)
    _, _, done = _run(command, env)
    record = json.loads(done.stdout)
    return {
        "file": pdf.name,
        "status": record.get("status"),
        "items_with_sku": sum(1 for item in record.get("items", []) if item.get("sku")),
        "champion": champion,
        "rules_only": rules,
        "champion_vs_rules": round(champion["seconds"] / rules["seconds"], 3),
        "champion_after_store_change": after_change,
        "champion_without_local_copy": without_copy,
        "imports_champion": _imports(["extract", str(pdf), "--jsonl"], env),
        "imports_rules_only": _imports(["extract", str(pdf), "--jsonl", "--rules-only"], env),
        "goal_seconds": 2.0,
    }


def _scan_images(out: Path, count: int) -> list[Path]:
    """Page images of the real invoices at 300 dpi: first pages first, then second pages, and so on."""
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image

    from minimarket.documents.pdf import render_page

    sources = sorted(REAL.glob("*.pdf"))
    pdfs = [pdfium.PdfDocument(str(path)) for path in sources]
    try:
        order = [(i, p) for p in range(max(len(pdf) for pdf in pdfs)) for i, pdf in enumerate(pdfs) if p < len(pdf)]
        paths = []
        for i, page in order[:count]:
            image = render_page(pdfs[i], page, 300, grayscale=False)
            rgb = image if image.ndim == 2 else np.ascontiguousarray(image[..., ::-1])
            path = out / f"scan_{len(paths):02d}_{sources[i].stem}_p{page + 1}.png"
            Image.fromarray(rgb).save(path, format="PNG", dpi=(300, 300), compress_level=1)
            paths.append(path)
        return paths
    finally:
        for pdf in pdfs:
            pdf.close()


def _raw_tesseract(images: list[Path], workers: int) -> tuple[float, float]:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")

    def one(path: Path) -> None:
        subprocess.run(["tesseract", str(path), "stdout", "-l", "spa"], env=env, capture_output=True, check=True)

    cpu, started = _children_cpu(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, images))
    return time.perf_counter() - started, _children_cpu() - cpu


def _scans(env: dict[str, str], work: Path, count: int, workers: int, rounds: int) -> dict[str, Any]:
    folder = work / "scans"
    folder.mkdir()
    images = _scan_images(folder, count)
    command = [str(CLI), "extract", str(folder), "--jsonl", "--no-progress", "--workers", str(workers)]
    ours_walls, ours_cpus, raw_walls, raw_cpus = [], [], [], []
    statuses: dict[str, int] = {}
    for _ in range(rounds):  # alternating, so that both see the same load
        wall, cpu = _raw_tesseract(images, workers)
        raw_walls.append(wall)
        raw_cpus.append(cpu)
        wall, cpu, done = _run(command, env)
        if done.returncode not in (0, 1):
            raise RuntimeError(f"extract failed: {done.stderr[-2000:]}")
        ours_walls.append(wall)
        ours_cpus.append(cpu)
        statuses = {}
        for line in done.stdout.splitlines():
            status = json.loads(line)["status"]
            statuses[status] = statuses.get(status, 0) + 1
    ours, raw = min(ours_walls), min(raw_walls)
    return {
        "images": len(images),
        "workers": workers,
        "ours_seconds": round(ours, 2),
        "raw_tesseract_seconds": round(raw, 2),
        "ours_vs_raw": round(raw / ours, 3),
        "ours_vs_raw_by_cpu": round(min(raw_cpus) / min(ours_cpus), 3),
        "all_ours_seconds": _r(ours_walls),
        "all_raw_seconds": _r(raw_walls),
        "statuses": statuses,
        "raw_command": "tesseract IMAGE stdout -l spa (OMP_THREAD_LIMIT=1)",
        "goal_ours_vs_raw": 0.8,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pdf", type=Path, default=REAL / "factura1475.pdf", help="one text-layer PDF")
    parser.add_argument("--scans", type=int, default=12, help="page images of the real invoices (0: skip)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--use-store", action="store_true", help="the configured store's champion, no training")
    args = parser.parse_args()
    if not args.pdf.is_file():
        sys.exit(f"no such PDF: {args.pdf} (pass --pdf FILE)")
    with tempfile.TemporaryDirectory(prefix="startup-bench-") as tmp:
        work = Path(tmp)
        state = work / "state"
        if args.use_store:
            from minimarket.config import get_settings

            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            env["OMP_THREAD_LIMIT"] = "1"
            champion: dict[str, Any] = {"store": get_settings().tracking_uri}
            state = get_settings().state_dir
        else:
            env = throwaway_env(work)
            champion = train_extractor_champion(
                env, work, sizes=TrainingSizes(2, 1, 10), kinds="pdf", require_champion=True
            )
        help_command = [str(CLI), "--help"]
        _run(help_command, env)  # warm-up
        help_figures = {**_best(help_command, env, args.rounds), "imports": _imports(["--help"], env)}
        result: dict[str, Any] = {
            "benchmark": "startup",
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
            "load_average_1min_before": round(os.getloadavg()[0], 2),
            "champion": champion,
            "help": {**help_figures, "goal_seconds": 0.5},
            "one_text_pdf": _one_pdf(args.pdf, env, state, args.rounds, cold=not args.use_store),
        }
        if args.scans and REAL.is_dir() and shutil.which("tesseract"):
            result["scans"] = _scans(env, work, args.scans, args.workers, max(1, min(args.rounds, 2)))
        result["load_average_1min_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
