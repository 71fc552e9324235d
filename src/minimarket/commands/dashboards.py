"""``minimarket dashboards``: serve the managers' dashboards with Voila."""

from __future__ import annotations

import typer

app = typer.Typer(help="Dashboards for the shop's managers (Voila).", no_args_is_help=True)


@app.command("serve")
def serve_cmd(
    port: int = typer.Option(8866, "--port", min=1, max=65535, help="Port on 127.0.0.1."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0 in a container)."),
    preheat: bool = typer.Option(
        True, "--preheat/--no-preheat", help="Keep a kernel that already ran each dashboard (opens at once)."
    ),
    execution_timeout: int = typer.Option(120, "--execution-timeout", min=5, help="Seconds a cell may run."),
    cull_idle: int = typer.Option(900, "--cull-idle", min=60, help="Seconds before an idle page's kernel is culled."),
) -> None:
    """Serve the dashboards on http://127.0.0.1:PORT/ (landing page, business panel, review queue, models)."""
    from minimarket.config import get_settings
    from minimarket.dashboards.server import DashboardServer, serve

    typer.echo(f"Paneles en http://{host}:{port}/ (Ctrl-C para salir)", err=True)
    serve(
        get_settings(),
        DashboardServer(
            port=port, host=host, preheat=preheat, execution_timeout=execution_timeout, cull_idle=cull_idle
        ),
    )
