"""Helpers of the operations tests: metric names in PromQL and in a /metrics page, the alert rules' files."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import promql_parser
import yaml

from minimarket.config import REPO_ROOT

OPS = REPO_ROOT / "ops"
ALERTS = OPS / "prometheus" / "alerts.yml"
ALERT_TESTS = OPS / "prometheus" / "alerts_test.yml"
DASHBOARDS = OPS / "grafana" / "dashboards"

PROMETHEUS_OWN = {"up", "ALERTS", "ALERTS_FOR_STATE"}
"""Series Prometheus makes itself (scrape health, alert state), not the service."""

_CHILDREN = ("lhs", "rhs", "expr", "args", "param", "vector_selector")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (parsed, not guessed)."""
    names: set[str] = set()

    def walk(node: Any) -> None:
        if node is None or isinstance(node, str | int | float):
            return
        if isinstance(node, list | tuple):
            for item in node:
                walk(item)
            return
        if type(node).__name__ == "VectorSelector":
            name = node.name or next((m.value for m in node.matchers.matchers if m.name == "__name__"), None)
            if name:
                names.add(name)
            return
        for attribute in _CHILDREN:
            if hasattr(node, attribute):
                walk(getattr(node, attribute))

    walk(promql_parser.parse(expr))
    return names


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def panel_targets() -> Iterator[tuple[str, str, str]]:
    """(dashboard file, panel title, expr) of every target of every provisioned dashboard."""
    for path in sorted(DASHBOARDS.glob("*.json")):
        board = json.loads(path.read_text(encoding="utf-8"))
        for panel in board["panels"]:
            for target in panel["targets"]:
                yield path.name, panel["title"], target["expr"]


def exposed_names(page: str) -> set[str]:
    """The series names a /metrics page has samples of (a histogram's _bucket/_count/_sum, a counter's _total)."""
    return {line.split("{", 1)[0].split(" ", 1)[0] for line in page.splitlines() if line and not line.startswith("#")}


def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def runbook_anchors(path: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#")}
