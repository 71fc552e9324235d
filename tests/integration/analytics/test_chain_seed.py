"""`minimarket demo seed --chain`: a demo chain of three seeded shops, whose figures the chain views read."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from minimarket.analytics.chain import chain_shops, chain_summary
from minimarket.cli import app
from minimarket.store.db import session_scope


def test_demo_seed_chain_makes_three_shops_with_data() -> None:
    args = ["demo", "seed", "--chain", "demo-sur", "--invoices", "40", "--no-samples", "--sales-days", "60"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    seeded = json.loads(result.stdout)
    assert seeded["chain"] == "demo-sur"
    assert [s["shop"] for s in seeded["shops"]] == ["demo-sur-centro", "demo-sur-norte", "demo-sur-sur"]
    with session_scope(all_shops=True, read_only=True) as session:
        shops = chain_shops(session, "demo-sur")
        summary = chain_summary(session, "demo-sur")
    counts = {s.code: s.invoices for s in shops}
    assert counts["demo-sur-centro"] >= 40 and counts["demo-sur-sur"] >= 20
    assert summary.shops == 3 and summary.invoices == sum(counts.values())
    assert summary.top_suppliers and summary.top_products
