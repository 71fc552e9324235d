"""Building blocks shared by the dashboards: page header, notices, tables, KPIs, charts, downloads.

Everything is an ipywidget (or a plotly ``FigureWidget``) that Voila renders offline; text is escaped here.
CSS classes starting with ``mm-`` name the parts the browser tests look for.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import plotly.graph_objects as go

from minimarket.analytics.formatting import PLOTLY_SEPARATORS

__all__ = [
    "Page",
    "download_link",
    "figure",
    "heading",
    "kpis",
    "notice",
    "page",
    "table",
]

STYLE = """
<style>
.mm-page { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2933; max-width: 1200px; }
.mm-page h1 { font-size: 1.7em; margin: 0.2em 0 0.1em; }
.mm-page h2 { font-size: 1.25em; margin: 1.2em 0 0.3em; border-bottom: 2px solid #e4e7eb; padding-bottom: 0.2em; }
.mm-sub { color: #52606d; margin-bottom: 0.6em; }
.mm-notice { padding: 0.6em 0.9em; border-radius: 6px; margin: 0.4em 0; line-height: 1.4; }
.mm-notice.info { background: #e8f1fb; border-left: 4px solid #2f80ed; }
.mm-notice.warn { background: #fff4e5; border-left: 4px solid #f2994a; }
.mm-notice.ok { background: #e9f7ef; border-left: 4px solid #27ae60; }
.mm-notice.error { background: #fdecea; border-left: 4px solid #eb5757; }
.mm-notice code { background: rgba(0,0,0,0.06); padding: 0 0.25em; border-radius: 3px; }
.mm-kpis { display: flex; flex-wrap: wrap; gap: 0.8em; margin: 0.5em 0; }
.mm-kpi { background: #f5f7fa; border-radius: 8px; padding: 0.6em 1em; min-width: 150px; }
.mm-kpi .label { color: #52606d; font-size: 0.85em; }
.mm-kpi .value { font-size: 1.35em; font-weight: 600; }
table.mm-table { border-collapse: collapse; margin: 0.3em 0 0.8em; font-size: 0.92em; }
table.mm-table th { background: #f5f7fa; text-align: left; padding: 0.35em 0.6em; border-bottom: 1px solid #cbd2d9; }
table.mm-table td { padding: 0.3em 0.6em; border-bottom: 1px solid #e4e7eb; vertical-align: top; white-space: nowrap; }
table.mm-table td.num { text-align: right; white-space: nowrap; }
table.mm-table tr.mm-doubtful td { background: #fff4e5; }
.mm-field.mm-doubtful input { background: #fff4e5; border-color: #f2994a; }
.mm-why { color: #b35c00; font-size: 0.85em; }
.mm-card { display: inline-block; vertical-align: top; width: 330px; margin: 0.5em 0.8em 0.5em 0; padding: 0.9em 1.1em;
           border: 1px solid #e4e7eb; border-radius: 10px; background: #fff; }
.mm-card a { font-size: 1.15em; font-weight: 600; color: #1f5fbf; text-decoration: none; }
.mm-card p { color: #52606d; margin: 0.4em 0 0; }
</style>
"""


def escape(value: Any) -> str:
    return html.escape(str(value))


def heading(title: str, subtitle: str = "", level: int = 1) -> widgets.HTML:
    sub = f'<div class="mm-sub">{escape(subtitle)}</div>' if subtitle else ""
    return widgets.HTML(f"<h{level}>{escape(title)}</h{level}>{sub}")


class Page(widgets.VBox):
    """A dashboard page. Its plain-text form (what Voila writes into the HTML before the widgets are drawn, and
    what a text-only client sees) is a one-paragraph Spanish summary instead of the widget's repr."""

    summary: str = ""

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        if self.summary and isinstance(bundle, dict):
            bundle["text/plain"] = self.summary
        return bundle


def page(
    title: str, subtitle: str, children: Sequence[widgets.Widget], css: str = "mm-page", summary: str = ""
) -> Page:
    """A dashboard page: the shared style, a title and its sections; ``summary`` is its plain-text form."""
    box = Page([widgets.HTML(STYLE), heading(title, subtitle), *children])
    box.summary = f"{title}. {summary}".strip() if summary else title
    box.add_class("mm-page")
    box.add_class(css)
    return box


def notice_html(text: str, kind: str = "info", *, markup: bool = False) -> str:
    body = text if markup else escape(text)
    return f'<div class="mm-notice {kind}">{body}</div>'


def notice(text: str, kind: str = "info", *, markup: bool = False, css: str | None = None) -> widgets.HTML:
    """A boxed sentence: ``info``, ``warn``, ``ok`` or ``error``; ``markup`` lets trusted HTML (code, links) in."""
    out = widgets.HTML(notice_html(text, kind, markup=markup))
    out.add_class("mm-notice-box")
    if css:
        out.add_class(css)
    return out


def code(text: str) -> str:
    """An inline command for a notice with ``markup=True``."""
    return f"<code>{escape(text)}</code>"


def table_html(
    rows: Sequence[Mapping[str, Any]],
    *,
    css: str = "",
    numeric: Sequence[str] = (),
    highlight: str | None = None,
    empty: str = "Sin datos.",
) -> str:
    """An HTML table of ``rows`` (keys are the headers; keys starting with ``_`` are hidden). A row whose
    ``highlight`` key is truthy gets the ``mm-doubtful`` class."""
    if not rows:
        return f'<div class="mm-sub {css}">{escape(empty)}</div>'
    headers = [key for key in rows[0] if not key.startswith("_")]
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cls = ' class="mm-doubtful"' if highlight and row.get(highlight) else ""
        cells = "".join(
            f'<td class="num">{escape(row.get(h, ""))}</td>' if h in numeric else f"<td>{escape(row.get(h, ''))}</td>"
            for h in headers
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    return f'<table class="mm-table {css}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def table(rows: Sequence[Mapping[str, Any]], **kwargs: Any) -> widgets.HTML:
    return widgets.HTML(table_html(rows, **kwargs))


def kpis_html(values: Mapping[str, str]) -> str:
    cells = "".join(
        f'<div class="mm-kpi"><div class="label">{escape(k)}</div><div class="value">{escape(v)}</div></div>'
        for k, v in values.items()
    )
    return f'<div class="mm-kpis">{cells}</div>'


def kpis(values: Mapping[str, str]) -> widgets.HTML:
    out = widgets.HTML(kpis_html(values))
    out.add_class("mm-kpi-row")
    return out


def figure(title: str, *, height: int = 320, money_axis: bool = False) -> go.FigureWidget:
    """An empty chart with es-AR number separators (``1.234,5``), a white theme and room for a legend."""
    fig = go.FigureWidget()
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 15}},
        separators=PLOTLY_SEPARATORS,
        template="none",  # plotly_white costs ~0.3 s per figure to build; the same look, set directly
        paper_bgcolor="white",
        plot_bgcolor="white",
        font={"family": "system-ui, sans-serif", "color": "#1f2933"},
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.18},
        hoverlabel={"namelength": -1},
    )
    fig.update_xaxes(gridcolor="#eef1f4", zerolinecolor="#d9dee3", automargin=True)
    fig.update_yaxes(gridcolor="#eef1f4", zerolinecolor="#d9dee3", automargin=True)
    if money_axis:
        fig.update_yaxes(tickprefix="$ ", tickformat=",.0f")
    return fig


def download_link(filename: str, content: str, label: str, mime: str = "text/csv") -> str:
    """An ``<a download>`` carrying ``content`` (UTF-8 with a BOM, so spreadsheets read the accents)."""
    data = base64.b64encode(("\ufeff" + content).encode("utf-8")).decode("ascii")
    return (
        f'<a class="mm-download" download="{escape(filename)}" href="data:{mime};charset=utf-8;base64,{data}">'
        f"⬇ {escape(label)}</a>"
    )
