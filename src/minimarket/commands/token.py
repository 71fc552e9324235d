"""``minimarket token``: API tokens (create), signing key rotation, and a shop's callback secret."""

from __future__ import annotations

import datetime as dt

import typer

from minimarket.commands.common import fail

app = typer.Typer(help="API tokens: create, rotate the signing key, callback secret.", no_args_is_help=True)


@app.command("create")
def create_cmd(
    role: str = typer.Option(..., "--role", help="client (extract, batch, predict), manager (read, review), admin."),
    shop: str | None = typer.Option(None, "--shop", help="Shop code (default: the default shop)."),
    chain: str | None = typer.Option(
        None, "--chain", help="Chain code: a manager/admin token reading every shop of the chain (not with --shop)."
    ),
    ttl: float | None = typer.Option(None, "--ttl", help="Days the token is valid (default: Settings, 30)."),
    subject: str | None = typer.Option(None, "--subject", help="Who uses it (default: role@shop)."),
) -> None:
    """Print a signed token for ROLE in SHOP (or in a whole CHAIN); the token alone is on the last line."""
    from minimarket.config import get_settings
    from minimarket.service.auth import KeyRing, Role, create_token

    settings = get_settings()
    try:
        chosen = Role(role.strip().lower())
    except ValueError:
        fail(f"rol {role!r} desconocido; use client, manager o admin", 2)
    days = settings.token_ttl_days if ttl is None else ttl
    if days <= 0:
        fail("--ttl debe ser un número de días mayor que 0", 2)
    if chain is not None and shop is not None:
        fail("use --shop o --chain, no los dos: un token tiene un comercio o una cadena", 2)
    if chain is not None:
        _check_chain(chain)
    ring = KeyRing.load_or_create(settings)
    try:
        token = create_token(
            ring,
            role=chosen,
            shop=None if chain is not None else (shop or settings.default_shop_code),
            chain=chain.strip() if chain is not None else None,
            audience=settings.jwt_audience,
            ttl=dt.timedelta(days=days),
            subject=subject,
        )
    except ValueError as exc:
        fail(str(exc), 2)
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
    scope = f"la cadena «{chain.strip()}»" if chain is not None else f"«{shop or settings.default_shop_code}»"
    typer.echo(f"# {chosen.value} de {scope}, vence {expires:%d/%m/%Y %H:%M} UTC", err=True)
    typer.echo(token)


def _check_chain(code: str) -> None:
    """Exit with a clear error unless chain ``code`` exists."""
    from minimarket.store.chains import UnknownChain, chain_members
    from minimarket.store.db import InvalidShopCode, session_scope

    try:
        with session_scope(all_shops=True, read_only=True) as session:
            chain_members(session, code)
    except (UnknownChain, InvalidShopCode) as exc:
        fail(str(exc), 2)


@app.command("rotate-key")
def rotate_cmd() -> None:
    """Make a new signing key; tokens of the previous key keep working for Settings.key_grace_days."""
    from minimarket.config import get_settings
    from minimarket.service.auth import KeyRing

    settings = get_settings()
    ring = KeyRing.load_or_create(settings)
    key = ring.rotate()
    typer.echo(f"nueva clave {key.kid}; la anterior se acepta {settings.key_grace_days:g} días más")


@app.command("callback-secret")
def callback_secret_cmd(shop: str | None = typer.Option(None, "--shop", help="Shop code.")) -> None:
    """Print the key a shop's callback receiver verifies X-Minimarket-Signature with (HMAC-SHA256)."""
    from minimarket.config import get_settings
    from minimarket.service.callbacks import shop_secret

    settings = get_settings()
    typer.echo(shop_secret(settings, shop or settings.default_shop_code))
