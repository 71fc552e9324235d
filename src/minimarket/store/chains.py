"""Chains of shops: create, list, join and leave, and the member shops a chain token may read.

These run in unscoped sessions (``session_scope(all_shops=True)``): a chain spans shops."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from minimarket.store.db import check_shop_code
from minimarket.store.models import Chain, Shop

__all__ = [
    "ChainInfo",
    "UnknownChain",
    "chain_members",
    "chain_of_shop",
    "create_chain",
    "find_chain",
    "join_chain",
    "leave_chain",
    "list_chains",
    "member_shop",
]


class UnknownChain(LookupError):
    """A chain code that names no chain."""


@dataclass(frozen=True, slots=True)
class ChainInfo:
    code: str
    name: str
    shops: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {"code": self.code, "name": self.name, "shops": list(self.shops)}


def find_chain(session: Session, code: str) -> Chain | None:
    """The chain with ``code`` (validated like a shop code, trimmed), or None."""
    return session.scalars(select(Chain).where(Chain.code == check_shop_code(code))).one_or_none()


def _known(session: Session, code: str) -> Chain:
    chain = find_chain(session, code)
    if chain is None:
        known = ", ".join(session.scalars(select(Chain.code).order_by(Chain.code))) or "ninguna"
        raise UnknownChain(
            f"no existe la cadena {code.strip()!r} (existentes: {known}); créela con "
            f"'minimarket shop chain create {code.strip()}'"
        )
    return chain


def create_chain(session: Session, code: str, name: str | None = None) -> tuple[Chain, bool]:
    """The chain with ``code``, created if missing; and whether it was created."""
    code = check_shop_code(code)
    chain = find_chain(session, code)
    if chain is not None:
        return chain, False
    chain = Chain(code=code, name=" ".join((name or code).split())[:200] or code)
    session.add(chain)
    session.flush()
    return chain, True


def chain_members(session: Session, code: str) -> list[Shop]:
    """The shops of chain ``code`` by code (:class:`UnknownChain` if there is no such chain)."""
    chain = _known(session, code)
    return list(session.scalars(select(Shop).where(Shop.chain_id == chain.id).order_by(Shop.code)))


def list_chains(session: Session) -> list[ChainInfo]:
    """Every chain with its member shops."""
    chains = list(session.scalars(select(Chain).order_by(Chain.code)))
    members: dict[int, list[str]] = {}
    for chain_id, shop in session.execute(
        select(Shop.chain_id, Shop.code).where(Shop.chain_id.is_not(None)).order_by(Shop.code)
    ):
        if chain_id is not None:
            members.setdefault(chain_id, []).append(shop)
    return [ChainInfo(c.code, c.name, tuple(members.get(c.id, []))) for c in chains]


def _shop(session: Session, code: str) -> Shop:
    shop = session.scalars(select(Shop).where(Shop.code == check_shop_code(code))).one_or_none()
    if shop is None:
        raise LookupError(f"no existe el comercio {code.strip()!r}; créelo con 'minimarket shop create {code.strip()}'")
    return shop


def join_chain(session: Session, shop_code: str, chain_code: str) -> Shop:
    """Put shop ``shop_code`` in chain ``chain_code`` (moving it if it was in another)."""
    chain = _known(session, chain_code)
    shop = _shop(session, shop_code)
    shop.chain_id = chain.id
    session.flush()
    return shop


def leave_chain(session: Session, shop_code: str) -> str | None:
    """Take shop ``shop_code`` out of its chain; the code of the chain it left (None if it was in none)."""
    shop = _shop(session, shop_code)
    left = session.get(Chain, shop.chain_id) if shop.chain_id is not None else None
    shop.chain_id = None
    session.flush()
    return left.code if left else None


def member_shop(session: Session, chain_code: str, ref: str) -> Shop | None:
    """The shop named by ``ref`` (its code or its numeric id) if it is a member of chain ``chain_code``; None
    otherwise, whether the shop is missing or belongs elsewhere (the caller must not learn which)."""
    ref = ref.strip()
    query = select(Shop).join(Chain, Shop.chain_id == Chain.id).where(Chain.code == chain_code)
    by_id = ref.isdigit() and len(ref) <= 18
    query = query.where(Shop.id == int(ref) if by_id else Shop.code == ref)
    return session.scalars(query).one_or_none()


def chain_of_shop(session: Session, shop_code: str) -> str | None:
    """The code of the chain shop ``shop_code`` belongs to, or None."""
    query = select(Chain.code).join(Shop, Shop.chain_id == Chain.id).where(Shop.code == shop_code.strip())
    return session.scalars(query).one_or_none()
