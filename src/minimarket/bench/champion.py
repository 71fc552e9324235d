"""An invoice-extractor champion trained for a benchmark into a throw-away tracking store, for the scripts that
measure the learned extractor on a machine whose own store has none (a fresh clone, CI)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class TrainingSizes:
    """Synthetic documents per kind for training, validation (OCR and model choice) and the gate's test."""

    train: int
    val: int
    test: int

    @classmethod
    def parse(cls, text: str) -> TrainingSizes:
        """``"16,6,6"`` → train 16, val 6, test 6 (each at least 1)."""
        try:
            train, val, test = (int(part) for part in text.split(","))
        except ValueError:
            raise ValueError(f"training sizes must be three whole numbers 'train,val,test', got {text!r}") from None
        if min(train, val, test) < 1:
            raise ValueError(f"training sizes must each be at least 1, got {text!r}")
        return cls(train, val, test)


def throwaway_env(work: Path) -> dict[str, str]:
    """The environment of a CLI whose MLflow store and state live under ``work`` (single-threaded Tesseract)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["OMP_THREAD_LIMIT"] = "1"
    env["MINIMARKET_MLFLOW_URI"] = f"sqlite:///{work / 'mlruns' / 'mlflow.db'}"
    env["MINIMARKET_VAR_DIR"] = str(work / "state")
    return env


def train_extractor_champion(
    env: dict[str, str],
    work: Path,
    *,
    sizes: TrainingSizes,
    kinds: str = "pdf",
    workers: int = 2,
    ocr_grid: str = "default",
    seed: int = 7,
    require_champion: bool = False,
) -> dict[str, Any]:
    """``minimarket train extractor`` into ``env``'s store (see :func:`throwaway_env`): the version registered,
    the promotion gate's decision, what was chosen and the seconds it took. Raises with the CLI's error when
    training fails, and when ``require_champion`` and the gate did not make the version champion (it will not
    decide on fewer than 10 test documents)."""
    command = [
        sys.executable, "-m", "minimarket.cli", "train", "extractor",
        "--n-train", str(sizes.train), "--n-val", str(sizes.val), "--n-test", str(sizes.test),
        "--kinds", kinds, "--workers", str(workers), "--ocr-grid", ocr_grid, "--seed", str(seed),
        "--data-dir", str(work / "corpus"), "--no-corrections",
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"training the benchmark's champion failed: {done.stderr[-2000:]}")
    figures = json.loads(done.stdout)
    mlflow = figures.get("mlflow") or {}
    if not mlflow.get("version"):
        raise RuntimeError(f"training registered no model version: {json.dumps(mlflow)[:500]}")
    if require_champion and not (mlflow.get("decision") or {}).get("promoted"):
        raise RuntimeError(f"the trained version was not made champion: {json.dumps(mlflow['decision'])[:500]}")
    return {
        "version": mlflow["version"],
        "decision": mlflow.get("decision"),
        "chosen": figures.get("chosen"),
        "kinds": kinds,
        "sizes": {"train": sizes.train, "val": sizes.val, "test": sizes.test},
        "ocr_grid": ocr_grid,
        "train_seconds": round(seconds, 1),
    }
