"""Backups: the shop's database, the MLflow store and the secrets, consistent, checksummed, restorable.

A backup is a folder ``<backup dir>/mm-<UTC time>/`` holding

* ``database.sqlite3`` (SQLite's online backup API: a consistent copy while the service writes) or
  ``database.pgdump`` (``pg_dump --format=custom`` of an exported snapshot, the row counts taken in that same
  snapshot);
* ``mlflow.sqlite3`` / ``mlflow.pgdump`` (the tracking and registry database) and ``mlflow-artifacts.tar.gz``;
* ``secrets.tar.gz`` (token signing and callback keys; the backup folder is 0700, its files 0600);
* ``manifest.json``: the SHA-256 and size of every file, the row count of every table, the schema revision.

It is written under a ``.partial-`` name and renamed when complete, so a half-written backup is never taken
for one. ``verify`` re-checks checksums, SQLite's integrity and the row counts; ``restore`` verifies first,
moves what it replaces aside (nothing is lost) and checks the restored row counts against the manifest.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from minimarket import __version__
from minimarket.config import Settings

MANIFEST = "manifest.json"
PREFIX = "mm-"
PARTIAL = ".partial-"
FORMAT = 1


class BackupError(RuntimeError):
    """A backup that cannot be made, verified or restored; the message says why and what to do."""


# --- where things are -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    """A database to back up: a SQLite file or a PostgreSQL URL."""

    kind: str  # "sqlite" | "postgresql"
    url: str
    path: Path | None = None


def _database(url: str) -> Database:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise BackupError(f"no se puede respaldar una base SQLite en memoria ({url})")
        return Database("sqlite", url, Path(parsed.database).resolve())
    if backend == "postgresql":
        return Database("postgresql", url)
    raise BackupError(f"base de datos no soportada para respaldos: {backend} (se admiten SQLite y PostgreSQL)")


def mlflow_database(settings: Settings) -> Database | None:
    """The MLflow tracking/registry database, when this machine can reach it."""
    uri = settings.tracking_uri
    if uri.startswith("sqlite:///"):
        database = _database(uri)
        return database if database.path is not None and database.path.is_file() else None
    if settings.mlflow_backend_url:
        return _database(settings.mlflow_backend_url)
    return None


def mlflow_artifacts(settings: Settings) -> Path | None:
    """Where MLflow keeps artifacts (the same rule as :func:`minimarket.tracking.artifact_location`)."""
    if not settings.mlflow_uri:
        return settings.artifact_root
    if settings.tracking_uri.startswith("sqlite:///"):
        return Path(settings.tracking_uri.removeprefix("sqlite:///")).resolve().parent / "artifacts"
    return settings.mlflow_artifacts_dir


# --- small helpers ----------------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def sqlite_counts(path: Path) -> dict[str, int]:
    """Rows of every table of a SQLite file (FTS tables included)."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        names = [
            row[0]
            for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        ]
        return {name: int(db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in sorted(names)}


def sqlite_integrity(path: Path) -> str:
    """``ok``, or what SQLite's integrity check found (or why the file does not open as a database)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            rows = db.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    text = "; ".join(str(r[0]) for r in rows)
    return "ok" if text == "ok" else text[:500]


def _sqlite_revision(path: Path) -> str | None:
    """The Alembic revision stamped in a SQLite file, read-only (``None`` before the first migration)."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        try:
            row = db.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:  # no alembic_version table: never migrated
            return None
    return str(row[0]) if row else None


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (the online backup API), written to ``target``."""
    if not source.is_file():
        raise BackupError(f"no existe la base de datos {source}")
    target.unlink(missing_ok=True)
    try:
        with contextlib.closing(sqlite3.connect(str(source), timeout=30)) as src:
            with contextlib.closing(sqlite3.connect(str(target))) as dst:
                src.backup(dst)
            # a copy in rollback-journal mode: one self-contained file
            with contextlib.closing(sqlite3.connect(str(target))) as dst:
                dst.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"no se pudo copiar {source}: {exc} (¿base dañada? vea `minimarket backup restore`)") from exc
    state = sqlite_integrity(target)
    if state != "ok":
        raise BackupError(
            f"la copia de {source} no pasa el control de integridad ({state}); la base en uso está dañada"
        )


def _pg_tool(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return found[-1]
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(f"falta {name} (paquete postgresql-client) para respaldar PostgreSQL")
    return tool


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment carrying it (never on a command line)."""
    parsed = make_url(url).set(drivername="postgresql")
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return parsed.set(password=None).render_as_string(hide_password=False), env


def _pg_counts(cursor: Any) -> dict[str, int]:
    from psycopg import sql

    cursor.execute(
        "SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') "
        "ORDER BY schemaname, tablename"
    )
    counts = {}
    for schema, table in cursor.fetchall():
        cursor.execute(sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table)))
        key = table if schema == "public" else f"{schema}.{table}"
        counts[key] = int(cursor.fetchone()[0])
    return counts


