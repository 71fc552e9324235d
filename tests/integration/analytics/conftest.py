"""A small demo shop (catalog, 120 days of sales, 300 generated invoices; no sample extraction), seeded once."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from minimarket.config import get_settings


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Seed once into its own state folder; each test then works on a copy (see ``use_demo``)."""
    from minimarket.demo import seed_demo_shop
    from minimarket.store.db import dispose_engines

    state = tmp_path_factory.mktemp("demo")
    saved = {k: os.environ.get(k) for k in ("MINIMARKET_VAR_DIR", "MINIMARKET_DATABASE_URL")}
    os.environ["MINIMARKET_VAR_DIR"] = str(state)
    os.environ["MINIMARKET_DATABASE_URL"] = f"sqlite:///{state / 'minimarket.db'}"
    get_settings.cache_clear()
    dispose_engines()
    seed_demo_shop(get_settings(), invoices=300, samples=False, sales_days=120)
    dispose_engines()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()
    yield state


@pytest.fixture
def use_demo(demo_store: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Point this test at a private copy of the module's demo store (tests may write to it)."""
    import shutil

    from minimarket.store.db import dispose_engines

    copy = tmp_path / "demo"
    shutil.copytree(demo_store, copy)
    monkeypatch.setenv("MINIMARKET_VAR_DIR", str(copy))
    monkeypatch.setenv("MINIMARKET_DATABASE_URL", f"sqlite:///{copy / 'minimarket.db'}")
    get_settings.cache_clear()
    dispose_engines()
    return copy
