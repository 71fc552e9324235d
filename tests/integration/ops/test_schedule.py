"""The scheduler on a real store: runs recorded with start, end, outcome and output; due runs; time limits; locks;
the ``minimarket schedule`` and ``minimarket keys`` commands."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import nbformat
import pytest
from filelock import FileLock
from typer.testing import CliRunner

from minimarket.cli import app
from minimarket.config import get_settings
from minimarket.ops.pipelines import load_pipelines
from minimarket.ops.schedule import Scheduler
from minimarket.store.db import session_scope
from minimarket.store.schedule_runs import history

runner = CliRunner()


def _runs(name: str | None = None) -> list:
    with session_scope(all_shops=True) as session:
        return history(session, name)


def test_the_nightly_backup_and_the_key_rotation_run_and_are_recorded(isolated_state: Path) -> None:
    settings = get_settings()
    scheduler = Scheduler(settings)
    runner.invoke(app, ["token", "create", "--role", "client"])
    first_key = json.loads((isolated_state / "secrets" / "jwt_keys.json").read_text())["keys"][0]["kid"]

    backup = scheduler.run("nightly-backup")
    assert backup.outcome == "succeeded", backup.output
    assert "respaldo mm-" in backup.output and "respaldo(s) eliminados" in backup.output
    assert len(list((isolated_state / "backups").glob("mm-*"))) == 1

    rotation = scheduler.run("monthly-key-rotation", trigger="schedule")
    assert rotation.outcome == "succeeded", rotation.output
    keys = json.loads((isolated_state / "secrets" / "jwt_keys.json").read_text())["keys"]
    assert keys[1]["kid"] == first_key and keys[0]["kid"] != first_key

    recorded = _runs()
    assert [(r.pipeline, r.outcome, r.trigger) for r in recorded] == [
        ("monthly-key-rotation", "succeeded", "schedule"),
        ("nightly-backup", "succeeded", "manual"),
    ]
    run = recorded[1]
    assert run.started_at <= run.finished_at and run.exit_code == 0
    assert "$ minimarket backup create" in run.output and run.host

    # both ran after their latest scheduled time: neither is due; the other two are
    assert set(scheduler.due()) == {"monthly-cpi-update", "weekly-drift-check"}


def test_cpi_update_without_a_figure_is_skipped(isolated_state: Path) -> None:
    scheduler = Scheduler(get_settings())
    skipped = scheduler.run("monthly-cpi-update")
    assert skipped.outcome == "skipped" and "falta la cifra de 2026-09" in skipped.summary
    feed = isolated_state / "inbox" / "cpi.csv"
    feed.parent.mkdir(parents=True)
    feed.write_text("month,pct,source\n2026-08,1.7,INDEC\n", encoding="utf-8")
    again = scheduler.run("monthly-cpi-update")
    assert again.outcome == "skipped" and "en " + str(feed) in again.summary
    assert [r.outcome for r in _runs("monthly-cpi-update")] == ["skipped", "skipped"]


def test_an_implausible_cpi_figure_is_refused_by_the_notebook_and_the_run_alerts(isolated_state: Path) -> None:
    """The scheduled papermill run on the bundled series with a figure far outside the model's interval: the
    notebook's guard refuses it, nothing is recorded, the run is failed, and the gauge behind
    MinimarketScheduledRunFailed says so."""
    from minimarket.monitoring.metrics import REGISTRY
    from minimarket.monitoring.operations import refresh_schedule
    from minimarket.ops.cpi_feed import recorded_pct

    settings = get_settings()
    feed = isolated_state / "inbox" / "cpi.csv"
    feed.parent.mkdir(parents=True)
    feed.write_text("month,pct,source\n2026-09,45,INDEC\n", encoding="utf-8")
    refused = Scheduler(settings).run("monthly-cpi-update", trigger="schedule", params={"calibration_months": 6})
    assert refused.outcome == "failed", refused.output[-3000:]
    assert "45 % está fuera del rango plausible para 2026-09" in refused.summary
    assert refused.detail["inputs"] == {"month": "2026-09", "pct": 45.0, "source": "INDEC"}
    assert recorded_pct(settings, "2026-09") is None
    executed = isolated_state / "schedule" / "executed" / "monthly_inflation_update_2026-09.ipynb"
    assert executed.is_file(), "the executed notebook is kept for a person to read"
    refresh_schedule(settings)
    failed = REGISTRY.get_sample_value("minimarket_schedule_last_run_failed", {"pipeline": "monthly-cpi-update"})
    assert failed == 1.0


def _pipeline_dir(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "job.yaml").write_text(body, encoding="utf-8")
    return folder


def test_a_run_over_its_time_limit_is_killed_and_recorded_as_timeout(tmp_path: Path) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("import time\ntime.sleep(120)")]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "slow.ipynb"
    nbformat.write(notebook, path)
    folder = _pipeline_dir(
        tmp_path,
        "name: slow\ndescription: x\nschedule: '0 0 * * *'\ntimeout: 8s\n"
        f"steps:\n  - papermill: {{notebook: '{path}', output: '{tmp_path}/out.ipynb'}}\n",
    )
    settings = get_settings()
    started = dt.datetime.now(dt.UTC)
    result = Scheduler(settings, load_pipelines(folder)).run("slow")
    assert result.outcome == "timeout" and "superó 8s" in result.summary
    assert (dt.datetime.now(dt.UTC) - started).total_seconds() < 60
    assert _runs("slow")[0].outcome == "timeout"


def test_a_failing_step_stops_the_run_and_a_second_run_waits_for_the_lock(tmp_path: Path) -> None:
    folder = _pipeline_dir(
        tmp_path,
        "name: broken\ndescription: x\nschedule: '0 0 * * *'\n"
        "steps:\n  - minimarket: [backup, verify, no-such-backup]\n  - minimarket: [keys, rotate]\n",
    )
    settings = get_settings()
    scheduler = Scheduler(settings, load_pipelines(folder))
    failed = scheduler.run("broken")
    assert failed.outcome == "failed" and failed.exit_code == 1
    assert "paso 1" in failed.summary and "no existe el respaldo" in failed.output
    assert "keys rotate" not in failed.output  # the next step did not run

    with FileLock(str(settings.state_dir / "schedule" / "locks" / "broken.lock")):
        held = scheduler.run("broken")
    assert held.outcome == "skipped" and held.run_id is None and "ya se está ejecutando" in held.summary
    assert len(_runs("broken")) == 1


def test_schedule_commands(isolated_state: Path) -> None:
    listed = runner.invoke(app, ["schedule", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert set(rows) == {"monthly-cpi-update", "weekly-drift-check", "nightly-backup", "monthly-key-rotation"}
    assert rows["nightly-backup"]["schedule"] == "30 3 * * *" and rows["nightly-backup"]["due"]

    ran = runner.invoke(app, ["schedule", "run", "monthly-key-rotation"])
    assert ran.exit_code == 0 and "monthly-key-rotation: succeeded" in ran.stdout
    unknown = runner.invoke(app, ["schedule", "run", "nightly"])
    assert unknown.exit_code == 2 and "no existe el pipeline" in unknown.output
    bad = runner.invoke(app, ["schedule", "run", "monthly-cpi-update", "--param", "colour=red"])
    assert bad.exit_code == 2 and "desconocido" in bad.output

    pending = runner.invoke(app, ["schedule", "due", "--dry-run", "--json"])
    assert "monthly-key-rotation" not in json.loads(pending.stdout)
    table = runner.invoke(app, ["schedule", "list"])
    assert "monthly-key-rotation" in table.stdout and "succeeded" in table.stdout
    past = runner.invoke(app, ["schedule", "history", "--json", "--output"])
    entry = json.loads(past.stdout)[0]
    assert entry["pipeline"] == "monthly-key-rotation" and entry["outcome"] == "succeeded"
    assert entry["seconds"] > 0 and "nueva clave" in entry["output"]

    keys = json.loads(runner.invoke(app, ["keys", "list", "--json"]).stdout)
    assert [k["current"] for k in keys] == [True, False] and all(k["accepted"] for k in keys)
    rotated = runner.invoke(app, ["keys", "rotate", "--grace", "0s", "--json"])
    assert rotated.exit_code == 0
    keys = json.loads(runner.invoke(app, ["keys", "list", "--json"]).stdout)
    assert [k["accepted"] for k in keys] == [True, False]
    wrong = runner.invoke(app, ["keys", "rotate", "--grace", "mañana"])
    assert wrong.exit_code == 2 and "24h" in wrong.output


@pytest.mark.parametrize("name", ["monthly-cpi-update", "weekly-drift-check", "nightly-backup", "monthly-key-rotation"])
def test_every_pipeline_command_exists(name: str) -> None:
    """Each ``minimarket`` step of the repository's pipelines is a real command (its --help answers)."""
    for step in load_pipelines(get_settings().pipelines_path)[name].steps:
        if step.minimarket is not None:
            words = [w for w in step.minimarket if not w.startswith("-")][:2]
            result = runner.invoke(app, [*words, "--help"])
            assert result.exit_code == 0, (words, result.output)
