"""A notebook's defaults are the pipeline's values: what its DVC stage passes with ``-p`` (``params.yaml``
through ``${...}``, or a literal) is also the default of its `parameters` cell, so a run by hand computes what
the stage computes (but writes to a scratch folder)."""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml

from minimarket.config import REPO_ROOT
from minimarket.workspace import PIPELINE_STAGES

PLACEHOLDER = re.compile(r"^\$\{([\w.]+)\}$")


def _defaults(notebook: Path) -> dict[str, Any]:
    cells = nbformat.read(notebook, as_version=4).cells
    source = next(c.source for c in cells if "parameters" in c.metadata.get("tags", []))
    return {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }


def _stage_parameters(stage: str) -> dict[str, Any]:
    """``-p name value`` pairs of the stage's papermill command, ``${a.b}`` resolved from params.yaml."""
    params = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    command = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text())["stages"][stage]["cmd"]
    words = shlex.split(command)
    words = words[next(i for i, w in enumerate(words) if w.rsplit("/", 1)[-1] == "papermill") :]
    out: dict[str, Any] = {}
    for i, word in enumerate(words[:-2]):
        if word == "-p":
            name, raw = words[i + 1], words[i + 2]
            match = PLACEHOLDER.match(raw)
            if match:
                value: Any = params
                for key in match.group(1).split("."):
                    value = value[key]
            else:
                value = yaml.safe_load(raw)
            out[name] = value
    return out


CHECKED = sorted(PIPELINE_STAGES)


@pytest.mark.parametrize("notebook", CHECKED, ids=str)
def test_notebook_defaults_equal_what_its_stage_passes(notebook: str) -> None:
    stage = PIPELINE_STAGES[notebook]
    passed = _stage_parameters(stage)
    defaults = _defaults(REPO_ROOT / "notebooks" / f"{notebook}.ipynb")
    assert passed, f"stage {stage} passes no parameters"
    different = {
        name: (defaults.get(name, "<missing>"), value)
        for name, value in passed.items()
        if name != "show_reports" and defaults.get(name, "<missing>") != value
    }
    assert not different, f"{notebook}: default != stage value: {different}"
    assert defaults.get("promote", False) is False, "a notebook run by hand must not promote by default"


def test_the_monthly_update_evaluates_like_the_pipeline() -> None:
    defaults = _defaults(REPO_ROOT / "notebooks" / "monthly_inflation_update.ipynb")
    params = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    assert defaults["eval_start"] == params["train_inflation"]["eval_start"] and defaults["promote"] is False


def test_dvc_changes_only_the_value_an_experiment_sets(tmp_path: Path) -> None:
    """`dvc exp run -S` rewrites params.yaml through DVC's own YAML round trip: nothing but the value changes."""
    from dvc.utils.hydra import apply_overrides

    copy = tmp_path / "params.yaml"
    original = (REPO_ROOT / "params.yaml").read_text()
    copy.write_text(original)
    apply_overrides(copy, ["train_demand.horizon=14"])
    changed = [(a, b) for a, b in zip(original.splitlines(), copy.read_text().splitlines(), strict=True) if a != b]
    assert changed == [("  horizon: 28", "  horizon: 14")]
