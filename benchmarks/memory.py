"""Peak RSS (and seconds) per hostile file and per memory case, each in its own process, printed as JSON.

    python benchmarks/memory.py [--sales-mb 200] [--skip-hostile] [--skip-sales]

Cases, each measured side by side with a reference in the same run:

* every file of the hostile corpus (``tests/security/hostile.py``) through ``minimarket extract`` with the
  default decode budget (Settings.decode_memory_mb) — reference: the CLI's start-up alone (``--version``);
* a sales CSV of ``--sales-mb`` MB through ``minimarket sales import`` (streamed) — reference: the same file read
  whole into memory (``read_sales_csv``, what the import did before);
* a 59-megapixel 16-bit PNG read by ``minimarket extract`` (band conversion) — reference: the same page
  converted to bytes through a float64 copy (the conversion used before);
* a TIFF of 30 frames of 35 megapixels — refused from its header by the budget.

Figures depend on the machine (take them side by side, on a quiet machine if possible).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = str(Path(sys.executable).with_name("minimarket"))


def isolated(command: list[str], env: dict[str, str], cwd: Path | None = None) -> dict[str, object]:
    """Run ``command`` from a fresh interpreter (so that its RUSAGE_CHILDREN holds only this command): peak RSS
    in MB, seconds, exit code, the head of stdout and the last line of stderr."""
    probe = (
        "import json, resource, subprocess, sys, time, os\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(json.loads(sys.argv[1]), capture_output=True, cwd=sys.argv[2] or None)\n"
        "err = p.stderr.decode(errors='replace').strip().splitlines()\n"
        "print(json.dumps({'peak_rss_mb': round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),"
        " 'seconds': round(time.perf_counter() - t, 2), 'exit_code': p.returncode,"
        " 'stdout_head': p.stdout.decode(errors='replace')[:300], 'stderr_tail': err[-1][:300] if err else ''}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(command), str(cwd or "")], env=env, capture_output=True, text=True
    )
    return json.loads(result.stdout)


def write_sales(path: Path, megabytes: int) -> int:
    """A POS export of about ``megabytes`` MB: 300 SKUs over two years, quantities and prices in US format."""
    rows = 0
    target = megabytes * 1024 * 1024
    with path.open("w", encoding="utf-8") as out:
        out.write("fecha,sku,cantidad,precio\n")
        written = 0
        while written < target:
            block = []
            for i in range(rows, rows + 10_000):
                day = f"{2024 + (i // 365) % 2}-{1 + i % 12:02d}-{1 + i % 28:02d}"
                block.append(f"{day},SKU-{i % 300:03d},{1 + i % 5},{100 + i % 900}.50\n")
            text = "".join(block)
            out.write(text)
            written += len(text)
            rows += 10_000
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sales-mb", type=int, default=200)
    parser.add_argument("--skip-hostile", action="store_true")
    parser.add_argument("--skip-sales", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.security.hostile import CASES, build, png_16bit, tiff_many_frames

    work = Path(tempfile.mkdtemp(prefix="mm-memory-"))
    env = {**os.environ, "OMP_THREAD_LIMIT": "1", "MINIMARKET_VAR_DIR": str(work / "var"),
           "MINIMARKET_DATABASE_URL": f"sqlite:///{work / 'var' / 'm.db'}"}  # fmt: skip
    subprocess.run([SCRIPT, "db", "upgrade"], env=env, check=True, capture_output=True)
    result: dict[str, object] = {"machine": {"cpus": os.cpu_count(), "load_1min": os.getloadavg()[0]}}
    result["reference_cli_startup"] = isolated([SCRIPT, "--version"], env)

    if not args.skip_hostile:
        corpus = build(work / "hostile")
        hostile = {}
        for case in CASES:
            run = isolated(
                [SCRIPT, "extract", "--jsonl", "--no-progress", "--", case.name], env, corpus[case.name].parent
            )
            run.pop("stdout_head")
            hostile[case.name] = {"what": case.what, "bytes": corpus[case.name].stat().st_size, **run}
        result["hostile"] = {"cases": len(CASES), "corpus_bytes": sum(p.stat().st_size for p in corpus.values()),
                             "per_case": hostile}  # fmt: skip

    images = work / "images"
    images.mkdir()
    (images / "page16.png").write_bytes(png_16bit(7700))
    (images / "frames.tif").write_bytes(tiff_many_frames(30, (7000, 5000)))
    reference_16 = (
        "import numpy as np, sys\nfrom PIL import Image\nImage.MAX_IMAGE_PIXELS = None\n"
        "img = Image.open(sys.argv[1]); a = np.asarray(img, dtype=np.float64)\n"
        "b = (a * (255.0 / (float(a.max()) or 1.0))).clip(0, 255).astype(np.uint8)\n"
    )
    result["png_16bit_59mp"] = {
        "bytes": (images / "page16.png").stat().st_size,
        "ours_extract": isolated([SCRIPT, "extract", "--jsonl", "--no-progress", "page16.png"], env, images),
        "reference_float64_conversion_only": isolated([sys.executable, "-c", reference_16, "page16.png"], env, images),
    }
    result["tiff_30_frames_35mp"] = {
        "bytes": (images / "frames.tif").stat().st_size,
        "ours_extract": isolated([SCRIPT, "extract", "--jsonl", "--no-progress", "frames.tif"], env, images),
    }

    if not args.skip_sales:
        sales = work / "ventas.csv"
        rows = write_sales(sales, args.sales_mb)
        columns = ["--date-col", "fecha", "--sku-col", "sku", "--qty-col", "cantidad", "--price-col", "precio"]
        reference = (
            "import sys\nfrom minimarket.sales_csv import SalesColumns, read_sales_csv\n"
            "t = read_sales_csv(sys.argv[1], SalesColumns('fecha', 'sku', 'cantidad', 'precio'))\nprint(len(t))\n"
        )
        result["sales_csv"] = {
            "megabytes": round(sales.stat().st_size / 1024 / 1024, 1),
            "rows": rows,
            "ours_streamed_import": isolated([SCRIPT, "sales", "import", str(sales), *columns], env),
            "reference_whole_file_in_memory_parse_only": isolated([sys.executable, "-c", reference, str(sales)], env),
        }
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
