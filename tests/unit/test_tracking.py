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
