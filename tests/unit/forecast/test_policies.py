from decimal import Decimal
from pathlib import Path

import pytest

from minimarket.config import get_settings
from minimarket.forecast.policies import PolicyError, load_policies, read_policies
from minimarket.forecast.reorder import ReorderPolicy
from minimarket.pricing import markup_for


def test_bundled_policies_drive_reorder_and_markups():
    policies = load_policies()
    assert policies.source.endswith("policies.csv")
    assert policies.service_level("Cigarrillos") == 0.98 and policies.markup("Cigarrillos") == Decimal("0.12")
    assert policies.service_level("Desconocida") == 0.95 and policies.markup("Desconocida") == Decimal("0.35")
    assert ReorderPolicy().service_level("Lácteos") == 0.97
    assert markup_for("Lácteos") == Decimal("0.28")


def test_cli_style_overrides_win_over_the_file():
    policies = load_policies().with_overrides(
        service_levels=["Lácteos=0.99"], markups=["Cigarrillos=15", "Nueva=50"], default_markup_pct=40
    )
    assert policies.service_level("Lácteos") == 0.99 and policies.service_level("Limpieza") == 0.90
    assert policies.markup("Cigarrillos") == Decimal("0.15") and policies.markup("Nueva") == Decimal("0.5")
    assert policies.markup("Otra") == Decimal("0.4")
    with pytest.raises(PolicyError, match="CATEGORY=VALUE"):
        load_policies().with_overrides(service_levels=["0.9"])
    with pytest.raises(PolicyError, match=r"\[0.5, 1\)"):
        load_policies().with_overrides(service_levels=["Lácteos=1.2"])


def test_settings_point_to_another_file_and_change_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "mis_politicas.csv"
    path.write_text("category,service_level,markup_pct\nAlmacén,0.9,\nBebidas,,50\n", encoding="utf-8")
    monkeypatch.setenv("MINIMARKET_POLICIES_FILE", str(path))
    monkeypatch.setenv("MINIMARKET_DEFAULT_SERVICE_LEVEL", "0.92")
    get_settings.cache_clear()
    policies = load_policies()
    assert policies.service_level("Almacén") == 0.9 and policies.markup("Almacén") == Decimal("0.35")
    assert policies.service_level("Bebidas") == 0.92 and policies.markup("Bebidas") == Decimal("0.5")
    path.unlink()
    with pytest.raises(PolicyError, match="not found"):
        load_policies()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("category,markup_pct\nA,30\n", "missing column"),
        ("category,service_level,markup_pct\nA,0.9,30\nA,0.95,30\n", "appears twice"),
        ("category,service_level,markup_pct\nA,alta,30\n", "not a number"),
        ("category,service_level,markup_pct\nA,0.9,900\n", "between 0 and 500"),
        ("category,service_level,markup_pct\n,0.9,30\n", "empty category"),
    ],
)
def test_bad_policy_files_name_the_line(tmp_path: Path, content: str, message: str):
    path = tmp_path / "p.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PolicyError, match=message):
        read_policies(path)
