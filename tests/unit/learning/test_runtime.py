"""The champion record of learning.runtime: no store means rules; an unchanged store is answered by the record
without MLflow; any write to the store makes the record stale."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from minimarket.config import Settings
from minimarket.learning import runtime


def test_no_tracking_store_means_rules(tmp_path: Path) -> None:
    settings = Settings(mlflow_uri=f"sqlite:///{tmp_path / 'none' / 'mlflow.db'}", var_dir=tmp_path / "var")
    assert runtime.champion_version(settings) is None
    reader = runtime.load_reader(settings)
    assert not reader.learned and reader.version is None
    assert not (tmp_path / "var" / "cache").exists()  # nothing to remember


def test_the_record_answers_while_the_store_is_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "mlflow.db"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE t (x INTEGER)")
    settings = Settings(mlflow_uri=f"sqlite:///{db}", var_dir=tmp_path / "var")
    fingerprint = runtime._store_fingerprint(db)
    runtime._write_record(settings, runtime.ChampionRecord(settings.tracking_uri, "7", "run", fingerprint))

    probe = (
        "import sys\nfrom minimarket.config import Settings\nfrom minimarket.learning.runtime import champion_version\n"
        f"print(champion_version(Settings(mlflow_uri={settings.tracking_uri!r}, var_dir={str(tmp_path / 'var')!r})))\n"
        "print('mlflow' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["7", "False"], done.stderr

    with sqlite3.connect(db) as connection:  # any write (a promotion included) changes the fingerprint
        connection.execute("INSERT INTO t VALUES (1)")
    assert runtime._store_fingerprint(db) != fingerprint
