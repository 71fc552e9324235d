"""Where a run writes and what it may change: the pipeline's files and champions, or a scratch copy.

A DVC stage runs its notebook with ``DVC_STAGE`` set to the stage's name; that run owns the pipeline's
outputs (``data/generated``, ``reports/``) and the real MLflow experiments, and its promotion gate may
move ``champion``. The same notebook opened by hand (JupyterLab, ``papermill``, nbmake) runs *outside*
DVC: its files go to ``var/scratch/<notebook>/`` (the same relative layout), its MLflow runs to the
experiment ``scratch-<name>``, and it registers nothing, so ``champion`` stays where it is, unless the
caller asks with ``promote=True`` (the gate still decides). The door (notebook, CLI) builds the
:class:`RunContext` and passes it down.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from minimarket.config import Settings, get_settings

SCRATCH_PREFIX = "scratch-"
PIPELINE_STAGES: dict[str, str] = {
    "01_invoice_extractor": "train_extractor",
    "02_inflation": "train_inflation",
    "03_demand": "train_demand",
    "04_drift": "drift",
    "05_evaluate": "evaluate",
}
"""The DVC stage that runs each notebook (``dvc.yaml``)."""


@dataclass(frozen=True)
class RunContext:
    """What one run is: who started it (``kind``: pipeline, notebook or cli), under which name (notebook or
    command), in which DVC stage, where its files go and whether its gate may move ``champion``."""

    kind: str
    name: str
    root: Path
    output_root: Path
    stage: str | None = None
    may_promote: bool = False

    @property
    def scratch(self) -> bool:
        """True when the run writes to a scratch folder instead of the pipeline's files."""
        return self.output_root != self.root

    def path(self, relative: str | Path) -> Path:
        """Where the run writes ``relative`` (a repo-relative path; an absolute one is kept as given)."""
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.output_root / candidate

    def input_path(self, relative: str | Path) -> Path:
        """Where the run reads ``relative`` from: the repo's own files (inputs are never scratch)."""
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.root / candidate

    def experiment(self, name: str) -> str:
        """The MLflow experiment this run logs to: ``name``, or ``scratch-<name>`` outside the pipeline."""
        return f"{SCRATCH_PREFIX}{name}" if self.scratch else name

    def describe(self) -> str:
        """One sentence for a report: where this run writes and whether it may move ``champion``."""
        if self.kind == "pipeline":
            gate = "; the promotion gate decides `champion`" if str(self.stage).startswith("train_") else ""
            where = f"DVC stage `{self.stage}`: writes the pipeline's files{gate}"
        elif self.scratch:
            gate = (
                "registers its model and lets the promotion gate decide `champion` (promote=True)"
                if self.may_promote
                else "registers nothing and never moves `champion` (pass promote=True to let the gate decide)"
            )
            where = f"outside DVC: writes to {self.output_root} and MLflow experiments `scratch-*`; {gate}"
        else:
            where = f"`{self.name}` command: writes the repo's files; the promotion gate decides `champion`"
        return f"{self.name} — {where}."

    def tags(self) -> dict[str, str]:
        """MLflow tags saying where the run comes from."""
        tags = {"run_kind": self.kind, "run_entry": self.name, "scratch": str(self.scratch).lower()}
        if self.stage:
            tags["dvc_stage"] = self.stage
        if self.kind in ("pipeline", "notebook"):
            tags["notebook"] = f"notebooks/{self.name}.ipynb"
        return tags


NOISY_LOGGERS = ("mlflow", "cmdstanpy", "prophet", "alembic", "evidently")


def quiet_libraries() -> None:
    """Keep a report free of the libraries' console chatter: their loggers at WARNING (MLflow's at ERROR: its
    warnings are about how models are serialised) and MLflow's type-hint ``UserWarning`` silenced."""
    import logging
    import warnings

    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR if name == "mlflow" else logging.WARNING)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"mlflow(\.|$)")


def notebook_context(
    notebook: str,
    *,
    promote: bool = False,
    settings: Settings | None = None,
    environ: Mapping[str, str] | None = None,
) -> RunContext:
    """The context of ``notebook`` (name without ``.ipynb``): its DVC stage when DVC runs it (``DVC_STAGE``
    names that stage), otherwise a scratch run under ``var/scratch/<notebook>`` that moves ``champion`` only
    when ``promote`` is true. The libraries' console chatter is quieted (:func:`quiet_libraries`)."""
    quiet_libraries()
    settings = settings or get_settings()
    env = os.environ if environ is None else environ
    stage = PIPELINE_STAGES.get(notebook)
    root = settings.root.resolve()
    if stage is not None and env.get("DVC_STAGE") == stage:
        return RunContext("pipeline", notebook, root, root, stage=stage, may_promote=True)
    scratch = settings.state_dir / "scratch" / notebook
    scratch.mkdir(parents=True, exist_ok=True)
    return RunContext("notebook", notebook, root, scratch.resolve(), stage=None, may_promote=bool(promote))


def command_context(command: str, *, settings: Settings | None = None) -> RunContext:
    """The context of a CLI command the user typed: the repo's files, registration and gate as asked."""
    root = (settings or get_settings()).root.resolve()
    return RunContext("cli", command, root, root, may_promote=True)


def pipeline_params(section: str | None = None, *, settings: Settings | None = None) -> dict[str, Any]:
    """``params.yaml`` (or one of its sections): the values the notebooks' defaults must equal."""
    path = (settings or get_settings()).root / "params.yaml"
    params: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return dict(params[section]) if section else params
