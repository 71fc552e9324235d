"""Defects 4 and 5 for inflation: one unforced figure per month even under races (SQLite and PostgreSQL), and a
shop's figure changes that shop only — never another shop's series nor the shared registered model."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from minimarket.cli import app
from minimarket.forecast.inflation_update import UpdateRefused, current_data, update_inflation
from minimarket.store.db import session_scope
from minimarket.store.inflation import national_observations, observations
from tests.reliability.parallel import at_once

runner = CliRunner()
CHEAP = {"refit": False, "calibration_months": 6}


def _next_month() -> str:
    with session_scope(all_shops=True) as session:
        return str(current_data(session).last_month + 1)


def _race(shop: str | None) -> None:
    month = _next_month()
    outcomes = at_once(lambda i: update_inflation(month, 2.0 + i / 10, shop=shop, author=f"op{i}", **CHEAP), 2)
    stored = [o for o in outcomes if o.ok]
    refused = [o.error for o in outcomes if not o.ok]
    assert len(stored) == 1, [str(e) for e in refused]
    assert all(isinstance(e, UpdateRefused) and "ya tiene un valor" in str(e) for e in refused), refused
    if shop is None:
        with session_scope(all_shops=True) as session:
            assert [(o.month, o.forced) for o in national_observations(session)] == [(month, False)]
    else:
        with session_scope(shop, create_shop=False) as session:
            assert [(o.month, o.forced) for o in observations(session)] == [(month, False)]


def test_parallel_national_updates_of_one_month_record_one_figure_on_sqlite() -> None:
    _race(None)


@pytest.mark.postgres
def test_parallel_shop_updates_of_one_month_record_one_figure_on_postgresql(pg_database: str) -> None:
    runner.invoke(app, ["shop", "create", "norte"])
    _race("norte")


def test_a_shops_figure_changes_that_shop_only() -> None:
    for code in ("norte", "sur"):
        assert runner.invoke(app, ["shop", "create", code]).exit_code == 0
    month = _next_month()
    result = runner.invoke(
        app, ["inflation", "update", "--shop", "norte", "--month", month, "--pct", "2", "--calibration-months", "6"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["scope"] == "norte" and payload["model_version"] is None and payload["promoted"] is None
    assert "no se reentrena" in payload["gate_reason"]
    from minimarket import tracking

    assert tracking.alias_version("inflation-forecaster", "champion") is None, "nothing was registered"
    with session_scope("norte", create_shop=False) as session:
        assert str(current_data(session).last_month) == month
    with session_scope("sur", create_shop=False) as session:
        assert str(current_data(session).last_month) != month, "another shop's figure is not this shop's"
    with session_scope(all_shops=True) as session:
        assert str(current_data(session).last_month) != month, "nor the national series"
    history = runner.invoke(app, ["inflation", "history", "--shop", "sur"])
    assert json.loads(history.stdout) == []


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "2026-13", "x" * 60_000])
def test_a_month_out_of_range_is_a_clear_refusal(month: str) -> None:
    result = runner.invoke(app, ["inflation", "update", "--month", month, "--pct", "2", "--no-refit"])
    assert result.exit_code == 1 and "mes inválido" in result.output and "Traceback" not in result.output
    assert len(result.output) < 500


def test_an_unknown_shop_is_refused_and_not_created() -> None:
    result = runner.invoke(app, ["inflation", "update", "--shop", "TYPO", "--month", _next_month(), "--pct", "2"])
    assert result.exit_code == 1 and "no existe el comercio 'TYPO'" in result.output
    shops = json.loads(runner.invoke(app, ["shop", "list"]).stdout)
    assert [s["code"] for s in shops] == ["default"]
