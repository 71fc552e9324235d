"""The DVC plots, offline: an HTML template with Vega inlined, and static SVG renderings.

``dvc plots show`` / ``dvc plots diff`` fill ``ops/dvc/plots.html`` (set as ``plots.html_template`` in
``.dvc/config``), which carries Vega, Vega-Lite and Vega-Embed inline instead of loading them from a CDN:
the page draws with no network. The same specs render to SVG here (vl-convert, the Vega engine in-process):
:func:`render_svgs` is what the tests use to check that every declared plot draws marks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

TEMPLATE_PATH = Path("ops") / "dvc" / "plots.html"
"""The offline HTML template, relative to the repo root."""

_PAGE = """<!DOCTYPE html>
<html>
<head>
    {refresh_tag}
    <meta charset="utf-8">
    <title>DVC plots · minimarket</title>
    <!-- Vega, Vega-Lite and Vega-Embed (bundled by vl-convert-python {version}): no network needed. -->
    <script>
BUNDLE
    </script>
    <style>
        body { font-family: sans-serif; margin: 1.5em; }
        table { border-spacing: 15px; }
    </style>
</head>
<body>
    {plot_divs}
</body>
</html>
"""


_GLOBALS = "window.vegaEmbed = vegaEmbed; window.vega = vega; window.vegaLite = vegaLite;"
"""What DVC's plot ``<div>`` scripts call (``vegaEmbed(...)``) must be global."""


def html_template() -> str:
    """The page DVC fills with its plot ``<div>`` elements (placeholders ``{plot_divs}``, ``{refresh_tag}``)."""
    import vl_convert

    page = _PAGE.replace("{version}", getattr(vl_convert, "__version__", ""))
    return page.replace("BUNDLE", vl_convert.javascript_bundle(_GLOBALS))


def write_html_template(root: Path) -> Path:
    """Write :func:`html_template` to ``<root>/ops/dvc/plots.html``."""
    path = root / TEMPLATE_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_template(), encoding="utf-8")
    return path


def dvc_plot_specs(root: Path, *revisions: str) -> dict[str, dict[str, Any]]:
    """The filled Vega-Lite spec of every declared plot (``dvc plots show --json``, or ``dvc plots diff`` of
    ``revisions``), by plot id."""
    command = ["diff", *revisions] if revisions else ["show"]
    dvc = str(Path(sys.executable).with_name("dvc"))
    done = subprocess.run(
        [dvc, "plots", *command, "--json"], cwd=root, capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"dvc plots {' '.join(command)} failed: {done.stderr.strip() or done.stdout.strip()}")
    payload = json.loads(done.stdout)
    if payload.get("errors"):
        raise RuntimeError(f"dvc plots {' '.join(command)} reported errors: {payload['errors']}")
    specs: dict[str, dict[str, Any]] = {}
    for plot_id, renderers in payload.get("data", payload).items():
        for renderer in renderers:
            if renderer.get("type") == "vega":
                specs[plot_id] = renderer["content"]
    return specs


def render_svgs(specs: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Each Vega-Lite spec drawn as SVG by the Vega engine (no browser, no network)."""
    import vl_convert

    return {plot_id: vl_convert.vegalite_to_svg(spec) for plot_id, spec in specs.items()}


DATA_MARKS = frozenset({"rect", "line", "symbol", "area", "rule", "text", "arc"})


def count_marks(spec: dict[str, Any]) -> int:
    """How many data marks (bars, line vertices, points, areas) the Vega engine draws for ``spec`` (its
    scenegraph's items of role ``mark``; axes, grids and legends are not counted)."""
    import vl_convert

    def walk(node: Any) -> int:
        if not isinstance(node, dict):
            return 0
        own = len(node.get("items", [])) if node.get("role") == "mark" and node.get("marktype") in DATA_MARKS else 0
        return own + sum(walk(child) for child in node.get("items", []))

    return walk(vl_convert.vegalite_to_scenegraph(spec)["scenegraph"])
