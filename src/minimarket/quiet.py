"""Environment defaults that keep MLflow and friends from phoning home and from chattering on an operator's
terminal. Set before any of them is imported; any of them can be overridden from the environment. (A module
of its own, so that the command line sets them without loading the settings.)"""

from __future__ import annotations

import os


def quiet_env() -> None:
    """Set the defaults (telemetry off, MLflow logging at WARNING, no progress bars, quiet GitPython)."""
    os.environ.setdefault("MLFLOW_ENABLE_TELEMETRY", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
