"""Engines, sessions scoped to one shop, and migrations.

A session opened with :func:`session_scope` belongs to one shop: every SELECT/UPDATE/DELETE on a
shop-owned table is filtered to that shop, and new rows get its ``shop_id``. Crossing shops has to be
asked for explicitly with ``session_scope(all_shops=True)`` or the execution option ``all_shops=True``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from minimarket.config import get_settings
from minimarket.store.models import Shop, ShopOwned

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

MIGRATION_LOCK_KEY = 0x6D6D_6D69_6772
"""PostgreSQL advisory lock held (for the transaction) while migrations run: replicas migrate one at a time."""

_engines: dict[str, Engine] = {}
_upgraded: set[str] = set()
_lock = threading.Lock()
_migrating = threading.Lock()


class CrossShopWrite(RuntimeError):
    """A session scoped to one shop tried to write a row of another shop."""


class InvalidShopCode(ValueError):
    """A shop code that does not follow :data:`SHOP_CODE` (Spanish message)."""


class UnknownShop(LookupError):
    """No shop has this code (and the caller did not ask to create it)."""


SHOP_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
"""A shop code: 1 to 40 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit."""


def check_shop_code(code: str) -> str:
    """``code`` without surrounding spaces if it is a valid shop code; :class:`InvalidShopCode` otherwise."""
    value = code.strip() if isinstance(code, str) else ""
    if not SHOP_CODE.fullmatch(value):
        shown = code[:40] if isinstance(code, str) else code
        raise InvalidShopCode(
            f"código de comercio {shown!r} inválido: use de 1 a 40 letras (sin acentos), números, '.', '_' o '-', "
            "empezando por una letra o un número"
        )
    return value


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


READ_ONLY = "minimarket_read_only"
"""Execution option: this transaction only reads (SQLite then begins it deferred instead of immediate)."""


def _sqlite_begin(connection: Any) -> None:
    """Begin SQLite transactions ourselves (the driver's own handling is off): ``BEGIN IMMEDIATE`` takes the
    write lock up front, so two writers queue on the busy timeout instead of one failing with "database is
    locked" when its read snapshot cannot be upgraded to a write; a read-only transaction begins deferred."""
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def database_url(url: str | None = None) -> str:
    """The URL to use: the given one, else ``MINIMARKET_DATABASE_URL``, else the SQLite file under var/."""
    return url or get_settings().sqlalchemy_url


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL per process (SQLite: WAL, foreign keys, busy timeout; folder created)."""
    resolved = database_url(url)
    with _lock:
        engine = _engines.get(resolved)
        if engine is not None:
            return engine
        parsed = make_url(resolved)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(resolved, connect_args={"timeout": 30, "isolation_level": None})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            settings = get_settings()
            engine = create_engine(
                resolved,
                pool_pre_ping=True,
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
                pool_timeout=settings.db_pool_timeout_seconds,
            )
        _engines[resolved] = engine
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests, forks)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _upgraded.clear()


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    return config


def current_revision(url: str | None = None) -> str | None:
    """The schema revision, read without the write lock (a backup must not wait behind a busy writer)."""
    with get_engine(url).connect().execution_options(**{READ_ONLY: True}) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade_database(url: str | None = None, revision: str = "head") -> str | None:
    """Apply migrations up to ``revision`` and make sure the default shop exists; returns the revision."""
    resolved = database_url(url)
    config = alembic_config(resolved)
    engine = get_engine(resolved)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # several replicas starting together: one migrates, the others wait here and then find it done
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    if revision == "head":
        with Session(engine) as session:
            ensure_shop(session, get_settings().default_shop_code, get_settings().default_shop_name)
            session.commit()
        _upgraded.add(resolved)
    return current_revision(resolved)


def ensure_database(url: str | None = None) -> None:
    """Upgrade to head once per process if the database is behind (a fresh SQLite file included)."""
    resolved = database_url(url)
    if resolved in _upgraded:
        return
    with _migrating:  # threads of one process (a service's workers) racing on a fresh database migrate once
        if resolved in _upgraded:
            return
        if current_revision(resolved) != head_revision():
            upgrade_database(resolved)
        _upgraded.add(resolved)


def ensure_shop(session: Session, code: str, name: str | None = None) -> Shop:
    """The shop with ``code`` (validated, trimmed), created if missing."""
    code = check_shop_code(code)
    shop = session.scalars(select(Shop).where(Shop.code == code)).one_or_none()
    if shop is None:
        label = " ".join((name or code).split())[:200] or code
        shop = Shop(code=code, name=label)
        session.add(shop)
        session.flush()
    return shop


def find_shop(session: Session, code: str) -> Shop | None:
    """The shop with ``code`` (validated, trimmed), or None."""
    return session.scalars(select(Shop).where(Shop.code == check_shop_code(code))).one_or_none()


@event.listens_for(Session, "do_orm_execute")
def _filter_to_shop(state: ORMExecuteState) -> None:
    shop_id = state.session.info.get("shop_id")
    if shop_id is None or state.execution_options.get("all_shops", False):
        return
    if state.is_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(
            with_loader_criteria(ShopOwned, lambda cls: cls.shop_id == shop_id, include_aliases=True)
        )


@event.listens_for(Session, "before_flush")
def _stamp_shop(session: Session, _context: Any, _instances: Any) -> None:
    shop_id = session.info.get("shop_id")
    if shop_id is None:
        return
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, ShopOwned):
            continue
        current = getattr(obj, "shop_id", None)
        if current is None:
            obj.shop_id = shop_id
        elif current != shop_id:
            raise CrossShopWrite(
                f"{type(obj).__name__} belongs to shop {current}, but this session works on shop {shop_id}"
            )


@contextmanager
def session_scope(
    shop: str | None = None,
    *,
    url: str | None = None,
    all_shops: bool = False,
    create_shop: bool = True,
    read_only: bool = False,
) -> Iterator[Session]:
    """A transaction scoped to one shop (the default shop unless ``shop`` names another).

    Commits on success, rolls back on any error. ``all_shops=True`` opens an unscoped session for
    cross-shop reports and administration. ``read_only=True`` marks a transaction that only reads (on
    SQLite it then does not take the write lock, so it never waits for writers).
    """
    settings = get_settings()
    resolved = database_url(url)
    ensure_database(resolved)
    with Session(get_engine(resolved), expire_on_commit=False) as session:
        try:
            if read_only:
                session.connection(execution_options={READ_ONLY: True})
            if not all_shops:
                code = shop or settings.default_shop_code
                if create_shop:
                    shop_row = ensure_shop(session, code)
                else:
                    found = find_shop(session, code)
                    if found is None:
                        name = code.strip()
                        raise UnknownShop(f"no existe el comercio {name!r}; créelo con 'minimarket shop create {name}'")
                    shop_row = found
                session.info["shop_id"] = shop_row.id
                session.info["shop_code"] = shop_row.code
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
