"""Batch document leases (several API replicas on one store): on a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic import command
from sqlalchemy import inspect, select, update

from minimarket.store import batches as repo
from minimarket.store.db import (
    alembic_config,
    current_revision,
    get_engine,
    head_revision,
    session_scope,
    upgrade_database,
)
from minimarket.store.models import BatchDocument, utcnow


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, isolated_state) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{isolated_state / 'leases.db'}"
    return str(request.getfixturevalue("pg_database"))


def _batch(url: str, documents: int) -> str:
    with session_scope(url=url) as session:
        docs = [repo.NewDocument(f"f{i}.pdf", f"{i:064x}", {}) for i in range(documents)]
        return repo.create_batch(session, docs, budget_seconds=600).id


def _claim(url: str, owner: str, limit: int, lease: float = 30.0) -> list[repo.WorkItem]:
    with session_scope(all_shops=True, url=url) as session:
        return repo.claim_pending(session, limit, owner=owner, lease_seconds=lease)


def test_a_claimed_document_is_not_claimed_again_until_its_lease_lapses(store_url: str) -> None:
    _batch(store_url, 3)
    mine = _claim(store_url, "replica-a", 2)
    theirs = _claim(store_url, "replica-b", 5)
    assert len(mine) == 2 and len(theirs) == 1
    assert not {i.document_id for i in mine} & {i.document_id for i in theirs}
    assert _claim(store_url, "replica-b", 5) == []
    with session_scope(all_shops=True, url=store_url) as session:  # replica A died: its leases lapse
        session.execute(
            update(BatchDocument)
            .where(BatchDocument.claimed_by == "replica-a")
            .values(lease_until=utcnow() - dt.timedelta(seconds=1))
        )
    taken = _claim(store_url, "replica-b", 5)
    assert {i.document_id for i in taken} == {i.document_id for i in mine}
    with session_scope(all_shops=True, url=store_url) as session:
        assert repo.renew_leases(session, [i.document_id for i in mine], owner="replica-a", lease_seconds=30) == 0
        assert repo.renew_leases(session, [i.document_id for i in taken], owner="replica-b", lease_seconds=30) == 2
        owners = session.scalars(select(BatchDocument.claimed_by)).all()
        assert sorted(owners) == ["replica-b"] * 3


def test_a_released_document_goes_back_to_pending_and_a_restart_keeps_live_leases(store_url: str) -> None:
    _batch(store_url, 2)
    first, second = _claim(store_url, "replica-a", 2)
    with session_scope(all_shops=True, url=store_url) as session:
        repo.release(session, first.document_id, owner="someone-else")  # not theirs: nothing happens
        repo.release(session, first.document_id, owner="replica-a")
        # a replica starting on PostgreSQL leaves the live lease of another replica alone
        assert repo.resume_interrupted(session, 600, all_running=False) == 1
        rows = dict(session.execute(select(BatchDocument.id, BatchDocument.status)).tuples().all())
    assert rows == {first.document_id: repo.PENDING, second.document_id: repo.RUNNING}


@pytest.mark.postgres
def test_replicas_claiming_at_once_never_share_a_document(pg_database: str) -> None:
    _batch(pg_database, 40)
    get_engine(pg_database)  # one engine, pooled connections for the threads

    def claim(owner: str) -> list[int]:
        got: list[int] = []
        while items := _claim(pg_database, owner, 3):
            got += [i.document_id for i in items]
        return got

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(claim, [f"replica-{n}" for n in range(4)]))
    claimed = [doc for result in results for doc in result]
    assert len(claimed) == 40 and len(set(claimed)) == 40


def test_migration_0008_goes_up_and_down(store_url: str) -> None:
    upgrade_database(store_url)
    columns = {c["name"] for c in inspect(get_engine(store_url)).get_columns("batch_documents")}
    assert {"claimed_by", "lease_until"} <= columns
    config = alembic_config(store_url)
    with get_engine(store_url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    assert current_revision(store_url) == "0006"
    get_engine(store_url).dispose()
    columns = {c["name"] for c in inspect(get_engine(store_url)).get_columns("batch_documents")}
    assert not {"claimed_by", "lease_until"} & columns
    upgrade_database(store_url)
    assert current_revision(store_url) == head_revision()
