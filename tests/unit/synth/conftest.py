"""Fixtures for the synthetic-invoice tests."""

from __future__ import annotations

import pytest

from minimarket.catalog import Catalog, bundled_catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return bundled_catalog()
