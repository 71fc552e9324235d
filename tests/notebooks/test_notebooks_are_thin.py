"""Every notebook is thin, parameterised, committed without outputs, and has a test that runs it."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from minimarket.config import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
TESTS = Path(__file__).parent


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_one_parameters_cell_no_outputs_and_imports_the_package(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    tagged = [cell for cell in code if "parameters" in cell.metadata.get("tags", [])]
    assert tagged == [code[0]], "exactly one `parameters` cell, and it comes first"
    assert all(not cell.get("outputs") and cell.get("execution_count") is None for cell in code)
    source = "\n".join(cell.source for cell in code)
    assert "from minimarket" in source or "import minimarket" in source
    for cell in code:  # thin: no function or class definitions in a notebook
        tree = ast.parse("\n".join(line for line in cell.source.splitlines() if not line.startswith(("%", "!"))))
        assert not [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)], cell.source


def test_every_notebook_is_executed_by_a_test() -> None:
    tests = "\n".join(p.read_text() for p in [*TESTS.rglob("test_*.py"), *(REPO_ROOT / "tests").rglob("test_*.py")])
    missing = [p.name for p in NOTEBOOKS if f'"{p.name}"' not in tests and f"'{p.name}'" not in tests]
    assert not missing, f"notebooks without an execution test: {missing}"
