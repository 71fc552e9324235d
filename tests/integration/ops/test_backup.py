"""Backups on a real SQLite store (and a real PostgreSQL server): create, verify, restore, prune, corruption."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minimarket.cli import app
from minimarket.config import get_settings
from minimarket.ops.backup import (
    BackupError,
    create_backup,
    find_backup,
    list_backups,
    prune_backups,
    restore_backup,
    sha256_file,
    sqlite_counts,
    sqlite_integrity,
    verify_backup,
)

runner = CliRunner()


def _invoke(*args: str) -> object:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def shop(isolated_state: Path) -> Path:
    """A store with data in it (catalog, a token key, an MLflow store with an artifact) and its state folder."""
    _invoke("catalog", "import")
    _invoke("token", "create", "--role", "manager")
    artifacts = isolated_state / "artifacts" / "1" / "run" / "artifacts"
    artifacts.mkdir(parents=True)
    (artifacts / "model.txt").write_text("weights", encoding="utf-8")
    with sqlite3.connect(isolated_state / "mlflow.db") as db:
        db.execute("CREATE TABLE experiments (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO experiments (name) VALUES ('demand'), ('inflation')")
    return isolated_state


def test_create_verify_and_restore_into_a_fresh_folder(shop: Path, tmp_path: Path) -> None:
    settings = get_settings()
    live = sqlite_counts(shop / "minimarket.db")
    assert live["products"] > 300 and live["suppliers"] > 10

    created = json.loads(_invoke("backup", "create", "--json").stdout)
    backup = find_backup(settings, None)
    assert created["name"] == backup.name and backup.path.parent == shop / "backups"
    assert (backup.path.stat().st_mode & 0o777) == 0o700
    assert {p.name for p in backup.path.iterdir()} == {
        "manifest.json",
        "database.sqlite3",
        "mlflow.sqlite3",
        "mlflow-artifacts.tar.gz",
        "secrets.tar.gz",
    }
    assert backup.manifest["database"]["tables"] == live
    assert backup.manifest["schema_revision"] is not None
    assert verify_backup(backup).ok
    assert "correcto" in _invoke("backup", "verify").stdout

    target = tmp_path / "restored"
    restored = json.loads(_invoke("backup", "restore", backup.name, "--to", str(target), "--json").stdout)
    assert restored["tables"]["database"] == live
    assert sqlite_counts(target / "minimarket.db") == live
    assert sqlite_counts(target / "mlflow.db") == {"experiments": 2}
    assert (target / "artifacts" / "1" / "run" / "artifacts" / "model.txt").read_text() == "weights"
    assert (target / "secrets" / "jwt_keys.json").read_bytes() == (shop / "secrets" / "jwt_keys.json").read_bytes()
    assert (target / "secrets" / "jwt_keys.json").stat().st_mode & 0o777 == 0o600
    # the restored database is the backup's, byte for byte, and the backup still matches its checksums
    assert sha256_file(target / "minimarket.db") == backup.manifest["files"]["database.sqlite3"]["sha256"]
    assert restored["moved_aside"] == []


def test_an_online_backup_is_a_consistent_snapshot_while_another_process_writes(shop: Path, tmp_path: Path) -> None:
    """A writer process commits two rows per transaction, nonstop, while the backup is taken: the copy holds a
    whole number of transactions (an even count), some but not all of them, and restores as a sound database."""
    database = shop / "minimarket.db"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE ledger (id INTEGER PRIMARY KEY, side TEXT, amount INTEGER)")
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys\n"
            "db = sqlite3.connect(sys.argv[1], timeout=30)\n"
            "db.execute('PRAGMA journal_mode=WAL')\n"
            "while True:\n"
            "    with db:\n"
            "        db.execute(\"INSERT INTO ledger (side, amount) VALUES ('debe', 1)\")\n"
            "        db.execute(\"INSERT INTO ledger (side, amount) VALUES ('haber', -1)\")\n",
            str(database),
        ]
    )
    try:
        deadline = time.monotonic() + 60
        while sqlite_counts(database)["ledger"] < 200:
            assert writer.poll() is None and time.monotonic() < deadline, "the writer did not start"
            time.sleep(0.05)
        backup = create_backup(get_settings())
        time.sleep(0.3)
        assert writer.poll() is None, "the writer kept going during the backup"
    finally:
        writer.kill()
        writer.wait()
    copied = backup.manifest["database"]["tables"]["ledger"]
    assert copied % 2 == 0 and 200 <= copied < sqlite_counts(database)["ledger"]
    assert verify_backup(backup).ok
    target = tmp_path / "restored"
    restore_backup(get_settings(), backup, target_dir=target)
    assert sqlite_integrity(target / "minimarket.db") == "ok"
    with sqlite3.connect(target / "minimarket.db") as db:
        assert db.execute("SELECT count(*), sum(amount) FROM ledger").fetchone() == (copied, 0)


def test_a_corrupted_live_database_is_restored_from_the_backup(shop: Path) -> None:
    settings = get_settings()
    before = sqlite_counts(shop / "minimarket.db")
    backup = create_backup(settings)
    from minimarket.store.db import dispose_engines

    dispose_engines()
    database = shop / "minimarket.db"
    with database.open("r+b") as fh:  # overwrite pages in the middle of the file with garbage
        fh.seek(database.stat().st_size // 3)
        fh.write(b"\xde\xad\xbe\xef" * 4096)
    assert sqlite_integrity(database) != "ok"
    with pytest.raises(BackupError, match="dañada"):
        create_backup(settings)  # a damaged database is never taken for a backup
    assert list_backups(settings) == [backup]

    refused = runner.invoke(app, ["backup", "restore"])
    assert refused.exit_code == 2 and "--yes" in refused.output

    result = _invoke("backup", "restore", "--yes")
    assert "igual que el respaldo" in result.stdout
    assert sqlite_integrity(database) == "ok"
    assert sqlite_counts(database) == before
    aside = sorted(shop.glob("minimarket.db.before-restore-*"))
    assert aside, "the damaged database is kept aside, not deleted"
    # the store works again through the package
    _invoke("db", "upgrade")


@pytest.mark.parametrize("where", [0.2, 0.35, 0.55, 0.6, 0.75])
def test_a_database_damaged_anywhere_is_refused_with_a_clear_error(shop: Path, where: float) -> None:
    """Wherever the damage lands (schema pages, the revision table, data), ``backup create`` says the database
    is damaged and leaves no partial backup; it never fails with a raw driver error."""
    from minimarket.store.db import dispose_engines

    dispose_engines()
    database = shop / "minimarket.db"
    with database.open("r+b") as fh:
        fh.seek(int(database.stat().st_size * where))
        fh.write(b"\xde\xad\xbe\xef" * 4096)
    failed = runner.invoke(app, ["backup", "create"])
    assert failed.exit_code != 0 and "dañada" in failed.output and "Traceback" not in failed.output
    assert list_backups(get_settings()) == []


def test_a_damaged_backup_fails_verification_and_is_not_restored(shop: Path, tmp_path: Path) -> None:
    settings = get_settings()
    backup = create_backup(settings)
    copy = backup.path / "database.sqlite3"
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    check = verify_backup(backup)
    assert not check.ok and any("SHA-256" in p for p in check.problems)
    failed = runner.invoke(app, ["backup", "verify", backup.name])
    assert failed.exit_code == 1 and "DAÑADO" in failed.output
    with pytest.raises(BackupError, match="no pasa la verificación"):
        restore_backup(settings, backup, target_dir=tmp_path / "x")
    assert not (tmp_path / "x" / "minimarket.db").exists()


def test_prune_keeps_the_newest(shop: Path) -> None:
    import datetime as dt

    settings = get_settings()
    moments = [dt.datetime(2026, 12, day, 3, 30, tzinfo=dt.UTC) for day in (1, 2, 3, 4)]
    names = [create_backup(settings, now=moment).name for moment in moments]
    same_second = create_backup(settings, now=moments[-1])
    assert same_second.name == names[-1] + "-2"  # started in the same second: a name of its own
    shutil.rmtree(same_second.path)
    (settings.backups_path / ".partial-mm-stale").mkdir()
    removed = prune_backups(settings, keep=2)
    assert [p.name for p in removed[:2]] == names[:2]
    assert [b.name for b in list_backups(settings)] == names[2:]
    assert "0 respaldo(s)" in _invoke("backup", "prune", "--keep", "2").stdout  # nothing more to remove
    assert "mm-20261204T033000Z" in _invoke("backup", "list").stdout


@pytest.mark.postgres
def test_postgresql_backup_with_pg_dump_and_restore_into_another_database(postgres_url: str, monkeypatch) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    from minimarket.store.db import dispose_engines

    base = make_url(postgres_url)
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        for name in ("mm_backup_live", "mm_backup_restored"):
            connection.execute(f"DROP DATABASE IF EXISTS {name}")
            connection.execute(f"CREATE DATABASE {name}")
    live = base.set(database="mm_backup_live").render_as_string(hide_password=False)
    restored_url = base.set(database="mm_backup_restored").render_as_string(hide_password=False)
    monkeypatch.setenv("MINIMARKET_DATABASE_URL", live)
    get_settings.cache_clear()
    dispose_engines()
    _invoke("catalog", "import")

    backup = create_backup(get_settings())
    assert backup.manifest["database"]["kind"] == "postgresql"
    assert backup.manifest["database"]["tables"]["products"] > 300
    assert "password" not in backup.manifest["database"]["source"]
    assert verify_backup(backup).ok

    result = _invoke("backup", "restore", "--yes", "--database-url", restored_url, "--json")
    tables = json.loads(result.stdout)["tables"]["database"]
    assert tables == backup.manifest["database"]["tables"]
    dispose_engines()
