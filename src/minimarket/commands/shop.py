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
    """Every shop: code, name, created."""
    from sqlalchemy import select

    from minimarket.store.db import session_scope
    from minimarket.store.models import Shop

    with session_scope(all_shops=True) as session:
        rows = [
            {"code": s.code, "name": s.name, "created_at": s.created_at.isoformat() if s.created_at else None}
            for s in session.scalars(select(Shop).order_by(Shop.code))
        ]
    print_json(rows)
