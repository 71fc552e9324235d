"""The DVC pipeline end to end on a copy of the project with small params: every stage runs its notebook,
MLflow ends with three champions whose runs say where they come from, the drift stage checks all three
sources in its own seeded store, a second `dvc repro` does nothing, changing a param reruns only the stages
that use it, every declared plot draws marks offline, and an experiment compares in `dvc exp show`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from minimarket.config import REPO_ROOT, get_settings

SMALL_PARAMS = {
    "workers": 1,
    "synth_invoices": {"n_train": 2, "n_val": 1, "n_test": 1, "kinds": "pdf", "seed": 7},
    "synth_sales": {"days": 90, "seed": 7},
    "train_extractor": {"ocr_grid": "default", "models": "cell,matcher,header", "seed": 7},
    "train_inflation": {"backtest_start": "2026-01", "eval_start": "2026-04", "models": "naive_last_month,combination"},
    "train_demand": {
        "horizon": 7,
        "folds": 1,
        "inner_folds": 1,
        "models": "global_gbm,seasonal_naive",
        "compare": "seasonal_naive",
    },
    "drift": {"dataset": "all", "threshold": 0.5, "store": "pipeline", "invoices": 720},
}


def _dvc(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("dvc")), *args], cwd=project, capture_output=True, text=True, timeout=1200
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of the project")
    files = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    project = tmp_path / "project"
    for name in files.splitlines():
        source = REPO_ROOT / name
        if source.is_file():
            target = project / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    (project / "params.yaml").write_text(yaml.safe_dump(SMALL_PARAMS))
    (project / ".venv").symlink_to(Path(sys.executable).parent.parent)  # stages call .venv/bin/...
    (project / "dvc.lock").unlink(missing_ok=True)
    for command in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]):
        subprocess.run(["git", *command], cwd=project, check=True)
    monkeypatch.setenv("MINIMARKET_ROOT", str(project))
    monkeypatch.setenv("MINIMARKET_VAR_DIR", str(project / "var"))
    monkeypatch.setenv("MINIMARKET_DATABASE_URL", f"sqlite:///{project / 'var' / 'minimarket.db'}")
    monkeypatch.setenv("MINIMARKET_MLFLOW_URI", f"sqlite:///{project / 'mlruns' / 'mlflow.db'}")
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    monkeypatch.setenv("MINIMARKET_GATE_MIN_EVAL_SIZE", "1")  # one test document per kind here
    get_settings.cache_clear()
    return project


@pytest.mark.slow
@pytest.mark.timeout(1800)  # the whole pipeline twice and an experiment: ~10 min on 2 idle cores, more when shared
def test_repro_builds_every_model_then_is_a_noop(project: Path) -> None:
    first = _dvc(project, "repro")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]

    from minimarket import tracking

    models = tracking.list_models()
    champions = {model["name"]: str(model["aliases"].get("champion")) for model in models}
    assert champions == {"invoice-extractor": "1", "inflation-forecaster": "1", "demand-forecaster": "1"}
    for model in models:  # every run says which stage and commit made it, on which data, under a unique name
        tags = tracking.client().get_run(model["versions"][0]["run_id"]).data.tags
        if model["name"] != "demand-forecaster":  # 03_demand adopts notebook_context in the demand piece
            assert tags["dvc_stage"].startswith("train_") and tags["notebook"].startswith("notebooks/0")
        assert len(tags["git_commit"]) == 40 and tags["git_dirty"] in ("true", "false")
        assert len(tags["data_version"]) == 16 and model["versions"][0]["tags"]["gate_eval_digest"]
    drift = json.loads((project / "reports" / "metrics" / "drift.json").read_text())
    assert {"invoices", "sales", "cpi"} <= set(drift), drift  # the seeded store: every source is checked
    for dataset in ("invoices", "sales", "cpi"):
        assert list((project / "reports" / "drift").glob(f"{dataset}-*.html"))
    for stage in ("01_invoice_extractor", "02_inflation", "03_demand", "04_drift", "05_evaluate"):
        assert (project / "reports" / "executed" / f"{stage}.ipynb").is_file()
    evaluate = json.loads((project / "reports" / "metrics" / "evaluate.json").read_text())
    assert evaluate["invoice-extractor"]["by_kind"]["pdf"]["documents"] == 1
    assert (project / "reports" / "plots" / "inflation_forecast.csv").is_file()

    second = _dvc(project, "repro")
    assert second.returncode == 0 and "Data and pipelines are up to date" in second.stdout

    params = yaml.safe_load((project / "params.yaml").read_text())
    params["train_demand"]["horizon"] = 14
    (project / "params.yaml").write_text(yaml.safe_dump(params))
    status = _dvc(project, "status", "--json")
    assert status.returncode == 0 and set(json.loads(status.stdout)) == {"train_demand"}

    plots = _dvc(project, "plots", "show", "-o", str(project / "plots-html"))
    page = (project / "plots-html" / "index.html").read_text()
    assert plots.returncode == 0 and "window.vegaEmbed" in page and "cdn.jsdelivr" not in page
    from minimarket.pipeline_plots import count_marks, dvc_plot_specs

    specs = dvc_plot_specs(project)
    assert len(specs) == 4 and all(count_marks(spec) > 0 for spec in specs.values()), specs.keys()
    metrics = _dvc(project, "metrics", "show", "--json")
    assert metrics.returncode == 0 and "global_gbm" in metrics.stdout and "mae_pp" in metrics.stdout

    experiment = _dvc(project, "exp", "run", "-S", "train_demand.horizon=14")
    assert experiment.returncode == 0, experiment.stdout[-3000:] + experiment.stderr[-3000:]
    assert (
        "Running stage 'train_demand'" in experiment.stdout
        and "Running stage 'train_inflation'" not in experiment.stdout
    )
    assert json.loads((project / "reports" / "metrics" / "demand.json").read_text())["horizon"] == 14
    shown = _dvc(project, "exp", "show", "--json")
    assert shown.returncode == 0, shown.stderr
    experiments = [exp for baseline in json.loads(shown.stdout) for exp in baseline.get("experiments") or []]
    metrics_of = [run["data"]["metrics"] for exp in experiments for run in exp["revs"] if run.get("data")]
    assert any("reports/metrics/demand.json" in m and m["reports/metrics/demand.json"]["data"] for m in metrics_of)
    compared = _dvc(project, "metrics", "diff", "HEAD", "--json")
    assert compared.returncode == 0 and "demand.json" in compared.stdout
