"""Every notebook is thin, parameterised, committed without outputs, and has a test that runs it."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from minimarket.config import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
DASHBOARDS = sorted((REPO_ROOT / "notebooks" / "dashboards").glob("*.ipynb"))
TESTS = Path(__file__).parent
NOT_IN_A_DASHBOARD = ("select(", "session", "sqlalchemy", "pandas", "pd.", "sql", "groupby", ".query(", "open(")
"""What a dashboard cell must not do itself: query the store or aggregate data (that is the package's job)."""


@pytest.mark.parametrize("path", NOTEBOOKS + DASHBOARDS, ids=lambda p: p.name)
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


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_a_dashboard_only_composes_package_functions(path: Path) -> None:
    """Two code cells: the parameters, then one call of a ``minimarket.dashboards`` function with the settings."""
    code = [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
    assert len(code) == 2, "a dashboard is its parameters cell and one cell that builds it"
    body = code[1].source
    assert "from minimarket.dashboards." in body and "get_settings()" in body
    assert len([line for line in body.splitlines() if line.strip()]) <= 4, body
    lowered = body.lower()
    assert not [word for word in NOT_IN_A_DASHBOARD if word in lowered], body


def test_the_dashboards_are_the_pages_served() -> None:
    assert [p.name for p in DASHBOARDS] == [
        "accounting.ipynb",
        "analytics.ipynb",
        "chain.ipynb",
        "index.ipynb",
        "models.ipynb",
        "review.ipynb",
    ]


def test_every_notebook_is_executed_by_a_test() -> None:
    tests = "\n".join(p.read_text() for p in [*TESTS.rglob("test_*.py"), *(REPO_ROOT / "tests").rglob("test_*.py")])
    missing = [p.name for p in NOTEBOOKS + DASHBOARDS if f'"{p.name}"' not in tests and f"'{p.name}'" not in tests]
    assert not missing, f"notebooks without an execution test: {missing}"
