"""Settings: env prefix, paths from the repo root, defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from minimarket.config import REPO_ROOT, Settings


def test_repo_root_is_found_from_the_package() -> None:
    assert (REPO_ROOT / "pyproject.toml").is_file()
    assert (REPO_ROOT / "src" / "minimarket" / "config.py").is_file()


def test_paths_do_not_depend_on_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MINIMARKET_VAR_DIR", raising=False)
    monkeypatch.delenv("MINIMARKET_DATABASE_URL", raising=False)
    monkeypatch.delenv("MINIMARKET_MLFLOW_URI", raising=False)
    settings = Settings()
    assert settings.raw_dir == REPO_ROOT / "data" / "raw"
    assert settings.sqlalchemy_url == f"sqlite:///{REPO_ROOT / 'var' / 'minimarket.db'}"
    assert settings.tracking_uri == f"sqlite:///{REPO_ROOT / 'mlruns' / 'mlflow.db'}"
    assert settings.artifact_root.is_absolute()


def test_environment_overrides_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIMARKET_MAX_PDF_PAGES", "7")
    monkeypatch.setenv("MINIMARKET_DATABASE_URL", "postgresql+psycopg://u@h/db")
    settings = Settings()
    assert settings.max_pdf_pages == 7
    assert settings.sqlalchemy_url == "postgresql+psycopg://u@h/db"


def test_invalid_limit_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIMARKET_MAX_PDF_PAGES", "muchas")
    with pytest.raises(ValueError, match="max_pdf_pages"):
        Settings()


def test_reader_workers_default_to_one_per_core(monkeypatch: pytest.MonkeyPatch) -> None:
    from minimarket.config import Settings, cpu_cores

    monkeypatch.delenv("MINIMARKET_READER_WORKERS", raising=False)
    assert Settings().reader_workers == cpu_cores() >= 1
    monkeypatch.setenv("MINIMARKET_READER_WORKERS", "3")
    assert Settings().reader_workers == 3


def test_replica_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIMARKET_DB_POOL_SIZE", "7")
    monkeypatch.setenv("MINIMARKET_DB_MAX_OVERFLOW", "0")
    monkeypatch.setenv("MINIMARKET_DB_POOL_TIMEOUT_SECONDS", "12.5")
    monkeypatch.setenv("MINIMARKET_RATE_LIMIT_STORAGE", " redis://127.0.0.1:6379/2 ")
    monkeypatch.setenv("MINIMARKET_BATCH_LEASE_SECONDS", "45")
    s = Settings()
    assert (s.db_pool_size, s.db_max_overflow, s.db_pool_timeout_seconds) == (7, 0, 12.5)
    assert s.rate_limit_storage == "redis://127.0.0.1:6379/2"
    assert s.batch_lease_seconds == 45


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("MINIMARKET_RATE_LIMIT_STORAGE", "memcached://x", "redis://host:port/db"),
        ("MINIMARKET_DB_POOL_SIZE", "0", "greater than or equal to 1"),
        ("MINIMARKET_BATCH_LEASE_SECONDS", "1", "greater than or equal to 2"),
    ],
)
def test_bad_replica_settings_are_clear_errors(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=says):
        Settings()
