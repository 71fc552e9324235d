"""Rotating the API's token signing keys (:class:`~minimarket.service.auth.KeyRing`) from outside the service
(``minimarket keys rotate``, the monthly pipeline): one rotation at a time, so two at once never lose a key
(each reads the ring the other wrote)."""

from __future__ import annotations

import datetime as dt
import os

from filelock import FileLock

from minimarket.config import Settings
from minimarket.service.auth import KeyRing, SigningKey


def rotate_keys(settings: Settings, grace: dt.timedelta | None = None) -> tuple[KeyRing, SigningKey]:
    """Make a new current key; the previous one is accepted for ``grace`` (``key_grace_days`` by default).
    Returns the ring as written and the key that was current before."""
    folder = settings.secrets_dir
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    with FileLock(str(folder / "jwt_keys.lock"), timeout=60):
        ring = KeyRing.load_or_create(settings)
        previous = ring.current
        ring.rotate(dt.timedelta(days=settings.key_grace_days) if grace is None else grace)
    return ring, previous
