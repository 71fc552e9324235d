"""``minimarket serve``: the HTTP API (BentoML) on the embedded defaults."""

from __future__ import annotations

import os
import sys

import typer


def serve_cmd(
    port: int | None = typer.Option(None, "--port", "-p", min=1, max=65535, help="Port (default: Settings, 3000)."),
    host: str | None = typer.Option(None, "--host", help="Address to listen on (default: Settings, 127.0.0.1)."),
) -> None:
    """Start the API: /api/v1 (OpenAPI at /api/v1/docs), /livez, /readyz, /metrics. Ctrl-C stops it.

    The database is created or migrated first; the token signing key is generated on first use
    (var/secrets/); models are the registry's champions (rules and baselines when there is none)."""
    from minimarket.config import get_settings
    from minimarket.service.auth import KeyRing
    from minimarket.store.db import ensure_database

    settings = get_settings()
    ensure_database()
    KeyRing.load_or_create(settings)
    env = dict(os.environ)
    env.setdefault("BENTOML_HOME", str(settings.bentoml_home))
    env.setdefault("BENTOML_DO_NOT_TRACK", "True")
    env.setdefault("OMP_THREAD_LIMIT", "1")
    env.setdefault("MINIMARKET_VAR_DIR", str(settings.state_dir))
    os.environ["BENTOML_HOME"] = env["BENTOML_HOME"]
    try:  # the champions into the Bento store: what `bentoml build` packs
        from minimarket.service.bento_models import import_champions

        for tag in import_champions():
            typer.echo(f"modelo {tag} copiado al almacén de BentoML", err=True)
    except Exception as exc:
        typer.echo(f"aviso: no se copiaron los campeones al almacén de BentoML ({exc})", err=True)
    args = [
        sys.executable,
        "-m",
        "bentoml",
        "serve",
        "minimarket.service.bento:MinimarketApi",
        "--host",
        host or settings.api_host,
        "--port",
        str(port or settings.api_port),
        "--timeout-keep-alive",
        str(settings.api_keep_alive_seconds),
    ]
    typer.echo(f"minimarket API: http://{host or settings.api_host}:{port or settings.api_port}/api/v1/docs", err=True)
    sys.stdout.flush()
    os.execve(sys.executable, args, env)
