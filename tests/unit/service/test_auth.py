"""Tokens: signing keys generated on first use (0600), kid rotation with a grace period, refusals."""

from __future__ import annotations

import datetime as dt
import stat

import jwt
import pytest

from minimarket.config import Settings
from minimarket.service.auth import AuthError, KeyRing, Role, create_token, require, verify_token

AUD = "minimarket-api"


def _token(ring: KeyRing, role: str = "client", shop: str = "default", days: float = 1) -> str:
    return create_token(ring, role=role, shop=shop, audience=AUD, ttl=dt.timedelta(days=days))


def test_first_use_generates_a_private_key(tmp_path) -> None:
    settings = Settings(var_dir=tmp_path)
    ring = KeyRing.load_or_create(settings)
    path = settings.secrets_dir / "jwt_keys.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.secrets_dir.stat().st_mode) == 0o700
    again = KeyRing.load_or_create(settings)
    assert again.current.kid == ring.current.kid and again.current.secret == ring.current.secret


def test_round_trip_role_and_shop(tmp_path) -> None:
    ring = KeyRing.load_or_create(Settings(var_dir=tmp_path))
    principal = verify_token(ring, _token(ring, "manager", "almacen-sur"), audience=AUD)
    assert principal.role is Role.MANAGER and principal.shop == "almacen-sur"
    assert jwt.get_unverified_header(_token(ring))["kid"] == ring.current.kid
    require(principal, Role.CLIENT)
    with pytest.raises(AuthError) as denied:
        require(principal, Role.ADMIN)
    assert denied.value.status == 403


def test_rotation_keeps_the_previous_key_for_the_grace_period(tmp_path) -> None:
    ring = KeyRing.load_or_create(Settings(var_dir=tmp_path, key_grace_days=1))
    old = _token(ring)
    old_kid = ring.current.kid
    ring.rotate()
    assert ring.current.kid != old_kid
    assert verify_token(ring, old, audience=AUD).role is Role.CLIENT
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    assert ring.accepted(old_kid, later) is None
    assert ring.accepted(ring.current.kid, later) is not None
    ring.rotate()  # a second rotation drops the first key
    with pytest.raises(AuthError):
        verify_token(ring, old, audience=AUD)


@pytest.mark.parametrize("case", ["none", "forged", "audience", "expired", "no_kid", "bad_role", "garbage"])
def test_refused_tokens(tmp_path, case: str) -> None:
    ring = KeyRing.load_or_create(Settings(var_dir=tmp_path))
    key = ring.current
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims = {"sub": "x", "role": "admin", "shop": "default", "aud": AUD, "iat": now, "exp": now + 60}
    headers = {"kid": key.kid}
    token = {
        "none": lambda: jwt.encode(claims, None, "none", headers=headers),
        "forged": lambda: jwt.encode(claims, b"y" * 32, "HS256", headers=headers),
        "audience": lambda: jwt.encode({**claims, "aud": "x"}, key.secret, "HS256", headers=headers),
        "expired": lambda: jwt.encode({**claims, "exp": now - 10}, key.secret, "HS256", headers=headers),
        "no_kid": lambda: jwt.encode(claims, key.secret, "HS256"),
        "bad_role": lambda: jwt.encode({**claims, "role": "root"}, key.secret, "HS256", headers=headers),
        "garbage": lambda: "abc.def.ghi",
    }[case]()
    with pytest.raises(AuthError) as refused:
        verify_token(ring, token, audience=AUD)
    assert refused.value.status == 401 and refused.value.message


def test_create_token_checks_its_input(tmp_path) -> None:
    ring = KeyRing.load_or_create(Settings(var_dir=tmp_path))
    with pytest.raises(ValueError):
        _token(ring, shop="no spaces please")
    with pytest.raises(ValueError):
        _token(ring, role="root")
    with pytest.raises(ValueError):
        _token(ring, days=0)


def test_chain_tokens_carry_a_chain_and_no_shop(tmp_path) -> None:
    ring = KeyRing.load_or_create(Settings(var_dir=tmp_path))
    token = create_token(ring, role="manager", chain="sur", audience=AUD, ttl=dt.timedelta(days=1))
    principal = verify_token(ring, token, audience=AUD)
    assert principal.chain == "sur" and principal.shop == "" and principal.role is Role.MANAGER
    assert verify_token(ring, _token(ring, "manager", "almacen-sur"), audience=AUD).chain is None
    with pytest.raises(ValueError, match="solo los roles manager y admin"):
        create_token(ring, role="client", chain="sur", audience=AUD, ttl=dt.timedelta(days=1))
    with pytest.raises(ValueError, match="uno de los dos"):
        create_token(ring, role="manager", shop="a", chain="sur", audience=AUD, ttl=dt.timedelta(days=1))


def test_the_shop_header_is_documented_on_the_read_routes_only() -> None:
    from minimarket.service.app import create_app

    paths = create_app().openapi()["paths"]

    def documented(path: str, method: str) -> bool:
        return any(p["name"] == "X-Minimarket-Shop" for p in paths[path][method].get("parameters", []))

    assert documented("/invoices", "get") and documented("/invoices/{invoice_id}", "get")
    assert not documented("/invoices/extract", "post") and not documented("/chain/shops", "get")
    assert sum(documented(p, "get") for p in paths if "get" in paths[p]) == len(
        [p for p in paths if "get" in paths[p] and not p.startswith("/chain/")]
    )