def _pg_dump(database: Database, target: Path) -> dict[str, int]:
    """``pg_dump -Fc`` of an exported snapshot; the row counts are taken in that same snapshot."""
    import psycopg

    conninfo, env = _libpq(database.url)
    with psycopg.connect(conninfo, password=env.get("PGPASSWORD")) as connection:
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        connection.read_only = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            row = cursor.fetchone()
            assert row is not None
            counts = _pg_counts(cursor)
            done = subprocess.run(
                [_pg_tool("pg_dump"), "--format=custom", f"--snapshot={row[0]}", f"--file={target}", conninfo],
                env=env,
                capture_output=True,
                text=True,
            )
        connection.commit()
    if done.returncode != 0:
        raise BackupError(f"pg_dump falló: {done.stderr.strip()[-500:]}")
    return counts


def _pg_database_counts(url: str) -> dict[str, int]:
    import psycopg

    conninfo, env = _libpq(url)
    with psycopg.connect(conninfo, password=env.get("PGPASSWORD")) as connection, connection.cursor() as cursor:
        return _pg_counts(cursor)


def _tar(source: Path, target: Path) -> int:
    """``source`` folder into a .tar.gz (paths relative to it); returns the number of files."""
    count = 0
    with tarfile.open(target, "w:gz") as tar:
        for path in sorted(source.rglob("*")):
            if path.is_file() and not path.is_symlink():
                tar.add(path, arcname=str(path.relative_to(source)), recursive=False)
                count += 1
    return count


# --- create ----------------------------------------------------------------------------------------------


@dataclass
class Backup:
    """A complete backup folder and its manifest."""

    path: Path
    manifest: dict[str, Any]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def created_at(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.manifest["created_at"])

    @property
    def size(self) -> int:
        return sum(int(f["bytes"]) for f in self.manifest["files"].values())


def _database_part(database: Database, folder: Path, stem: str) -> dict[str, Any]:
    if database.kind == "sqlite":
        assert database.path is not None
        file = folder / f"{stem}.sqlite3"
        _sqlite_copy(database.path, file)
        return {"kind": "sqlite", "file": file.name, "source": str(database.path), "tables": sqlite_counts(file)}
    file = folder / f"{stem}.pgdump"
    counts = _pg_dump(database, file)
    source = make_url(database.url).render_as_string(hide_password=True)
    return {"kind": "postgresql", "file": file.name, "source": source, "tables": counts}


def _claim_name(root: Path, stem: str) -> tuple[str, Path]:
    """A backup name free in ``root`` and its partial folder, created here (two backups started in the same
    second get ``stem`` and ``stem-2``, never the same folder)."""
    suffix = 1
    while True:
        name = stem if suffix == 1 else f"{stem}-{suffix}"
        partial = root / f"{PARTIAL}{name}"
        if not (root / name).exists():
            try:
                partial.mkdir(mode=0o700)
            except FileExistsError:
                pass
            else:
                os.chmod(partial, 0o700)
                return name, partial
        suffix += 1


def create_backup(settings: Settings, *, now: dt.datetime | None = None) -> Backup:
    """Back up the database, MLflow and the secrets into a new folder under ``settings.backups_path``."""
    from minimarket.store.db import current_revision

    moment = now or dt.datetime.now(dt.UTC)
    root = settings.backups_path
    _private_dir(root)
    name, partial = _claim_name(root, f"{PREFIX}{moment:%Y%m%dT%H%M%SZ}")
    try:
        database = _database_part(_database(settings.sqlalchemy_url), partial, "database")
        if database["kind"] == "sqlite":  # the copy's revision: the snapshot's, and the copy passed its check
            revision = _sqlite_revision(partial / database["file"])
        else:
            revision = current_revision(settings.sqlalchemy_url)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "name": name,
            "created_at": moment.isoformat(),
            "minimarket_version": __version__,
            "schema_revision": revision,
            "database": database,
        }
        tracking = mlflow_database(settings)
        manifest["mlflow"] = _database_part(tracking, partial, "mlflow") if tracking else None
        artifacts = mlflow_artifacts(settings)
        if artifacts is not None and artifacts.is_dir():
            count = _tar(artifacts, partial / "mlflow-artifacts.tar.gz")
            manifest["mlflow_artifacts"] = {"file": "mlflow-artifacts.tar.gz", "source": str(artifacts), "files": count}
        else:
            manifest["mlflow_artifacts"] = None
        if settings.secrets_dir.is_dir():
            count = _tar(settings.secrets_dir, partial / "secrets.tar.gz")
            manifest["secrets"] = {"file": "secrets.tar.gz", "files": count}
        else:
            manifest["secrets"] = None
        files = {}
        for path in sorted(partial.iterdir()):
            os.chmod(path, 0o600)
            files[path.name] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
        manifest["files"] = files
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        os.chmod(partial / MANIFEST, 0o600)
        os.replace(partial, root / name)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return Backup(root / name, manifest)


