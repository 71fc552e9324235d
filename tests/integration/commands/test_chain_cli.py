"""`minimarket shop chain …`, `shop join/leave` and `token create --chain` against a real SQLite file."""

from __future__ import annotations

import json

import jwt
from typer.testing import CliRunner

from minimarket.cli import app

runner = CliRunner()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_chain_create_join_list_leave() -> None:
    assert json.loads(_ok("shop", "chain", "create", "sur", "--name", "Cadena Sur"))["created"] is True
    assert json.loads(_ok("shop", "chain", "create", "sur"))["created"] is False
    _ok("shop", "create", "sur-1")
    assert json.loads(_ok("shop", "join", "sur-1", "--chain", "sur")) == {"shop": "sur-1", "chain": "sur"}
    assert json.loads(_ok("shop", "chain", "list")) == [{"code": "sur", "name": "Cadena Sur", "shops": ["sur-1"]}]
    assert {s["code"]: s["chain"] for s in json.loads(_ok("shop", "list"))}["sur-1"] == "sur"
    assert json.loads(_ok("shop", "leave", "sur-1")) == {"shop": "sur-1", "left": "sur"}
    assert json.loads(_ok("shop", "chain", "list"))[0]["shops"] == []


def test_unknown_names_are_clear_errors() -> None:
    _ok("shop", "create", "sur-1")
    result = runner.invoke(app, ["shop", "join", "sur-1", "--chain", "nada"])
    assert result.exit_code == 2 and "no existe la cadena 'nada'" in result.output, result.output
    _ok("shop", "chain", "create", "sur")
    result = runner.invoke(app, ["shop", "join", "nadie", "--chain", "sur"])
    assert result.exit_code == 2 and "no existe el comercio 'nadie'" in result.output, result.output
    result = runner.invoke(app, ["shop", "leave", "nadie"])
    assert result.exit_code == 2 and "no existe el comercio" in result.output
    assert "Traceback" not in result.output


def test_chain_tokens_are_for_managers_and_admins_of_an_existing_chain() -> None:
    _ok("shop", "chain", "create", "sur")
    token = _ok("token", "create", "--role", "manager", "--chain", "sur").strip().splitlines()[-1]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["chain"] == "sur" and "shop" not in claims and claims["role"] == "manager"
    client = runner.invoke(app, ["token", "create", "--role", "client", "--chain", "sur"])
    assert client.exit_code == 2 and "solo los roles manager y admin" in client.output
    unknown = runner.invoke(app, ["token", "create", "--role", "manager", "--chain", "nada"])
    assert unknown.exit_code == 2 and "no existe la cadena" in unknown.output
    both = runner.invoke(app, ["token", "create", "--role", "manager", "--chain", "sur", "--shop", "x"])
    assert both.exit_code == 2 and "no los dos" in both.output
