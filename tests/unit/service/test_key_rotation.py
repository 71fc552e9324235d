"""Rotation with a grace chosen at rotation time (``minimarket keys rotate --grace``), and a running service's key
ring noticing a rotation made by another process."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest

from minimarket.config import Settings
from minimarket.service.auth import AuthError, KeyRing, create_token, verify_token

AUD = "minimarket-api"


def _token(ring: KeyRing) -> str:
    return create_token(ring, role="client", shop="default", audience=AUD, ttl=dt.timedelta(days=1))


def test_the_grace_of_a_rotation_overrides_the_settings(tmp_path) -> None:
    ring = KeyRing.load_or_create(Settings(var_dir=tmp_path, key_grace_days=30))
    old_kid = ring.current.kid
    ring.rotate(dt.timedelta(hours=24))
    previous = ring.keys[1]
    assert previous.kid == old_kid and previous.retired_at is not None
    assert ring.valid_until(previous) == previous.retired_at + dt.timedelta(hours=24)
    assert ring.accepted(old_kid, previous.retired_at + dt.timedelta(hours=23)) is not None
    assert ring.accepted(old_kid, previous.retired_at + dt.timedelta(hours=25)) is None
    assert ring.valid_until(ring.current) is None
    # the chosen grace survives a reload
    again = KeyRing.load_or_create(Settings(var_dir=tmp_path, key_grace_days=30))
    assert again.valid_until(again.keys[1]) == ring.valid_until(previous)


def test_a_ring_written_before_accept_until_existed_still_loads(tmp_path) -> None:
    settings = Settings(var_dir=tmp_path, key_grace_days=2)
    ring = KeyRing.load_or_create(settings)
    ring.rotate()
    path = settings.secrets_dir / "jwt_keys.json"
    data = json.loads(path.read_text())
    for key in data["keys"]:
        key.pop("accept_until")
    path.write_text(json.dumps(data))
    old = KeyRing.load_or_create(settings)
    retired = old.keys[1]
    assert retired.accept_until is None and old.valid_until(retired) == retired.retired_at + dt.timedelta(days=2)


def test_a_service_ring_picks_up_a_rotation_made_elsewhere(tmp_path) -> None:
    settings = Settings(var_dir=tmp_path)
    service = KeyRing.load_or_create(settings)
    before = _token(service)
    assert not service.reload_if_changed()

    operator = KeyRing.load_or_create(settings)  # `minimarket keys rotate` in another process
    operator.rotate(dt.timedelta(0))
    path = settings.secrets_dir / "jwt_keys.json"
    stamp = path.stat().st_mtime_ns + 1_000_000
    os.utime(path, ns=(stamp, stamp))  # a rotation within the same clock tick still counts
    after = _token(operator)

    assert verify_token(service, after, audience=AUD).role.value == "client"
    assert service.current.kid == operator.current.kid
    with pytest.raises(AuthError, match="rotada"):
        verify_token(service, before, audience=AUD)
