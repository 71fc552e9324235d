"""What a data scientist compares: the committed metrics and plot tables, `dvc plots show|diff` drawn offline
with marks in every declared plot, `dvc metrics diff` across commits, and a `dvc.lock` that matches them."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from minimarket.config import REPO_ROOT
from minimarket.pipeline_plots import count_marks, dvc_plot_specs, render_svgs

PLOT_TABLES = sorted((REPO_ROOT / "reports" / "plots").glob("*.csv"))
METRICS = sorted((REPO_ROOT / "reports" / "metrics").glob("*.json"))
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]


def _dvc(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    dvc = str(Path(sys.executable).with_name("dvc"))
    return subprocess.run([dvc, *args], cwd=project, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def reports_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git + DVC repo holding the project's pipeline definition, DVC config and committed reports."""
    if shutil.which("git") is None:
        pytest.skip("needs git")
    project = tmp_path_factory.mktemp("reports") / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    assert _dvc(project, "init", "-q").returncode == 0
    for name in ("dvc.yaml", "params.yaml", ".dvc/config", ".dvc/plots/temporal.json", "ops/dvc/plots.html"):
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, project / name)
    for path in [*PLOT_TABLES, *METRICS]:
        target = project / path.relative_to(REPO_ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    subprocess.run([*GIT, "add", "-A"], cwd=project, check=True)
    subprocess.run([*GIT, "commit", "-qm", "reports"], cwd=project, check=True)
    return project


@pytest.fixture(scope="module")
def specs(reports_repo: Path) -> dict[str, dict[str, object]]:
    """`dvc plots show --json` of the committed tables, once for the module."""
    return dvc_plot_specs(reports_repo)


def test_metrics_and_plot_tables_are_committed() -> None:
    tracked = subprocess.run(["git", "ls-files", "reports"], cwd=REPO_ROOT, capture_output=True, text=True).stdout
    declared = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text())
    wanted = {
        name
        for stage in declared["stages"].values()
        for entry in [*stage.get("metrics", []), *stage.get("outs", [])]
        for name in entry
        if name.startswith(("reports/metrics/", "reports/plots/"))
    }
    assert wanted and wanted <= set(tracked.split()), f"not committed: {wanted - set(tracked.split())}"


def test_every_declared_plot_draws_marks_offline(reports_repo: Path, specs: dict[str, Any], tmp_path: Path) -> None:
    declared = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text())["plots"]
    assert set(specs) == {next(iter(entry)) for entry in declared}
    for plot_id, spec in specs.items():
        assert count_marks(spec) > 0, f"{plot_id}: nothing drawn"
        assert "undefined" not in json.dumps(spec["data"]), f"{plot_id}: a column DVC cannot read"
    for svg in render_svgs(specs).values():
        assert svg.startswith("<svg") and "mark-" in svg
    page = _dvc(reports_repo, "plots", "show", "-o", str(tmp_path / "html"))
    html = (tmp_path / "html" / "index.html").read_text()
    assert page.returncode == 0 and "window.vegaEmbed" in html and "vegaEmbed('#" in html
    assert "cdn.jsdelivr" not in html and '<script src="http' not in html  # no network needed


def test_the_inflation_tables_have_complete_rows_on_a_time_axis(specs: dict[str, Any]) -> None:
    for plot_id, spec in specs.items():
        if "Inflation" in plot_id:
            assert spec["encoding"]["x"]["type"] == "temporal"
            rows = spec["data"]["values"]
            assert rows and all(row.get("dvc_inferred_y_value") not in ("", None) for row in rows), plot_id


def test_metrics_and_plots_compare_across_commits(reports_repo: Path) -> None:
    metrics = reports_repo / "reports" / "metrics" / "inflation.json"
    original = metrics.read_text()
    table = reports_repo / "reports" / "plots" / "demand_by_category.csv"
    before = table.read_text()
    try:
        figures = json.loads(original)
        model = next(iter(figures["models"]))
        figures["models"][model]["1"]["mae_pp"] += 0.5
        metrics.write_text(json.dumps(figures))
        lines = before.splitlines()
        table.write_text("\n".join([lines[0], *lines[1:][::-1]]) + "\n")
        diff = _dvc(reports_repo, "metrics", "diff", "HEAD", "--json")
        assert diff.returncode == 0, diff.stderr
        changed = json.loads(diff.stdout)["reports/metrics/inflation.json"]
        assert changed[f"models.{model}.1.mae_pp"]["diff"] == pytest.approx(0.5)
        specs = dvc_plot_specs(reports_repo, "HEAD")
        revisions = {row["rev"] for spec in specs.values() for row in spec["data"]["values"]}
        assert {"HEAD", "workspace"} <= revisions and all(count_marks(s) > 0 for s in specs.values())
    finally:
        metrics.write_text(original)
        table.write_text(before)


def test_dvc_lock_matches_the_pipeline_and_the_committed_reports() -> None:
    """The committed lock was written by a `dvc repro` of this pipeline: same commands and params, and the
    metrics and plot tables committed beside it are the ones it recorded."""
    from dvc.repo import Repo

    lock = yaml.safe_load((REPO_ROOT / "dvc.lock").read_text())["stages"]
    params = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    with Repo(str(REPO_ROOT)) as repo:
        stages = {stage.name: stage for stage in repo.index.stages}
    assert set(lock) == set(stages), "dvc.lock lists other stages than dvc.yaml: run `make repro`"
    for name, stage in stages.items():
        assert lock[name]["cmd"] == stage.cmd, f"{name}: command changed since the last `make repro`"
        for key, value in lock[name].get("params", {}).get("params.yaml", {}).items():
            current = params
            for part in key.split("."):
                current = current[part]
            assert current == value, f"{name}: param {key} changed since the last `make repro`"
        for out in [*lock[name].get("outs", [])]:
            path = REPO_ROOT / out["path"]
            if out["path"].startswith(("reports/metrics/", "reports/plots/")):
                digest = hashlib.md5(path.read_bytes()).hexdigest()
                assert digest == out["md5"], f"{out['path']} differs from what `make repro` recorded in dvc.lock"


def test_the_offline_template_is_the_one_the_package_writes() -> None:
    from minimarket.pipeline_plots import TEMPLATE_PATH, html_template

    assert (REPO_ROOT / TEMPLATE_PATH).read_text(encoding="utf-8") == html_template()
