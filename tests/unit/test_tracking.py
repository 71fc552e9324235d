"""MLflow environment defaults of the command line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from minimarket.tracking import quiet_env


def test_quiet_env_sets_defaults_and_keeps_what_the_user_chose(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", raising=False)
    monkeypatch.setenv("MLFLOW_LOGGING_LEVEL", "DEBUG")
    quiet_env()
    assert os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] == "false"
    assert os.environ["MLFLOW_LOGGING_LEVEL"] == "DEBUG"


def test_the_command_line_quiets_mlflow_before_importing_it() -> None:
    code = (
        "import os, sys; os.environ.pop('MLFLOW_LOGGING_LEVEL', None); import minimarket.cli, mlflow, logging; "
        "print(logging.getLogger('mlflow').getEffectiveLevel())"
    )
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_LOGGING_LEVEL"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert int(out.strip()) == 30  # WARNING


# --- runs, registration and the promotion gate on a real MLflow store (tiny pyfunc models) -----------------

from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from minimarket import tracking  # noqa: E402
from minimarket.workspace import RunContext, notebook_context  # noqa: E402

MODEL = "toy-model"


@pytest.fixture(scope="module")
def mlflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty MLflow SQLite store built once (MLflow takes ~10 s to create the schema of a new file)."""
    from mlflow import MlflowClient

    db = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{db}").search_experiments()
    return db


@pytest.fixture(autouse=True)
def fresh_mlflow(isolated_state: Path, mlflow_template: Path) -> None:
    import shutil

    shutil.copy(mlflow_template, isolated_state / "mlflow.db")


def _context(tmp_path: Path, *, scratch: bool = False, promote: bool = True) -> RunContext:
    from minimarket.config import REPO_ROOT

    out = tmp_path / "scratch" if scratch else REPO_ROOT
    return RunContext("pipeline" if not scratch else "notebook", "02_inflation", REPO_ROOT, out,
                      stage=None if scratch else "train_inflation", may_promote=promote)  # fmt: skip


def _publish(
    tmp_path: Path, value: float, *, size: int = 20, scored: list[str] | None = None, **policy: Any
) -> tracking.Publication:
    import mlflow
    from mlflow.pyfunc import PythonModel

    class Constant(PythonModel):
        def __init__(self, value: float) -> None:
            self.value = value

        def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]  # no hints: no inference
            return model_input

    def score(uri: str) -> float:
        if scored is not None:
            scored.append(uri)
        return float(mlflow.pyfunc.load_model(uri).unwrap_python_model().value)

    evaluation = tracking.EvaluationSet("toy set", size=size, digest="abc123", score=score)
    with tracking.tracked_run("toy", "toy", context=_context(tmp_path), data_version="d1") as run:
        info = mlflow.pyfunc.log_model(name="model", python_model=Constant(value), pip_requirements=["mlflow"])
        return run.publish(
            info.model_uri,
            MODEL,
            policy=tracking.GatePolicy(metric="error", lower_is_better=True, **policy),
            evaluation=lambda: evaluation,
        )


def test_gate_scores_both_versions_on_one_set_and_a_tie_keeps_the_champion(tmp_path: Path) -> None:
    first = _publish(tmp_path, 0.5)
    assert first.decision is not None and first.decision.promoted and first.version == "1"
    scored: list[str] = []
    tie = _publish(tmp_path, 0.5, scored=scored)
    assert tie.decision is not None and not tie.decision.promoted and "tie keeps the champion" in tie.decision.reason
    assert scored == [f"models:/{MODEL}/2", f"models:/{MODEL}/1"]  # both scored at gate time, on the same set
    assert tracking.alias_version(MODEL, tracking.CHAMPION) == "1"
    worse = _publish(tmp_path, 0.7)
    assert worse.decision is not None and not worse.decision.promoted and "worse than" in worse.decision.reason
    better = _publish(tmp_path, 0.4)
    assert better.decision is not None and better.decision.promoted
    assert tracking.alias_version(MODEL, tracking.CHAMPION) == "4"
    tags = tracking.client().get_model_version(MODEL, "4").tags
    assert tags["gate_eval_digest"] == "abc123" and tags["gate_eval_size"] == "20"
    assert tags["gate_champion_value"] == "0.5" and tags["gate_challenger_value"] == "0.4"
    assert "became `champion`" in better.sentence() and "hash abc123" in better.sentence()


def test_gate_refuses_a_small_evaluation_set_and_a_failed_pre_gate_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from minimarket.config import get_settings

    monkeypatch.setenv("MINIMARKET_GATE_MIN_EVAL_SIZE", "5")
    get_settings.cache_clear()
    small = _publish(tmp_path, 0.5, size=4)
    assert small.decision is not None and not small.decision.promoted and "too small" in small.decision.reason
    assert tracking.alias_version(MODEL, tracking.CHAMPION) is None  # not even a first champion
    refused = _publish(tmp_path, 0.5, checks=(lambda uri: f"{uri} forecasts only zeros",))
    assert refused.decision is not None and not refused.decision.promoted
    assert "pre-gate check failed" in refused.decision.reason and tracking.alias_version(MODEL, "champion") is None
    passed = _publish(tmp_path, 0.5, checks=(lambda uri: None,))
    assert passed.decision is not None and passed.decision.promoted


