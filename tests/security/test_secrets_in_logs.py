"""No secret or token reaches a log: passwords in URLs, bearer tokens, JWTs, password=/token= pairs are masked
in every log record of the process and in the CLI's error log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minimarket.cli import app
from minimarket.redact import install, redact

runner = CliRunner()
JWT = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbmEiLCJzaG9wIjoibm9ydGUifQ.c2lnbmF0dXJlLXZhbHVl"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("postgresql+psycopg://tienda:s3cr3t@db:5432/mm", "s3cr3t"),
        ("Authorization: Bearer abc.def-ghi_123", "abc.def-ghi_123"),
        (f"token recibido {JWT} para la tienda", JWT),
        ("MINIMARKET_JWT_SECRET=hunter2 y password: 'p4ss'", "hunter2"),
        ("api_key=AKIA123456 https://x/?token=zzz999&a=1", "zzz999"),
    ],
)
def test_secrets_are_masked(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned and "***" in cleaned


def test_every_log_record_is_redacted_whatever_its_handler(caplog: pytest.LogCaptureFixture) -> None:
    install()
    install()  # idempotent
    with caplog.at_level(logging.INFO):
        logging.getLogger("minimarket.service").info("login %s with %s", "ana", f"Bearer {JWT}")
        try:
            raise RuntimeError("could not connect to postgresql://u:topsecret@h/db")
        except RuntimeError:
            logging.getLogger("x").exception("fallo")
    text = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    assert JWT not in text and "topsecret" not in text and "Bearer ***" in text


def test_the_cli_error_log_holds_no_secret(isolated_state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from minimarket.commands import common

    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"upstream said password=hunter2 and {JWT}")

    monkeypatch.setattr("minimarket.store.invoices.search_invoices", boom)
    result = runner.invoke(app, ["invoices", "list"])
    assert result.exit_code == 1 and "error inesperado (RuntimeError)" in result.output
    log = (isolated_state / "logs" / "errors.log").read_text(encoding="utf-8")
    assert "RuntimeError" in log and "hunter2" not in log + result.output and JWT not in log + result.output
    assert common.describe_failure(RuntimeError("token=abc"))[0].endswith("token=***")
