"""The README's data-scientist commands work without activating the venv: every stage calls the
project's tools through `.venv/bin/`, and `.venv/bin/dvc exp run` succeeds with a clean PATH."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from minimarket.config import REPO_ROOT

PROJECT_TOOLS = ("minimarket", "papermill", "jupyter", "python", "dvc")


def test_every_stage_calls_the_venv_tools() -> None:
    stages = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text())["stages"]
    for name, stage in stages.items():
        for command in re.split(r"&&|;|\|", stage["cmd"]):
            words = command.split()
            if words and words[0] in PROJECT_TOOLS:
                pytest.fail(f"stage {name!r} runs {words[0]!r} from PATH; use .venv/bin/{words[0]}")


@pytest.mark.slow
def test_dvc_exp_run_through_the_venv_with_a_clean_path(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of the project")
    venv = Path(sys.executable).parent.parent
    if not (venv / "bin" / "dvc").is_file():
        pytest.skip("needs the project's venv (make setup)")
    files = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    project = tmp_path / "project"
    for name in files.splitlines():
        if name.startswith(("dvc.", "params.yaml", ".dvc", "src/minimarket/synth/", "data/raw/catalog/")) or name in (
            "pyproject.toml",
            ".gitignore",
        ):
            target = project / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / name, target)
    (project / ".venv").symlink_to(venv)
    (project / "dvc.lock").unlink(missing_ok=True)
    for command in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]):
        subprocess.run(["git", *command], cwd=project, check=True)
    clean = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DVC_NO_ANALYTICS": "1", "MINIMARKET_ROOT": str(project)}
    run = subprocess.run(
        [".venv/bin/dvc", "exp", "run", "synth_sales", "-S", "synth_sales.days=40"],
        cwd=project,
        env=clean,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "command not found" not in run.stderr
    lines = (project / "data" / "generated" / "sales.csv").read_text().splitlines()
    assert lines[0].startswith("date,sku,quantity") and len(lines) > 40
