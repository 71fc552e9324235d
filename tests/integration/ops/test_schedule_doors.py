"""The two ways the schedule runs for real, as processes: the cron line of ``ops/cron/minimarket`` (a single
machine) and ``minimarket schedule serve`` with the scheduler image's healthcheck (the compose stack); and a run
whose process died, closed as failed by the next one."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from croniter import croniter

from minimarket.config import REPO_ROOT, get_settings
from minimarket.ops.schedule import Scheduler
from minimarket.store import schedule_runs as repo
from minimarket.store.db import session_scope

CRON_FILE = REPO_ROOT / "ops" / "cron" / "minimarket"
DOCKERFILE = REPO_ROOT / "ops" / "docker" / "Dockerfile"
CLONE = "/srv/minimarket"


def _one_pipeline(tmp_path: Path, file_name: str) -> Path:
    """A pipelines folder holding one of the repository's own pipeline files, unchanged."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    shutil.copy(REPO_ROOT / "pipelines" / file_name, folder / file_name)
    return folder


def _runs() -> list[dict]:
    with session_scope(all_shops=True) as session:
        return [repo.run_view(r) for r in repo.history(session)]


def _cron_entry() -> tuple[str, str, str]:
    """(schedule, user, command) of the file's only job line (cron.d format: five fields, the user, the command)."""
    jobs = [
        line
        for line in CRON_FILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#") and not re.match(r"^[A-Z_]+=", line)
    ]
    assert len(jobs) == 1, jobs
    fields = jobs[0].split(None, 6)
    return " ".join(fields[:5]), fields[5], fields[6]


def test_the_cron_line_runs_what_is_due_once(isolated_state: Path, tmp_path: Path) -> None:
    schedule, user, command = _cron_entry()
    assert croniter.is_valid(schedule) and user == "minimarket"
    assert command.startswith(f"cd {CLONE} && ") and "minimarket schedule due" in command
    variables = dict(line.split("=", 1) for line in CRON_FILE.read_text().splitlines() if re.match(r"^[A-Z_]+=", line))
    assert variables["SHELL"] == "/bin/sh"

    # the clone: a folder whose .venv is this checkout's (the package finds its data from its install)
    clone = tmp_path / "srv"
    clone.mkdir()
    (clone / ".venv").symlink_to(Path(sys.executable).parent.parent)
    env = {
        **os.environ,
        "PATH": variables["PATH"],
        "MINIMARKET_PIPELINES_DIR": str(_one_pipeline(tmp_path, "monthly_key_rotation.yaml")),
    }
    line = command.replace(CLONE, shlex.quote(str(clone)))
    first = subprocess.run([variables["SHELL"], "-c", line], env=env, capture_output=True, text=True, timeout=300)
    log = (clone / "var" / "schedule.log").read_text(encoding="utf-8")
    assert first.returncode == 0, log
    assert "monthly-key-rotation: succeeded" in log and "nueva clave" in log
    (run,) = _runs()
    assert run["pipeline"] == "monthly-key-rotation" and run["trigger"] == "schedule" and run["outcome"] == "succeeded"
    keys = json.loads((isolated_state / "secrets" / "jwt_keys.json").read_text())["keys"]
    assert [k["retired_at"] is None for k in keys] == [True, False]  # a new current key, the previous one retired

    # a quarter of an hour later: nothing is due until the 1st of next month
    second = subprocess.run([variables["SHELL"], "-c", line], env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0
    assert (clone / "var" / "schedule.log").read_text(encoding="utf-8").endswith("nada pendiente\n")
    assert len(_runs()) == 1


def _healthcheck(state: Path) -> list[str]:
    """The scheduler image's HEALTHCHECK command, pointed at ``state`` instead of /var/lib/minimarket."""
    stage = DOCKERFILE.read_text(encoding="utf-8").split("AS scheduler", 1)[1].split("\nFROM ", 1)[0]
    found = re.search(r"^HEALTHCHECK .*?\\\n\s*CMD (\[.*\])$", stage, re.MULTILINE)
    assert found, "the scheduler image has a HEALTHCHECK ... CMD [...]"
    argv = [a.replace("/var/lib/minimarket", str(state)) for a in json.loads(found.group(1))]
    assert argv[0] == "python"
    return [sys.executable, *argv[1:]]


def test_the_scheduler_service_runs_due_pipelines_and_stops_on_sigterm(isolated_state: Path, tmp_path: Path) -> None:
    env = {**os.environ, "MINIMARKET_PIPELINES_DIR": str(_one_pipeline(tmp_path, "monthly_key_rotation.yaml"))}
    health = _healthcheck(isolated_state)
    assert subprocess.run(health, capture_output=True).returncode != 0, "unhealthy before it starts"
    # the compose scheduler's command, with a one-second round
    command = re.search(r'^CMD (\["minimarket", "schedule", "serve".*\])$', DOCKERFILE.read_text(), re.MULTILINE)
    assert command
    argv = json.loads(command.group(1))
    argv[argv.index("--interval") + 1] = "1"
    service = subprocess.Popen(
        [sys.executable, "-m", "minimarket.cli", *argv[1:]],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 180
        while not [r for r in _runs() if r["outcome"] != repo.RUNNING]:
            assert service.poll() is None, service.communicate()[0]
            assert time.monotonic() < deadline, "the due pipeline did not run"
            time.sleep(0.5)
        time.sleep(2.5)  # two more rounds: nothing is due any more
        assert subprocess.run(health, capture_output=True).returncode == 0, "healthy while it runs"
        service.send_signal(signal.SIGTERM)
        out, _ = service.communicate(timeout=30)
    finally:
        if service.poll() is None:
            service.kill()
            service.communicate()
    assert service.returncode == 0, out
    assert "monthly-key-rotation: succeeded" in out
    (run,) = _runs()
    assert run["trigger"] == "schedule" and run["outcome"] == "succeeded"


def test_a_run_whose_process_died_is_closed_as_failed_by_the_next(tmp_path: Path) -> None:
    settings = get_settings()
    with session_scope(all_shops=True) as session:  # what a run killed mid-way (kill -9, a reboot) leaves behind
        dead = repo.start_run(session, "monthly-key-rotation", "schedule").id
        elsewhere = repo.start_run(session, "monthly-key-rotation", "schedule")
        elsewhere.host = "another-machine"  # a run on another machine sharing the database is not ours to close
        other = elsewhere.id
    result = Scheduler(settings).run("monthly-key-rotation", trigger="schedule")
    assert result.outcome == "succeeded", result.output
    runs = {r["id"]: r for r in _runs()}
    assert runs[dead]["outcome"] == "failed" and "interrumpida" in runs[dead]["summary"]
    assert runs[dead]["finished_at"] is not None
    assert runs[other]["outcome"] == "running"
    assert runs[result.run_id]["outcome"] == "succeeded"
