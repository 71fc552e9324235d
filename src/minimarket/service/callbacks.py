"""Batch callbacks: where they may go, how they are signed, and one delivery attempt.

A ``callback_url`` must be http(s) and resolve to public addresses only; private, loopback, link-local and
reserved addresses are refused unless the host or network is in ``Settings.callback_allow_hosts``. The URL is
checked when the batch is accepted and again before each delivery (its DNS may have changed), and the delivery
connects to the address that check accepted (no second lookup that could answer differently).

The body is signed with HMAC-SHA256 under a key of the shop (derived from ``var/secrets/callback_key``,
generated on first use, 0600): header ``X-Minimarket-Signature: sha256=<hex>``. ``minimarket token
callback-secret --shop S`` prints a shop's key so its receiver can verify.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
import socket
from urllib.parse import urlsplit

import httpx

from minimarket.config import Settings

SIGNATURE_HEADER = "X-Minimarket-Signature"
KEY_FILE = "callback_key"


class CallbackRefused(ValueError):
    """A callback_url the service will not call (the message says why and what is accepted)."""


def _allowed(host: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address, allow: list[str]) -> bool:
    for entry in allow:
        entry = entry.strip()
        if not entry:
            continue
        if entry.lower() == host.lower():
            return True
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def check_callback_url(url: str, allow: list[str]) -> str:
    """``url`` if the service may call it; :class:`CallbackRefused` otherwise."""
    return callback_target(url, allow)[0]


def callback_target(url: str, allow: list[str]) -> tuple[str, str]:
    """``(url, address)``: the URL and the checked address to connect to (the delivery connects to that address,
    so a DNS answer changed after the check cannot send it to a private one); :class:`CallbackRefused` otherwise."""
    if not isinstance(url, str) or len(url) > 2000:
        raise CallbackRefused("callback_url debe ser una URL http(s) de hasta 2000 caracteres.")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CallbackRefused(f"callback_url {url!r} no es una URL http:// o https:// con un servidor.")
    if parts.username or parts.password:
        raise CallbackRefused("callback_url no puede llevar usuario ni contraseña.")
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError):
        raise CallbackRefused(f"callback_url: no se encuentra el servidor {host!r}.") from None
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    for address in addresses:
        if not address.is_global and not _allowed(host, address, allow):
            raise CallbackRefused(
                f"callback_url apunta a una dirección privada o reservada ({address}); se aceptan solo "
                "direcciones públicas (o las habilitadas en MINIMARKET_CALLBACK_ALLOW_HOSTS)."
            )
    return url.strip(), str(addresses[0])


def _master_key(settings: Settings) -> bytes:
    path = settings.secrets_dir / KEY_FILE
    if path.is_file():
        return bytes.fromhex(path.read_text(encoding="utf-8").strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    key = secrets.token_bytes(32)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key.hex())
    os.replace(tmp, path)
    return key


def shop_secret(settings: Settings, shop: str) -> str:
    """The shop's callback signing key (hex), derived from the installation's key."""
    return hmac.new(_master_key(settings), f"callback:{shop}".encode(), hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``body`` under ``secret``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, body), signature)


async def deliver(
    url: str, body: bytes, signature: str, batch_id: str, timeout: float, address: str | None = None
) -> str | None:
    """POST the body once (to ``address`` when given: the one :func:`callback_target` checked, with the URL's
    host in ``Host`` and for TLS); None when the receiver answered 2xx, else what went wrong."""
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature,
        "X-Minimarket-Batch": batch_id,
        "User-Agent": "minimarket-callbacks",
    }
    extensions = {}
    target = httpx.URL(url)
    if address is not None:
        headers["Host"] = target.netloc.decode("ascii")
        extensions["sni_hostname"] = target.host
        target = target.copy_with(host=address)
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            response = await client.post(target, content=body, headers=headers, extensions=extensions)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}"
