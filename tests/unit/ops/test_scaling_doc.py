"""Every number of docs/SCALING.md traces to a figure: a benchmark JSON of reports/benchmarks/, a stated
assumption, or a formula over earlier numbers that this test recomputes.

A number is written as a marker in an inline code span::

    `[name = 0.671 pages/s | = 1 / ocr_cpu_s]`                          derived: recomputed from the formula
    `[ocr_cpu_s = 1.491 s | ocr_throughput.json: cpu_seconds_per_page.ours]`   read from the JSON (a.b.0.c)
    `[shops = 10000 | assumption]`                                       a stated assumption
    `[rps_two = SLOT req/s | replicas.json: two_replicas.requests_per_second]`  a slot for the lead to fill

The value must match within the rounding it is written with (0.671 means ±0.0005). A SLOT is accepted only while
its JSON is not in reports/benchmarks/ (and a formula only while one of its inputs is a slot); once the JSON exists
the test fails until the slot carries the number. Outside markers and code, the page has no digits at all.
"""

from __future__ import annotations

import ast
import json
import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from minimarket.config import REPO_ROOT

DOC = REPO_ROOT / "docs" / "SCALING.md"
FIGURES = REPO_ROOT / "reports" / "benchmarks"
MARKER = re.compile(
    r"`\[(?P<name>[a-z_][a-z0-9_]*) = (?P<value>SLOT|-?\d+(?:\.\d+)?)(?P<unit>[^|`\]]*)\|\s+(?P<source>[^`\]]+)\]`"
)
FUNCTIONS: dict[str, Callable[..., float]] = {"ceil": math.ceil, "max": max, "min": min}
OPERATORS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}  # fmt: skip


@dataclass(frozen=True)
class Marker:
    name: str
    value: str
    source: str
    line: int

    @property
    def tolerance(self) -> float:
        decimals = len(self.value.split(".")[1]) if "." in self.value else 0
        return 0.5 * 10**-decimals


def markers() -> list[Marker]:
    text = DOC.read_text(encoding="utf-8")
    return [
        Marker(m["name"], m["value"], " ".join(m["source"].split()), text.count("\n", 0, m.start()) + 1)
        for m in MARKER.finditer(text)
    ]


def _json_value(source: str) -> tuple[bool, float | None]:
    """(the JSON exists, the number at its path)."""
    file, _, path = source.partition(":")
    target = FIGURES / file.strip()
    if not target.is_file():
        return False, None
    data: Any = json.loads(target.read_text(encoding="utf-8"))
    for key in path.strip().split("."):
        data = data[int(key)] if isinstance(data, list) else data[key]
    assert isinstance(data, int | float) and not isinstance(data, bool), f"{source} is not a number: {data!r}"
    return True, float(data)


def _evaluate(node: ast.AST, names: Mapping[str, float | None]) -> float | None:
    """The formula's value (None when an input is an unfilled slot)."""
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, names)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        assert node.id in names, f"{node.id} is used before it is defined"
        return names[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _evaluate(node.operand, names)
        return None if inner is None else -inner
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        left, right = _evaluate(node.left, names), _evaluate(node.right, names)
        return None if left is None or right is None else float(OPERATORS[type(node.op)](left, right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
        args = [_evaluate(a, names) for a in node.args]
        return None if any(a is None for a in args) else float(FUNCTIONS[node.func.id](*args))
    raise AssertionError(f"not allowed in a formula: {ast.dump(node)}")


def resolve() -> dict[str, float | None]:
    """Every marker's full-precision value, checking each against its source; None for an open slot."""
    names: dict[str, float | None] = {}
    problems: list[str] = []
    for marker in markers():
        where = f"docs/SCALING.md:{marker.line} {marker.name}"
        if marker.name in names:
            problems.append(f"{where}: defined twice")
            continue
        if marker.source == "assumption":
            assert marker.value != "SLOT", f"{where}: an assumption needs a value"
            names[marker.name] = float(marker.value)
            continue
        if marker.source.startswith("="):
            actual = _evaluate(ast.parse(marker.source[1:].strip(), mode="eval"), names)
        else:
            exists, actual = _json_value(marker.source)
            if not exists and marker.value != "SLOT":
                problems.append(f"{where}: {marker.source.split(':')[0]} is not in reports/benchmarks/")
                continue
        names[marker.name] = actual
        if marker.value == "SLOT":
            if actual is not None:
                problems.append(f"{where}: fill the slot with {actual:.6g} (its source exists now)")
            continue
        if actual is None:
            problems.append(f"{where}: written as {marker.value} but its inputs include an unfilled slot")
            continue
        if abs(float(marker.value) - actual) > marker.tolerance + 1e-9 * abs(actual):
            problems.append(f"{where}: written {marker.value}, the source gives {actual:.6g}")
    assert not problems, "\n".join(problems)
    return names


def test_every_marked_number_matches_its_source() -> None:
    names = resolve()
    assert len(names) >= 20
    sources = {m.source.split(":")[0] for m in markers() if not m.source.startswith("=") and m.source != "assumption"}
    assert {"ocr_throughput.json", "scaling.json", "storage_growth.json", "service_search.json"} <= sources


def test_no_number_outside_markers_and_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    text = re.sub(r"`[^`]*`", "", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
    stray = [f"{i}: {line.strip()}" for i, line in enumerate(text.splitlines(), 1) if re.search(r"\d", line)]
    assert not stray, "numbers without a source (write them as markers):\n" + "\n".join(stray)


def test_the_kubernetes_autoscalers_cover_the_computed_peak() -> None:
    names = resolve()
    limits: dict[str, int] = {}
    for path in (REPO_ROOT / "deploy" / "k8s").glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc and doc["kind"] == "HorizontalPodAutoscaler":
                limits[doc["metadata"]["name"]] = doc["spec"]["maxReplicas"]
    assert names["dask_workers_peak"] is not None and names["api_pods_peak"] is not None
    assert limits["dask-worker"] >= names["dask_workers_peak"]
    assert limits["api"] >= names["api_pods_peak"]


def test_the_marker_syntax_is_checked() -> None:
    names: dict[str, float | None] = {"a": 2.0, "b": None}
    assert _evaluate(ast.parse("ceil(a * 1.2) + 1", mode="eval"), names) == 4.0
    assert _evaluate(ast.parse("a / b", mode="eval"), names) is None
    assert Marker("x", "0.671", "assumption", 1).tolerance == 0.0005
    found = MARKER.search("see `[ocr_cpu_s = 1.491 s | ocr_throughput.json: cpu_seconds_per_page.ours]` here")
    assert found and found["name"] == "ocr_cpu_s" and found["value"] == "1.491"