# --- list, verify, prune ---------------------------------------------------------------------------------


def read_backup(path: Path) -> Backup:
    manifest_path = path / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} no es un respaldo completo: falta o no se lee {MANIFEST} ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: formato de respaldo {manifest.get('format')!r} desconocido (se espera {FORMAT})")
    return Backup(path, manifest)


def list_backups(settings: Settings) -> list[Backup]:
    """Complete backups, oldest first (a folder without a readable manifest is skipped)."""
    root = settings.backups_path
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.glob(f"{PREFIX}*")):
        with contextlib.suppress(BackupError):
            found.append(read_backup(path))
    return sorted(found, key=lambda b: (b.created_at, b.name))


def find_backup(settings: Settings, name: str | None) -> Backup:
    """The backup called ``name`` (a folder name or path), or the latest one."""
    if name is None:
        backups = list_backups(settings)
        if not backups:
            raise BackupError(f"no hay respaldos en {settings.backups_path} (minimarket backup create)")
        return backups[-1]
    path = Path(name)
    if not path.is_absolute() and not path.exists():
        path = settings.backups_path / name
    if not path.is_dir():
        raise BackupError(f"no existe el respaldo {name} (vea minimarket backup list)")
    return read_backup(path)


@dataclass
class Verification:
    backup: Backup
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_backup(backup: Backup) -> Verification:
    """Checksums of every file, then each part: SQLite integrity and row counts, pg_restore's table of
    contents, readable archives."""
    result = Verification(backup)
    for name, info in backup.manifest["files"].items():
        path = backup.path / name
        if not path.is_file():
            result.problems.append(f"falta el archivo {name}")
        elif sha256_file(path) != info["sha256"]:
            result.problems.append(f"{name}: la suma SHA-256 no coincide (archivo dañado o modificado)")
    if result.problems:
        return result
    for key in ("database", "mlflow"):
        part = backup.manifest.get(key)
        if not part:
            continue
        path = backup.path / part["file"]
        if part["kind"] == "sqlite":
            state = sqlite_integrity(path)
            if state != "ok":
                result.problems.append(f"{part['file']}: control de integridad: {state}")
            elif sqlite_counts(path) != part["tables"]:
                result.problems.append(f"{part['file']}: las filas por tabla no coinciden con el manifiesto")
        else:
            listed = subprocess.run([_pg_tool("pg_restore"), "--list", str(path)], capture_output=True, text=True)
            if listed.returncode != 0:
                result.problems.append(f"{part['file']}: pg_restore no lo lee ({listed.stderr.strip()[-300:]})")
    for key in ("mlflow_artifacts", "secrets"):
        part = backup.manifest.get(key)
        if not part:
            continue
        try:
            with tarfile.open(backup.path / part["file"], "r:gz") as tar:
                members = [m for m in tar.getmembers() if m.isfile()]
                for member in members:
                    extracted = tar.extractfile(member)
                    if extracted is not None:
                        while extracted.read(1024 * 1024):
                            pass
            if len(members) != part["files"]:
                result.problems.append(f"{part['file']}: {len(members)} archivos, el manifiesto dice {part['files']}")
        except (tarfile.TarError, OSError, EOFError) as exc:
            result.problems.append(f"{part['file']}: no se lee ({exc})")
    return result


def prune_backups(settings: Settings, keep: int | None = None) -> list[Path]:
    """Remove all but the newest ``keep`` backups (``Settings.backup_keep``) and stale partial folders."""
    keep = settings.backup_keep if keep is None else keep
    if keep < 1:
        raise BackupError("hay que conservar al menos un respaldo (--keep 1 o más)")
    removed = []
    backups = list_backups(settings)
    for backup in backups[: max(0, len(backups) - keep)]:
        shutil.rmtree(backup.path)
        removed.append(backup.path)
    cutoff = dt.datetime.now().timestamp() - 86400
    for partial in settings.backups_path.glob(f"{PARTIAL}*") if settings.backups_path.is_dir() else []:
        if partial.stat().st_mtime < cutoff:
            shutil.rmtree(partial, ignore_errors=True)
            removed.append(partial)
    return removed


# --- restore ---------------------------------------------------------------------------------------------


@dataclass
class Restored:
    """What a restore wrote, what it moved aside, and the row counts it checked."""

    backup: Backup
    written: list[str] = field(default_factory=list)
    moved_aside: list[str] = field(default_factory=list)
    tables: dict[str, dict[str, int]] = field(default_factory=dict)


