""" "Modelos": champion and challenger of each model with their figures over time, the demand model's choice per
segment (when recorded), the latest drift checks, and the last monthly inflation update with who made it."""

from __future__ import annotations

import ipywidgets as widgets

from minimarket.analytics.models_view import ModelCard, drift_rows, last_inflation_update, model_cards
from minimarket.config import Settings
from minimarket.dashboards import ui

__all__ = ["models_board"]


def _card(card: ModelCard) -> list[widgets.Widget]:
    roles = []
    if card.champion:
        roles.append(f"campeón: versión {card.champion}")
    if card.challenger and card.challenger != card.champion:
        roles.append(f"retador: versión {card.challenger}")
    parts: list[widgets.Widget] = [ui.heading(card.label, " · ".join(roles) or "sin campeón todavía", level=2)]
    history = card.history.dropna(subset=["value"])
    if len(history):
        fig = ui.figure(f"{card.metric or 'Métrica'} por versión (menor es mejor)", height=260)
        fig.add_scatter(
            x=history["created"],
            y=history["value"],
            mode="lines+markers",
            name="versiones",
            text=[f"v{v}" for v in history["version"]],
            hovertemplate="%{text} · %{x|%d/%m/%Y}: %{y:,.4f}<extra></extra>",
        )
        best = history[history["role"] == "campeón"]
        if len(best):
            fig.add_scatter(
                x=best["created"],
                y=best["value"],
                mode="markers",
                name="campeón",
                marker={"size": 14, "symbol": "star", "color": "#f2c94c"},
                hoverinfo="skip",
            )
        fig.update_xaxes(tickformat="%d/%m/%Y")
        parts.append(fig)
    parts.append(ui.table(card.rows()))
    if card.segments:
        parts += [ui.heading("Modelo elegido por segmento", level=3), ui.table(card.segments)]
    return parts


def models_board(settings: Settings, shop: str | None = None) -> widgets.Widget:
    """The models page for ``shop`` (drift checks and CPI updates are the shop's; models are shared)."""
    from minimarket.store.db import session_scope

    overview = model_cards()
    with session_scope(shop, url=settings.sqlalchemy_url) as session:
        drift = drift_rows(session)
        update = last_inflation_update(session)
    sections: list[widgets.Widget] = []
    if overview.error:
        sections.append(ui.notice(overview.error, "error"))
    if not overview.cards:
        sections.append(
            ui.notice(
                "Todavía no hay modelos entrenados. Entrenalos con "
                f"{ui.code('make repro')} (o uno por uno: {ui.code('minimarket inflation train')}, "
                f"{ui.code('minimarket demand train')}, {ui.code('minimarket train extractor')}); "
                "mientras tanto se usan reglas y pronósticos simples.",
                "info",
                markup=True,
                css="mm-empty",
            )
        )
    for card in overview.cards:
        sections += _card(card)
    sections.append(ui.heading("Deriva de los datos", "Último control de cada conjunto de datos.", level=2))
    sections.append(
        ui.table(drift)
        if drift
        else ui.notice(f"Todavía no se controló la deriva: corré {ui.code('minimarket drift check')}.", markup=True)
    )
    sections.append(ui.heading("Última actualización mensual de la inflación", level=2))
    sections.append(
        ui.table([update])
        if update
        else ui.notice(
            "Todavía no se cargó ningún dato mensual: "
            f"{ui.code('minimarket inflation update --month AAAA-MM --pct 2,1')}.",
            markup=True,
        )
    )
    subtitle = "Qué modelo usa cada pronóstico, cómo le fue a cada versión y si los datos cambiaron."
    described = [
        f"{c.label}: campeón versión {c.champion}" if c.champion else f"{c.label}: sin campeón" for c in overview.cards
    ]
    summary = "; ".join(described) + "." if described else "Todavía no hay modelos entrenados."
    return ui.page("Modelos", subtitle, sections, css="mm-models", summary=summary)
