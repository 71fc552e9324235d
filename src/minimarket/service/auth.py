"""Bearer tokens of the HTTP API: HS256 JWTs with a ``kid`` header, one role and one scope each: a shop
(claim ``shop``) or, for managers and admins of a chain, a chain (claim ``chain``).

Keys live in ``var/secrets/jwt_keys.json`` (mode 0600), generated on first use: there is no default secret.
:meth:`KeyRing.rotate` makes a new current key and keeps the previous one, which is still accepted for
``Settings.key_grace_days`` so tokens signed before a rotation keep working until they are re-issued.
Verification checks the signature (HS256 only, never ``alg: none``), ``aud``, ``exp``, ``iat``, the role and
the scope.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import uuid
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt

from minimarket.config import Settings

ALGORITHM = "HS256"
KEYS_FILE = "jwt_keys.json"
_SHOP_CODE_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")


class Role(StrEnum):
    """What a token may do; each role includes the ones before it."""

    CLIENT = "client"
    """Extract invoices, send batches, ask for predictions."""
    MANAGER = "manager"
    """Read everything of its shop, review invoices."""
    ADMIN = "admin"
    """Record the CPI figure, promote models."""

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


@dataclass(frozen=True, slots=True)
class Principal:
    """Who calls: the token's subject, role and shop. A chain token has ``chain`` set; its ``shop`` is empty
    until the request chooses a member shop (header ``X-Minimarket-Shop``)."""

    subject: str
    role: Role
    shop: str
    token_id: str
    chain: str | None = None

    @property
    def scope(self) -> str:
        return f"cadena {self.chain}" if self.chain else f"comercio {self.shop}"


class AuthError(Exception):
    """A request whose token is missing or invalid (401) or not allowed (403)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    secret: bytes
    created_at: dt.datetime
    retired_at: dt.datetime | None = None
    accept_until: dt.datetime | None = None
    """For a retired key: the end of the grace chosen at its rotation (else ``retired_at`` + the ring's grace)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "kid": self.kid,
            "secret": self.secret.hex(),
            "created_at": self.created_at.isoformat(),
            "retired_at": self.retired_at.isoformat() if self.retired_at else None,
            "accept_until": self.accept_until.isoformat() if self.accept_until else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SigningKey:
        retired = data.get("retired_at")
        until = data.get("accept_until")
        return cls(
            kid=str(data["kid"]),
            secret=bytes.fromhex(data["secret"]),
            created_at=dt.datetime.fromisoformat(data["created_at"]),
            retired_at=dt.datetime.fromisoformat(retired) if retired else None,
            accept_until=dt.datetime.fromisoformat(until) if until else None,
        )


def _new_key() -> SigningKey:
    now = dt.datetime.now(dt.UTC)
    return SigningKey(kid=f"k{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}", secret=secrets.token_bytes(32), created_at=now)


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by the owner only (created 0600, then renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


class KeyRing:
    """The current signing key and the previous one (accepted during the grace period)."""

    def __init__(self, path: Path, keys: list[SigningKey], grace: dt.timedelta) -> None:
        if not keys:
            raise ValueError("a key ring needs at least one key")
        self.path = path
        self.keys = keys
        self.grace = grace
        self._stamp = self._file_stamp()

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_ino)

    def reload_if_changed(self) -> bool:
        """Re-read the key file when another process rotated it (``minimarket keys rotate``); True if it did."""
        stamp = self._file_stamp()
        if stamp is None or stamp == self._stamp:
            return False
        data = json.loads(self.path.read_text(encoding="utf-8"))
        self.keys = [SigningKey.from_json(k) for k in data["keys"]]
        self._stamp = stamp
        return True

    @classmethod
    def load_or_create(cls, settings: Settings) -> KeyRing:
        """The key ring of ``settings.secrets_dir``, generating the first key (0600) when there is none."""
        path = settings.secrets_dir / KEYS_FILE
        grace = dt.timedelta(days=settings.key_grace_days)
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(path, [SigningKey.from_json(k) for k in data["keys"]], grace)
        ring = cls(path, [_new_key()], grace)
        ring.save()
        return ring

    def save(self) -> None:
        _write_private(self.path, json.dumps({"keys": [k.as_json() for k in self.keys]}, indent=2))
        self._stamp = self._file_stamp()

    @property
    def current(self) -> SigningKey:
        return self.keys[0]

    def rotate(self, grace: dt.timedelta | None = None) -> SigningKey:
        """A new current key; the old current one is kept (retired now, accepted for ``grace``, the ring's
        grace by default) and older ones dropped."""
        now = dt.datetime.now(dt.UTC)
        old = self.current
        retired = SigningKey(old.kid, old.secret, old.created_at, now, now + (self.grace if grace is None else grace))
        self.keys = [_new_key(), retired]
        self.save()
        return self.current

    def valid_until(self, key: SigningKey) -> dt.datetime | None:
        """When a retired key stops being accepted (None for the current key)."""
        if key.retired_at is None:
            return None
        return key.accept_until or key.retired_at + self.grace

    def accepted(self, kid: str, now: dt.datetime | None = None) -> SigningKey | None:
        """The key with ``kid`` if it is current, or previous and still within its grace period."""
        moment = now or dt.datetime.now(dt.UTC)
        for key in self.keys:
            if key.kid != kid:
                continue
            until = self.valid_until(key)
            if until is None or moment <= until:
                return key
        return None


def valid_shop_code(code: str) -> bool:
    return 0 < len(code) <= 64 and set(code.lower()) <= _SHOP_CODE_CHARS


def create_token(
    ring: KeyRing,
    *,
    role: Role | str,
    shop: str | None = None,
    chain: str | None = None,
    audience: str,
    ttl: dt.timedelta,
    subject: str | None = None,
) -> str:
    """A signed token for ``role`` in ``shop`` (or, for manager and admin, in a whole ``chain``) valid for
    ``ttl``."""
    role = Role(role)
    if (shop is None) == (chain is None):
        raise ValueError("un token lleva un comercio o una cadena (uno de los dos)")
    scope = shop if chain is None else chain
    assert scope is not None
    what = "comercio" if chain is None else "cadena"
    if not valid_shop_code(scope):
        raise ValueError(f"código de {what} inválido {scope!r}: letras, números, '-', '_' o '.', hasta 64")
    if chain is not None and not role.allows(Role.MANAGER):
        raise ValueError("solo los roles manager y admin pueden tener alcance de cadena (--chain)")
    if ttl.total_seconds() <= 0:
        raise ValueError("la duración del token debe ser positiva")
    now = dt.datetime.now(dt.UTC)
    claims = {
        "sub": subject or f"{role.value}@{scope}",
        "role": role.value,
        ("shop" if chain is None else "chain"): scope,
        "aud": audience,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    key = ring.current
    return jwt.encode(claims, key.secret, algorithm=ALGORITHM, headers={"kid": key.kid})


def _unauthorized(message: str, code: str = "invalid_token") -> AuthError:
    return AuthError(401, code, message)


def verify_token(ring: KeyRing, token: str, *, audience: str) -> Principal:
    """The caller of a valid token; :class:`AuthError` (401) with what is wrong otherwise."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise _unauthorized("El token no es un JWT válido.") from None
    if header.get("alg") != ALGORITHM:
        raise _unauthorized(f"Algoritmo de firma no admitido ({header.get('alg')!r}); se acepta solo {ALGORITHM}.")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise _unauthorized("El token no indica su clave (kid).")
    ring.reload_if_changed()
    key = ring.accepted(kid)
    if key is None:
        raise _unauthorized("La clave del token ya no es válida (fue rotada): pida un token nuevo.")
    try:
        claims = jwt.decode(
            token,
            key.secret,
            algorithms=[ALGORITHM],
            audience=audience,
            options={"require": ["exp", "iat", "aud", "sub", "role"]},
        )
    except jwt.ExpiredSignatureError:
        raise _unauthorized("El token venció: pida uno nuevo.", "token_expired") from None
    except jwt.InvalidAudienceError:
        raise _unauthorized("El token no es para esta API (aud).") from None
    except jwt.ImmatureSignatureError:
        raise _unauthorized("El token todavía no es válido (iat en el futuro).") from None
    except jwt.InvalidSignatureError:
        raise _unauthorized("La firma del token no es válida.") from None
    except jwt.MissingRequiredClaimError as exc:
        raise _unauthorized(f"Al token le falta el dato {exc.claim!r}.") from None
    except jwt.InvalidTokenError as exc:
        raise _unauthorized(f"Token inválido ({type(exc).__name__}).") from None
    try:
        role = Role(claims["role"])
    except ValueError:
        raise _unauthorized(f"Rol desconocido {claims['role']!r}.") from None
    token_id = str(claims.get("jti", ""))
    if ("shop" in claims) == ("chain" in claims):
        raise _unauthorized("El token debe llevar un comercio ('shop') o una cadena ('chain'), uno de los dos.")
    if "chain" in claims:
        chain = str(claims["chain"])
        if not valid_shop_code(chain):
            raise _unauthorized("Código de cadena inválido en el token.")
        if not role.allows(Role.MANAGER):
            raise _unauthorized("Un token de cadena debe tener rol manager o admin.")
        return Principal(subject=str(claims["sub"]), role=role, shop="", token_id=token_id, chain=chain)
    shop = str(claims["shop"])
    if not valid_shop_code(shop):
        raise _unauthorized("Código de comercio inválido en el token.")
    return Principal(subject=str(claims["sub"]), role=role, shop=shop, token_id=token_id)


def require(principal: Principal, role: Role) -> None:
    """:class:`AuthError` (403) unless ``principal`` has at least ``role``."""
    if not principal.role.allows(role):
        raise AuthError(
            403,
            "forbidden",
            f"Su token tiene el rol «{principal.role.value}»; esta operación necesita «{role.value}» o superior.",
        )
