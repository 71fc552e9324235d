"""Running the scheduled pipelines: one run at a time per pipeline, each recorded in the store.

Every step runs as a child process (``python -m minimarket.cli ...`` or ``python -m papermill ...``) in its own
session, so a time limit stops it with everything it started (a notebook's kernel included), and a crash in a
step never takes the scheduler down. A run's start, end, outcome, exit code and output's tail go to the
``schedule_runs`` table; the service turns them into the ``minimarket_schedule_*`` gauges.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from minimarket.config import Settings
from minimarket.ops.pipelines import Pipeline, PipelineError, Step, Timing, load_pipelines, render, timing
from minimarket.store import schedule_runs as repo

log = logging.getLogger(__name__)

_STATUS_OUTCOME = {"recorded": repo.SUCCEEDED, "skipped": repo.SKIPPED, "refused": repo.FAILED}


@dataclass
class RunResult:
    """How one run ended (``run_id`` is None when it was not started: another run held the lock)."""

    pipeline: str
    outcome: str
    summary: str
    run_id: int | None = None
    exit_code: int | None = None
    output: str = ""
    seconds: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome in (repo.SUCCEEDED, repo.SKIPPED)

    def as_dict(self, *, output: bool = False) -> dict[str, Any]:
        out = {
            "pipeline": self.pipeline,
            "run_id": self.run_id,
            "outcome": self.outcome,
            "summary": self.summary,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 3),
            "detail": self.detail,
        }
        if output:
            out["output"] = self.output
        return out


class StepFailed(Exception):
    def __init__(self, outcome: str, summary: str, exit_code: int | None) -> None:
        super().__init__(summary)
        self.outcome = outcome
        self.summary = summary
        self.exit_code = exit_code


def child_env(settings: Settings) -> dict[str, str]:
    """The environment of a step: ours, with the state, database and MLflow store of ``settings``."""
    env = dict(os.environ)
    env.update(
        {
            "MINIMARKET_VAR_DIR": str(settings.state_dir),
            "MINIMARKET_DATABASE_URL": settings.sqlalchemy_url,
            "MINIMARKET_MLFLOW_URI": settings.tracking_uri,
            "PYTHONUNBUFFERED": "1",
            "OMP_THREAD_LIMIT": env.get("OMP_THREAD_LIMIT", "1"),
        }
    )
    return env


def _run_child(args: list[str], env: dict[str, str], cwd: Path, timeout: float) -> tuple[int | None, str]:
    """Run ``args`` in a session of its own; on timeout the whole session is killed (exit code None)."""
    with subprocess.Popen(
        args,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    ) as process:
        try:
            out, _ = process.communicate(timeout=max(timeout, 1.0))
            return process.returncode, out.decode("utf-8", errors="replace")
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            out, _ = process.communicate()
            return None, out.decode("utf-8", errors="replace")


_SENTENCE = re.compile(r"^\*\*(recorded|skipped|refused)\*\*:?\s*(.*)$", re.DOTALL)


def notebook_status(path: Path) -> dict[str, Any] | None:
    """The outcome an executed notebook reported last: a Markdown sentence starting ``**recorded**``,
    ``**skipped**`` or ``**refused**`` (:func:`minimarket.reports.update_sentence`), or a printed JSON object with a
    ``status`` (stdout may come in several chunks, and other lines may surround it)."""
    import nbformat

    decoder = json.JSONDecoder()
    found = None
    for cell in nbformat.read(path, as_version=4).cells:
        stdout = ""
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream" and output.get("name") == "stdout":
                stdout += output.get("text", "")
            elif kind in ("display_data", "execute_result"):
                sentence = _SENTENCE.match(str(output.get("data", {}).get("text/markdown", "")).strip())
                if sentence:
                    found = {"status": sentence.group(1), "reason": sentence.group(2).replace("**", "")}
        position = 0
        while (start := stdout.find("{", position)) != -1:
            try:
                value, end = decoder.raw_decode(stdout, start)
            except ValueError:
                position = start + 1
                continue
            if isinstance(value, dict) and "status" in value:
                found = value
            position = end
    return found


class Scheduler:
    """Runs the pipelines of ``settings.pipelines_path`` and records each run."""

    def __init__(self, settings: Settings, pipelines: dict[str, Pipeline] | None = None) -> None:
        self.settings = settings
        self.pipelines = pipelines if pipelines is not None else load_pipelines(settings.pipelines_path)
        self.locks = settings.state_dir / "schedule" / "locks"

    # --- where each pipeline stands ----------------------------------------------------------------

    def timings(self, now: dt.datetime | None = None) -> dict[str, Timing]:
        from minimarket.store.db import session_scope

        moment = now or dt.datetime.now(dt.UTC)
        with session_scope(url=self.settings.sqlalchemy_url, all_shops=True) as session:
            started = repo.last_started(session)
        zone = self.settings.schedule_timezone
        return {name: timing(p, started.get(name), moment, zone) for name, p in self.pipelines.items()}

    def due(self, now: dt.datetime | None = None) -> list[str]:
        return [name for name, t in self.timings(now).items() if t.due]

    # --- running ------------------------------------------------------------------------------------

    def run(
        self,
        name: str,
        *,
        trigger: str = "manual",
        params: dict[str, Any] | None = None,
        now: dt.datetime | None = None,
    ) -> RunResult:
        """Run pipeline ``name`` now (unless another run of it holds its lock) and record the run."""
        if name not in self.pipelines:
            known = ", ".join(sorted(self.pipelines))
            raise PipelineError(f"no existe el pipeline {name!r} (hay: {known})")
        pipeline = self.pipelines[name]
        values = pipeline.resolved_params(params)
        self.locks.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.locks / f"{name}.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return RunResult(name, repo.SKIPPED, f"{name} ya se está ejecutando en este equipo; no se inicia otra")
        try:
            return self._run_locked(pipeline, trigger, values, now or dt.datetime.now(dt.UTC))
        finally:
            lock.release()

    def _run_locked(self, pipeline: Pipeline, trigger: str, values: dict[str, Any], now: dt.datetime) -> RunResult:
        from minimarket.store.db import session_scope

        url = self.settings.sqlalchemy_url
        with session_scope(url=url, all_shops=True) as session:
            for stale in repo.close_interrupted(session, pipeline.name):
                log.warning("run #%s of %s was interrupted; recorded as failed", stale, pipeline.name)
            run_id = repo.start_run(session, pipeline.name, trigger, {"params": values}).id
        started = time.monotonic()
        outputs: list[str] = []
        exit_code: int | None = None
        detail: dict[str, Any] = {}
        try:
            outcome, summary, exit_code, detail = self._execute(pipeline, values, now, outputs, started)
        except StepFailed as exc:
            outcome, summary, exit_code = exc.outcome, exc.summary, exc.exit_code
        except Exception as exc:  # recorded, never lost: the run ends as failed with the reason
            log.exception("pipeline %s failed", pipeline.name)
            outcome, summary = repo.FAILED, f"{type(exc).__name__}: {exc}"
        except KeyboardInterrupt:
            outcome, summary = repo.FAILED, "interrumpido (Ctrl-C o señal de parada)"
            self._finish(run_id, outcome, summary, outputs, exit_code, detail)
            raise
        self._finish(run_id, outcome, summary, outputs, exit_code, detail)
        return RunResult(
            pipeline.name,
            outcome,
            summary,
            run_id=run_id,
            exit_code=exit_code,
            output="".join(outputs),
            seconds=time.monotonic() - started,
            detail={"params": values, **detail},
        )

    def _finish(
        self, run_id: int, outcome: str, summary: str, outputs: list[str], code: int | None, detail: dict[str, Any]
    ) -> None:
        from minimarket.store.db import session_scope

        with session_scope(url=self.settings.sqlalchemy_url, all_shops=True) as session:
            repo.finish_run(
                session,
                run_id,
                outcome=outcome,
                summary=summary,
                output="".join(outputs),
                exit_code=code,
                detail=detail,
            )

    def _execute(
        self, pipeline: Pipeline, values: dict[str, Any], now: dt.datetime, outputs: list[str], started: float
    ) -> tuple[str, str, int | None, dict[str, Any]]:
        detail: dict[str, Any] = {}
        if pipeline.inputs == "cpi-feed":
            from minimarket.ops.cpi_feed import resolve

            answer = resolve(self.settings, now)
            if answer.skip is not None:
                outputs.append(answer.skip + "\n")
                return repo.SKIPPED, answer.skip, None, {"inputs": {}}
            values = {**values, **answer.values}
            detail["inputs"] = answer.values
        exit_code: int | None = None
        statuses: list[dict[str, Any]] = []
        for number, step in enumerate(pipeline.steps, start=1):
            remaining = pipeline.timeout_delta.total_seconds() - (time.monotonic() - started)
            if remaining <= 0:
                raise StepFailed(repo.TIMEOUT, f"se agotó el tiempo ({pipeline.timeout}) antes del paso {number}", None)
            outputs.append(f"$ {step.label}\n")
            exit_code, status = self._step(step, values, remaining, outputs)
            if exit_code is None:
                raise StepFailed(repo.TIMEOUT, f"paso {number} ({step.label}): superó {pipeline.timeout}", None)
            if exit_code not in step.ok_exit_codes:
                raise StepFailed(repo.FAILED, f"paso {number} ({step.label}) terminó con código {exit_code}", exit_code)
            if status is not None:
                statuses.append(status)
                outcome = _STATUS_OUTCOME.get(str(status.get("status")), repo.FAILED)
                if outcome != repo.SUCCEEDED:
                    reason = status.get("reason") or status.get("status")
                    detail["status"] = status
                    return outcome, f"paso {number} ({step.label}): {reason}", exit_code, detail
        if statuses:
            detail["status"] = statuses[-1]
        if pipeline.inputs == "cpi-feed":
            from minimarket.ops.cpi_feed import recorded_pct

            pct = recorded_pct(self.settings, str(values["month"]))
            if pct is None or abs(pct - float(values["pct"])) > 1e-9:
                raise StepFailed(repo.FAILED, f"el IPC de {values['month']} no quedó registrado en la base", exit_code)
            reason = statuses[-1].get("reason") if statuses else None
            return repo.SUCCEEDED, f"IPC de {values['month']} registrado: {reason or values['pct']}", exit_code, detail
        done = f"{len(pipeline.steps)} paso(s) completos"
        return repo.SUCCEEDED, done, exit_code, detail

    def _step(
        self, step: Step, values: dict[str, Any], timeout: float, outputs: list[str]
    ) -> tuple[int | None, dict[str, Any] | None]:
        env = child_env(self.settings)
        root = self.settings.root
        if step.minimarket is not None:
            args = [sys.executable, "-m", "minimarket.cli", *[str(a) for a in render(step.minimarket, values)]]
            code, text = _run_child(args, env, root, timeout)
            outputs.append(text)
            return code, None
        assert step.papermill is not None
        book = step.papermill
        output = root / str(render(book.output, {**values, "var": self.settings.state_dir}))
        output.parent.mkdir(parents=True, exist_ok=True)
        parameters = render(book.parameters, values)
        args = [
            sys.executable,
            "-m",
            "papermill",
            str(root / book.notebook),
            str(output),
            "--kernel",
            "python3",
            "--cwd",
            str(root),
            "--log-output",
            "--no-progress-bar",
            "--parameters_yaml",
            json.dumps(parameters),
        ]
        code, text = _run_child(args, env, root, timeout)
        outputs.append(text)
        if code != 0 or not book.outcome_from_status:
            return code, None
        status = notebook_status(output) if output.is_file() else None
        if status is None:
            raise StepFailed(repo.FAILED, f"{book.notebook} no imprimió su resultado (status)", code)
        return code, status

    def run_due(self, now: dt.datetime | None = None) -> list[RunResult]:
        """Run every due pipeline, one after another (the order of their names)."""
        return [self.run(name, trigger="schedule", now=now) for name in self.due(now)]

    def serve(self, interval: float, stop: Callable[[], bool] = lambda: False) -> None:
        """Run what is due every ``interval`` seconds until ``stop()``.

        A heartbeat file (``var/schedule/heartbeat``, what the container's healthcheck reads) is touched every
        ``interval`` seconds by a thread of its own, so a long run (each is bounded by its timeout) does not
        make the scheduler look dead."""
        heartbeat = self.settings.state_dir / "schedule" / "heartbeat"
        heartbeat.parent.mkdir(parents=True, exist_ok=True)
        heartbeat.touch()
        done = threading.Event()

        def beat() -> None:
            while not done.wait(interval):
                heartbeat.touch()

        beating = threading.Thread(target=beat, name="scheduler-heartbeat", daemon=True)
        beating.start()
        try:
            while not stop():
                try:
                    for result in self.run_due():
                        log.info("%s: %s (%s)", result.pipeline, result.outcome, result.summary)
                except Exception:
                    log.exception("the scheduler's round failed; trying again in %s s", interval)
                deadline = time.monotonic() + interval
                while time.monotonic() < deadline and not stop():
                    time.sleep(min(1.0, interval))
        finally:
            done.set()