def test_runs_record_commit_entry_point_and_data_version_under_unique_names(tmp_path: Path) -> None:
    context = _context(tmp_path)
    names = []
    for _ in range(2):
        with tracking.tracked_run("toy", "toy-2026-08-31", context=context, data_version="feedbeef") as run:
            names.append(run.name)
    assert len(set(names)) == 2 and all(n.startswith("toy-2026-08-31-") for n in names)
    tags = tracking.client().get_run(run.run_id).data.tags
    commit, _ = tracking.git_state(context.root)
    assert tags["git_commit"] == (commit or "unknown") and tags["git_dirty"] in ("true", "false", "unknown")
    if commit:
        assert len(commit) == 40 and tags["mlflow.source.git.commit"] == commit
    assert tags["dvc_stage"] == "train_inflation" and tags["notebook"] == "notebooks/02_inflation.ipynb"
    assert tags["mlflow.source.name"] == "notebooks/02_inflation.ipynb" and tags["data_version"] == "feedbeef"


def test_a_scratch_run_logs_to_a_scratch_experiment_and_registers_nothing(tmp_path: Path) -> None:
    import mlflow

    context = _context(tmp_path, scratch=True, promote=False)
    with tracking.tracked_run("toy", "toy", context=context, data_version="d") as run:
        published = run.publish(
            "runs:/x/model", MODEL, policy=tracking.GatePolicy("error"), evaluation=lambda: pytest.fail("no gate")
        )
    assert published.version is None and "promote=True" in published.note
    assert mlflow.get_experiment_by_name("scratch-toy") is not None
    assert tracking.list_models() == []


def test_fingerprint_follows_the_inputs(tmp_path: Path) -> None:
    import pandas as pd

    (tmp_path / "a.csv").write_text("x\n1\n")
    frame = pd.DataFrame({"x": [1, 2]})
    first = tracking.fingerprint(tmp_path, frame, "2019-01")
    assert first == tracking.fingerprint(tmp_path, frame.copy(), "2019-01")
    assert first != tracking.fingerprint(tmp_path, frame.assign(x=[1, 3]), "2019-01")
    (tmp_path / "a.csv").write_text("x\n2\n")
    assert first != tracking.fingerprint(tmp_path, frame, "2019-01")


def test_notebook_context_knows_when_dvc_runs_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inside = notebook_context("02_inflation", environ={"DVC_STAGE": "train_inflation"})
    assert inside.kind == "pipeline" and not inside.scratch and inside.may_promote
    assert (
        inside.experiment("inflation") == "inflation"
        and inside.path("reports/x.json") == inside.root / "reports/x.json"
    )
    by_hand = notebook_context("02_inflation", environ={})
    assert by_hand.scratch and not by_hand.may_promote and by_hand.experiment("inflation") == "scratch-inflation"
    assert by_hand.path("reports/x.json").is_relative_to(by_hand.output_root)
    assert "scratch" in str(by_hand.output_root) and by_hand.input_path("data/raw") == by_hand.root / "data/raw"
    other_stage = notebook_context("02_inflation", environ={"DVC_STAGE": "train_demand"}, promote=True)
    assert other_stage.scratch and other_stage.may_promote


def test_git_state_says_commit_and_whether_the_source_tree_is_dirty(tmp_path: Path) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    (tmp_path / "reports").mkdir()
    (tmp_path / "code.py").write_text("a = 1\n")
    (tmp_path / "reports" / "m.json").write_text("{}")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "-A"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "x"], cwd=tmp_path, check=True)
    commit, dirty = tracking.git_state(tmp_path)
    assert commit is not None and len(commit) == 40 and dirty is False
    (tmp_path / "reports" / "m.json").write_text('{"a": 1}')  # a pipeline output: still clean
    assert tracking.git_state(tmp_path) == (commit, False)
    (tmp_path / "code.py").write_text("a = 2\n")
    assert tracking.git_state(tmp_path) == (commit, True)
    assert tracking.git_state(tmp_path / "reports" / "nowhere") == (None, None)


def test_asking_for_an_alias_does_not_create_a_missing_store(isolated_state: Path) -> None:
    db = isolated_state / "mlflow.db"
    db.unlink()
    assert not tracking.store_exists()
    assert tracking.alias_version(MODEL, tracking.CHAMPION) is None
    assert not db.exists()  # a fresh server's forecaster no longer creates it (nor imports MLflow) to learn this
    assert tracking.store_exists("http://127.0.0.1:5000")  # a server is asked
