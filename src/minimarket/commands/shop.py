"""``minimarket shop``: create and list the shops (tenants) of the database. The only command that creates one."""

from __future__ import annotations

import typer

from minimarket.commands.common import fail, print_json

app = typer.Typer(
    help="Shops: create and list them (every other command works on an existing shop).", no_args_is_help=True
)


@app.command("create")
def create_cmd(
    code: str = typer.Argument(..., help="Shop code: 1-40 letters, digits, '.', '_' or '-' (e.g. almacen-norte)."),
    name: str | None = typer.Option(None, "--name", help="The shop's name as people read it."),
) -> None:
    """Create a shop (nothing happens if it exists already); prints its code and name."""
    from minimarket.store.db import InvalidShopCode, ensure_shop, find_shop, session_scope

    try:
        with session_scope(all_shops=True) as session:
            existed = find_shop(session, code) is not None
            shop = ensure_shop(session, code, name)
            result = {"code": shop.code, "name": shop.name, "created": not existed}
    except InvalidShopCode as exc:
        fail(str(exc), 2)
    print_json(result)


@app.command("list")
def list_cmd() -> None:
    """Every shop: code, name, created, and its chain (null when it is in none)."""
    from sqlalchemy import select

    from minimarket.store.db import session_scope
    from minimarket.store.models import Chain, Shop

    with session_scope(all_shops=True) as session:
        chains = dict(session.execute(select(Chain.id, Chain.code)).tuples().all())
        rows = [
            {
                "code": s.code,
                "name": s.name,
                "created_at": s.created_at.isoformat() if s.created_at else None,
                "chain": chains.get(s.chain_id) if s.chain_id is not None else None,
            }
            for s in session.scalars(select(Shop).order_by(Shop.code))
        ]
    print_json(rows)


chain_app = typer.Typer(help="Chains of shops: create and list them.", no_args_is_help=True)
app.add_typer(chain_app, name="chain")


@chain_app.command("create")
def chain_create_cmd(
    code: str = typer.Argument(..., help="Chain code: 1-40 letters, digits, '.', '_' or '-' (e.g. cadena-sur)."),
    name: str | None = typer.Option(None, "--name", help="The chain's name as people read it."),
) -> None:
    """Create a chain (nothing happens if it exists already); prints its code and name."""
    from minimarket.store.chains import create_chain
    from minimarket.store.db import InvalidShopCode, session_scope

    try:
        with session_scope(all_shops=True) as session:
            chain, created = create_chain(session, code, name)
            result = {"code": chain.code, "name": chain.name, "created": created}
    except InvalidShopCode as exc:
        fail(str(exc).replace("código de comercio", "código de cadena"), 2)
    print_json(result)


@chain_app.command("list")
def chain_list_cmd() -> None:
    """Every chain: code, name and its shops."""
    from minimarket.store.chains import list_chains
    from minimarket.store.db import session_scope

    with session_scope(all_shops=True) as session:
        rows = [info.as_json() for info in list_chains(session)]
    print_json(rows)


@app.command("join")
def join_cmd(
    shop: str = typer.Argument(..., help="Shop code."),
    chain: str = typer.Option(..., "--chain", help="Chain code (minimarket shop chain create)."),
) -> None:
    """Put SHOP in a chain (a shop is in one chain at most: joining another moves it)."""
    from minimarket.store.chains import join_chain
    from minimarket.store.db import InvalidShopCode, session_scope

    try:
        with session_scope(all_shops=True) as session:
            joined = join_chain(session, shop, chain)
            result = {"shop": joined.code, "chain": chain.strip()}
    except (InvalidShopCode, LookupError) as exc:
        fail(str(exc), 2)
    print_json(result)


@app.command("leave")
def leave_cmd(shop: str = typer.Argument(..., help="Shop code.")) -> None:
    """Take SHOP out of its chain."""
    from minimarket.store.chains import leave_chain
    from minimarket.store.db import InvalidShopCode, session_scope

    try:
        with session_scope(all_shops=True) as session:
            left = leave_chain(session, shop)
    except (InvalidShopCode, LookupError) as exc:
        fail(str(exc), 2)
    print_json({"shop": shop.strip(), "left": left})