def _aside(path: Path, stamp: str, restored: Restored) -> None:
    """Move an existing file or folder out of the way (``<name>.before-restore-<time>``)."""
    if path.exists() or path.is_symlink():
        target = path.with_name(f"{path.name}.before-restore-{stamp}")
        os.replace(path, target)
        restored.moved_aside.append(str(target))


def _restore_sqlite(source: Path, target: Path, checksum: str, stamp: str, restored: Restored) -> dict[str, int]:
    """Copy the verified backup file next to ``target``, check its checksum, then move it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(target.name + ".restoring")
    staging.unlink(missing_ok=True)
    shutil.copyfile(source, staging)
    if sha256_file(staging) != checksum:
        staging.unlink()
        raise BackupError(f"la copia de {source.name} en {staging.parent} no coincide con su suma SHA-256")
    for extra in (target, target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        _aside(extra, stamp, restored)
    os.replace(staging, target)
    restored.written.append(str(target))
    return sqlite_counts(target)


def _restore_pg(source: Path, url: str, restored: Restored) -> dict[str, int]:
    conninfo, env = _libpq(url)
    done = subprocess.run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            f"--dbname={conninfo}",
            str(source),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore falló: {done.stderr.strip()[-500:]}")
    restored.written.append(make_url(url).render_as_string(hide_password=True))
    return _pg_database_counts(url)


def _untar(source: Path, target: Path, stamp: str, restored: Restored, private: bool = False) -> None:
    _aside(target, stamp, restored)
    staging = target.with_name(target.name + ".restoring")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with tarfile.open(source, "r:gz") as tar:
        tar.extractall(staging, filter="data")
    if private:
        os.chmod(staging, 0o700)
        for path in staging.rglob("*"):
            os.chmod(path, 0o700 if path.is_dir() else 0o600)
    os.replace(staging, target)
    restored.written.append(str(target))


def restore_backup(
    settings: Settings,
    backup: Backup,
    *,
    target_dir: Path | None = None,
    database_url: str | None = None,
    mlflow_url: str | None = None,
) -> Restored:
    """Restore ``backup``: into ``target_dir`` (a state folder: minimarket.db, mlflow.db, artifacts/, secrets/)
    or, without it, over the live locations of ``settings``. PostgreSQL dumps go to ``database_url`` /
    ``mlflow_url`` (default: the live ones). The backup is verified first; restored row counts must match."""
    check = verify_backup(backup)
    if not check.ok:
        raise BackupError(f"el respaldo {backup.name} no pasa la verificación: " + "; ".join(check.problems))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    restored = Restored(backup)
    manifest = backup.manifest
    if target_dir is not None:
        target_dir.mkdir(parents=True, exist_ok=True)
    live_mlflow = mlflow_database(settings)
    if live_mlflow is None and settings.tracking_uri.startswith("sqlite:///"):
        live_mlflow = _database(settings.tracking_uri)  # restoring over a store that does not exist yet
    for key, live_url, override, file_name in (
        ("database", settings.sqlalchemy_url, database_url, "minimarket.db"),
        ("mlflow", live_mlflow.url if live_mlflow else None, mlflow_url, "mlflow.db"),
    ):
        part = manifest.get(key)
        if not part:
            continue
        source = backup.path / part["file"]
        if part["kind"] == "sqlite":
            if target_dir is not None:
                target = target_dir / file_name
            elif live_url and _database(live_url).kind == "sqlite":
                target = _database(live_url).path  # type: ignore[assignment]
            else:
                raise BackupError(f"{key}: el respaldo es SQLite pero la base en uso no; use --to CARPETA")
            counts = _restore_sqlite(source, target, manifest["files"][part["file"]]["sha256"], stamp, restored)
        else:
            url = override or (live_url if target_dir is None else None)
            if not url or _database(url).kind != "postgresql":
                raise BackupError(f"{key}: el respaldo es de PostgreSQL; indique la base destino (--database-url)")
            counts = _restore_pg(source, url, restored)
        if counts != part["tables"]:
            differing = sorted(t for t in set(counts) | set(part["tables"]) if counts.get(t) != part["tables"].get(t))
            raise BackupError(f"{key}: filas restauradas distintas del manifiesto en {', '.join(differing)}")
        restored.tables[key] = counts
    artifacts = manifest.get("mlflow_artifacts")
    if artifacts:
        place = target_dir / "artifacts" if target_dir is not None else mlflow_artifacts(settings)
        if place is None:
            raise BackupError("no se sabe dónde van los artefactos de MLflow: defina MINIMARKET_MLFLOW_ARTIFACTS_DIR")
        _untar(backup.path / artifacts["file"], place, stamp, restored)
    secrets = manifest.get("secrets")
    if secrets:
        target = target_dir / "secrets" if target_dir is not None else settings.secrets_dir
        _untar(backup.path / secrets["file"], target, stamp, restored, private=True)
    return restored
