"""Defects 6 and 7: every expected failure of a command is one Spanish line with exit code 1 or 2 (never a
traceback), read commands never write, shop codes and SKUs follow one validated format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from minimarket.cli import app
from minimarket.store.db import session_scope
from minimarket.store.models import Shop

runner = CliRunner()
SALES = ["sales", "import", "--date-col", "fecha", "--sku-col", "sku"]


def _one_clear_line(result: object, code: int | tuple[int, ...] = (1, 2)) -> str:
    output = result.output  # type: ignore[attr-defined]
    codes = code if isinstance(code, tuple) else (code,)
    assert result.exit_code in codes, output  # type: ignore[attr-defined]
    assert "Traceback" not in output and output.startswith("error: "), output
    assert len(output) < 2000
    return output


@pytest.fixture
def sales_csv(tmp_path: Path) -> Path:
    path = tmp_path / "ventas.csv"
    path.write_text("fecha,sku\n2026-10-01,A\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("extra", "message", "code"),
    [
        (["--delimiter", ",,"], "separador ',,' inválido", 2),
        (["--delimiter", "\n"], "separador", 2),
        (["--encoding", "klingon"], "codificación 'klingon' desconocida", 2),
        (["--encoding", "rot13"], "codificación", 2),
        (["--number-format", "roman"], "--number-format", 2),
        (["--shop", "TYPO"], "no existe el comercio 'TYPO'", 2),
        (["--shop", "x" * 100_000], "código de comercio", 2),
        (["--shop", "\x1b[31mA"], "código de comercio", 2),
    ],
)
def test_bad_options_of_sales_import(sales_csv: Path, extra: list[str], message: str, code: int) -> None:
    output = _one_clear_line(runner.invoke(app, [*SALES, str(sales_csv), *extra]), code)
    assert message in output


def test_a_field_over_128_kb_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "ventas.csv"
    path.write_text("fecha,sku\n2026-10-01," + "A" * 200_000 + "\n", encoding="utf-8")
    assert "más de 128 kB" in _one_clear_line(runner.invoke(app, [*SALES, str(path)]), 1)
    catalog = tmp_path / "productos.csv"
    catalog.write_text("sku,name,cost\nA," + "B" * 200_000 + ",1\n", encoding="utf-8")
    assert "más de 128 kB" in _one_clear_line(runner.invoke(app, ["catalog", "import", str(catalog)]), 1)


def test_a_catalog_ean_already_used_by_another_product(tmp_path: Path) -> None:
    assert runner.invoke(app, ["catalog", "import"]).exit_code == 0
    taken = json.loads(runner.invoke(app, ["catalog", "list"]).stdout.splitlines()[0])
    path = tmp_path / "nuevo.csv"
    path.write_text(f"sku,name,cost,ean\nNUEVO-1,Otro,10,{taken['ean']}\n", encoding="utf-8")
    output = _one_clear_line(runner.invoke(app, ["catalog", "import", str(path)]), 1)
    assert f"el EAN {taken['ean']} quedaría en dos productos" in output and taken["sku"] in output


def test_read_commands_do_not_create_shops() -> None:
    for command in (
        ["invoices", "list"],
        ["stock", "alerts"],
        ["prices", "suggest"],
        ["catalog", "list"],
        ["invoices", "show", "1"],
        ["inflation", "history"],
    ):
        _one_clear_line(runner.invoke(app, [*command, "--shop", "TYPO"]), 2)
    with session_scope(all_shops=True) as session:
        assert session.scalars(select(Shop.code)).all() == ["default"]


def test_shop_codes_are_trimmed_and_validated() -> None:
    created = json.loads(runner.invoke(app, ["shop", "create", " A ", "--name", "Almacén A"]).stdout)
    assert created == {"code": "A", "name": "Almacén A", "created": True}
    assert runner.invoke(app, ["invoices", "list", "--shop", " A "]).exit_code == 0
    for bad in ("x" * 41, "a b", "\x1b[31mA", "../etc", "", "ñandú"):
        _one_clear_line(runner.invoke(app, ["shop", "create", bad]), 2)
    with session_scope(all_shops=True) as session:
        assert session.scalar(select(func.count(Shop.id))) == 2


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The real console script, in a subprocess: what a shop manager's terminal shows."""
    script = Path(sys.executable).with_name("minimarket")
    return subprocess.run(
        [str(script), *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MINIMARKET_MAX_PDF_PAGES": "muchas"}, "MINIMARKET_MAX_PDF_PAGES"),
        ({"MINIMARKET_DECODE_MEMORY_MB": "-5"}, "MINIMARKET_DECODE_MEMORY_MB"),
        ({"MINIMARKET_DATABASE_URL": "esto no es una url"}, "MINIMARKET_DATABASE_URL no es una URL"),
        ({"MINIMARKET_DATABASE_URL": "oracle+nada://x/y"}, "MINIMARKET_DATABASE_URL no es una URL"),
    ],
)
def test_malformed_settings_are_one_line(env: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from minimarket.config import get_settings
    from minimarket.store.db import dispose_engines

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    dispose_engines()
    output = _one_clear_line(runner.invoke(app, ["invoices", "list"]), 2)
    assert message in output and len(output.strip().splitlines()) == 1


def test_the_console_script_gives_one_line_for_a_broken_setting_and_an_unreachable_database() -> None:
    """The real `minimarket` script, as a shop manager's terminal runs it."""
    result = _cli({"MINIMARKET_MAX_PDF_PAGES": "muchas"}, "invoices", "list")
    assert result.returncode == 2 and "MINIMARKET_MAX_PDF_PAGES" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr + result.stdout
    env = {"MINIMARKET_DATABASE_URL": "postgresql+psycopg://tienda:s3cr3t-clave@127.0.0.1:9/base"}
    result = _cli(env, "invoices", "list")
    assert result.returncode == 1 and "no se pudo usar la base de datos" in result.stderr
    assert "s3cr3t-clave" not in result.stderr + result.stdout and "Traceback" not in result.stderr
