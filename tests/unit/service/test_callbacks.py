"""Callback URLs: public addresses only unless allowed; HMAC-SHA256 signatures."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from minimarket.config import Settings
from minimarket.service.callbacks import (
    CallbackRefused,
    callback_target,
    check_callback_url,
    deliver,
    shop_secret,
    sign,
    verify,
)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
        "ftp://8.8.8.8/hook",
        "http://user:pw@8.8.8.8/hook",
        "not a url",
    ],
)
def test_private_or_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(CallbackRefused) as refused:
        check_callback_url(url, [])
    assert "callback_url" in str(refused.value)


def test_allow_list_admits_a_host_or_a_network() -> None:
    assert check_callback_url("http://127.0.0.1:9/x", ["127.0.0.1"]) == "http://127.0.0.1:9/x"
    assert check_callback_url("http://10.1.2.3/x", ["10.0.0.0/8"]) == "http://10.1.2.3/x"
    assert check_callback_url("http://8.8.8.8/x", []) == "http://8.8.8.8/x"  # public: no DNS needed for a literal
    with pytest.raises(CallbackRefused):
        check_callback_url("http://10.1.2.3/x", ["192.168.0.0/16"])


def test_signature_is_hmac_sha256_of_the_body_under_the_shop_key(tmp_path) -> None:
    settings = Settings(var_dir=tmp_path)
    secret = shop_secret(settings, "default")
    assert secret == shop_secret(settings, "default") != shop_secret(settings, "otro")
    body = b'{"batch_id": "x"}'
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert sign(secret, body) == expected and verify(secret, body, expected)
    assert not verify(secret, body + b" ", expected)
    assert (settings.secrets_dir / "callback_key").stat().st_mode & 0o777 == 0o600


class _Receiver(BaseHTTPRequestHandler):
    hosts: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).hosts.append(self.headers["Host"])
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def test_delivery_connects_to_the_checked_address_whatever_dns_says_later(monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the name resolves to an allowed address at the check, then to a private one. The delivery
    goes to the address the check accepted (a real receiver on loopback), with the URL's host in ``Host``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        allow = ["127.0.0.0/8", "::1"]
        url, address = callback_target(f"http://localhost:{port}/hook", allow)
        assert address in ("127.0.0.1", "::1")
        address = "127.0.0.1"  # where the receiver listens (localhost may list ::1 first)

        def rebound(host: str, *args: object, **kwargs: object) -> list[tuple[object, ...]]:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.9.9.9", port))]

        monkeypatch.setattr(socket, "getaddrinfo", rebound)  # the only stand-in: DNS cannot be rebound here
        error = asyncio.run(deliver(url, b"{}", "sha256=x", "b1", 5.0, address))
        assert error is None and _Receiver.hosts == [f"localhost:{port}"]
        with pytest.raises(CallbackRefused):
            callback_target(url, allow)  # the next check sees the private address and refuses it
    finally:
        server.shutdown()
