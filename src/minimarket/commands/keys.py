"""``minimarket keys``: the API's token signing keys (rotate with a grace period, list).

The keys are the service's own (:class:`minimarket.service.auth.KeyRing`, ``var/secrets/jwt_keys.json``): a
rotation writes a new current key; a running service notices the file changed at its next request, so tokens of
the new key work at once and tokens of the previous key until the grace ends. Older keys are refused.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import typer

from minimarket.commands.common import fail, print_json

app = typer.Typer(help="Token signing keys: rotate (with a grace period) and list.", no_args_is_help=True)


def _when(moment: dt.datetime | None) -> str:
    return moment.strftime("%d/%m/%Y %H:%M:%S UTC") if moment else "-"


@app.command("rotate")
def rotate_cmd(
    grace: str | None = typer.Option(
        None, "--grace", help="How long the previous key is still accepted: 90s, 30m, 24h, 7d (default: Settings)."
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Make a new signing key current; tokens of the previous key work for GRACE, older keys are refused."""
    from minimarket.config import get_settings
    from minimarket.ops.durations import format_duration, parse_duration
    from minimarket.service.key_rotation import rotate_keys

    settings = get_settings()
    try:
        period = parse_duration(grace) if grace is not None else dt.timedelta(days=settings.key_grace_days)
    except ValueError as exc:
        fail(str(exc), 2)
    ring, old = rotate_keys(settings, period)
    key, previous = ring.current, old.kid
    until = ring.valid_until(ring.keys[1])
    if as_json:
        print_json({"current": key.kid, "previous": previous, "previous_valid_until": until})
        return
    typer.echo(
        f"nueva clave {key.kid}; la anterior ({previous}) se acepta {format_duration(period)} más, "
        f"hasta el {_when(until)}; los tokens firmados antes deben renovarse (minimarket token create)"
    )


@app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json")) -> None:
    """The current key and the previous one, with when each was made and until when it is accepted."""
    from minimarket.config import get_settings
    from minimarket.service.auth import KeyRing

    ring = KeyRing.load_or_create(get_settings())
    now = dt.datetime.now(dt.UTC)
    rows: list[dict[str, Any]] = [
        {
            "kid": key.kid,
            "current": index == 0,
            "created_at": key.created_at,
            "valid_until": ring.valid_until(key),
            "accepted": ring.accepted(key.kid, now) is not None,
        }
        for index, key in enumerate(ring.keys)
    ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        state = "actual" if row["current"] else ("aceptada" if row["accepted"] else "vencida")
        typer.echo(
            f"{row['kid']:<28} {state:<9} creada {_when(row['created_at'])}  vale hasta {_when(row['valid_until'])}"
        )
