"""The declarative pipeline files: validation, schedule arithmetic (due / overdue), parameters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from minimarket.config import REPO_ROOT
from minimarket.ops.pipelines import PipelineError, load_pipeline, load_pipelines, parse_param, render, timing

ZONE = "America/Argentina/Buenos_Aires"
UTC = dt.UTC


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_repository_pipelines_are_the_four_scheduled_runs() -> None:
    pipelines = load_pipelines(REPO_ROOT / "pipelines")
    assert set(pipelines) == {"monthly-cpi-update", "weekly-drift-check", "nightly-backup", "monthly-key-rotation"}
    cpi = pipelines["monthly-cpi-update"]
    assert cpi.inputs == "cpi-feed"
    step = cpi.steps[0].papermill
    assert step is not None and step.notebook == "notebooks/monthly_inflation_update.ipynb"
    assert (REPO_ROOT / step.notebook).is_file() and step.outcome_from_status
    # after the 15th: the first scheduled time of a month is on the 16th
    first = cpi.next_fire(dt.datetime(2026, 11, 30, 12, tzinfo=UTC), ZONE)
    assert (first.month, first.day) == (12, 16)
    assert pipelines["weekly-drift-check"].steps[0].ok_exit_codes == [0, 3]
    assert pipelines["nightly-backup"].steps[0].minimarket == ["backup", "create"]
    assert pipelines["monthly-key-rotation"].steps[0].minimarket == ["keys", "rotate"]


def test_due_and_overdue_follow_the_cron_line_in_its_zone(tmp_path: Path) -> None:
    pipeline = load_pipeline(
        _write(
            tmp_path,
            "backup",
            "name: nightly\ndescription: x\nschedule: '30 3 * * *'\nmax_delay: 2h\n"
            "steps:\n  - minimarket: [backup, create]\n",
        )
    )
    # 03:30 in Buenos Aires is 06:30 UTC
    before = dt.datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
    ran = dt.datetime(2026, 12, 4, 6, 31, tzinfo=UTC)
    t = timing(pipeline, ran, before, ZONE)
    assert not t.due and not t.overdue
    assert t.next_fire.astimezone(UTC) == dt.datetime(2026, 12, 5, 6, 30, tzinfo=UTC)
    after = dt.datetime(2026, 12, 5, 7, 0, tzinfo=UTC)
    t = timing(pipeline, ran, after, ZONE)
    assert t.due and not t.overdue
    late = dt.datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    assert timing(pipeline, ran, late, ZONE).overdue
    assert not timing(pipeline, dt.datetime(2026, 12, 5, 6, 40, tzinfo=UTC), late, ZONE).due
    never = timing(pipeline, None, after, ZONE)
    assert never.due and never.last_started is None
    # exactly at the scheduled time the run is due
    assert timing(pipeline, ran, dt.datetime(2026, 12, 5, 6, 30, tzinfo=UTC), ZONE).due


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("name: Bad Name\ndescription: x\nschedule: '* * * * *'\nsteps: [{minimarket: [x]}]\n", "name"),
        ("name: ok\ndescription: x\nschedule: 'every day'\nsteps: [{minimarket: [x]}]\n", "cron"),
        (
            "name: ok\ndescription: x\nschedule: '0 0 * * *'\ntimezone: Mars/Olympus\nsteps: [{minimarket: [x]}]\n",
            "zone",
        ),
        ("name: ok\ndescription: x\nschedule: '0 0 * * *'\ntimeout: soon\nsteps: [{minimarket: [x]}]\n", "duración"),
        ("name: ok\ndescription: x\nschedule: '0 0 * * *'\nsteps: []\n", "steps"),
        ("name: ok\ndescription: x\nschedule: '0 0 * * *'\nsteps: [{}]\n", "either"),
        ("name: ok\ndescription: x\nschedule: '0 0 * * *'\nsteps: [{minimarket: [x]}]\ncolour: red\n", "colour"),
        ("- just\n- a list\n", "mapa"),
    ],
)
def test_a_bad_file_names_itself_and_the_problem(tmp_path: Path, text: str, complaint: str) -> None:
    path = _write(tmp_path, "bad", text)
    with pytest.raises(PipelineError) as info:
        load_pipeline(path)
    assert str(path) in str(info.value) and complaint in str(info.value)


def test_two_files_with_one_name_are_refused(tmp_path: Path) -> None:
    body = "name: same\ndescription: x\nschedule: '0 0 * * *'\nsteps: [{minimarket: [x]}]\n"
    _write(tmp_path, "a", body)
    _write(tmp_path, "b", body)
    with pytest.raises(PipelineError, match="ya está"):
        load_pipelines(tmp_path)
    with pytest.raises(PipelineError, match="no existe"):
        load_pipelines(tmp_path / "missing")


def test_parameters_render_with_their_types_and_only_declared_ones_change(tmp_path: Path) -> None:
    pipeline = load_pipeline(
        _write(
            tmp_path,
            "p",
            "name: p\ndescription: x\nschedule: '0 0 * * *'\nparams: {months: 24, start: '2019-01'}\n"
            "steps: [{minimarket: [x]}]\n",
        )
    )
    values = pipeline.resolved_params(dict([parse_param("months=12")]))
    assert values == {"months": 12, "start": "2019-01"}
    assert render({"n": "{months}", "text": "from {start}", "list": ["{start}"]}, values) == {
        "n": 12,
        "text": "from 2019-01",
        "list": ["2019-01"],
    }
    with pytest.raises(PipelineError, match="desconocido"):
        pipeline.resolved_params({"colour": "red"})
    with pytest.raises(PipelineError, match="clave=valor"):
        parse_param("months")
    with pytest.raises(PipelineError, match="missing"):
        render("{missing}", values)
