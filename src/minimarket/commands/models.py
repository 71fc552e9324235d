"""``minimarket models``: the MLflow registry — what is registered, what is champion, manual promotion."""

from __future__ import annotations

import typer

from minimarket.commands.common import fail, print_json

app = typer.Typer(
    help="Models in the MLflow registry: list versions and aliases, promote by hand.", no_args_is_help=True
)

KNOWN_MODELS = ("invoice-extractor", "inflation-forecaster", "demand-forecaster")


@app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """Registered models, their versions, and which version holds `champion` / `challenger`."""
    from minimarket.tracking import list_models

    models = list_models()
    if as_json:
        print_json(models)
        return
    if not models:
        typer.echo("No registered models yet: run `make repro` (or a `train` command) to build them.")
        return
    for model in models:
        aliases = ", ".join(f"{alias}=v{version}" for alias, version in sorted(model["aliases"].items())) or "-"
        typer.echo(f"{model['name']}: {len(model['versions'])} version(s); {aliases}")
        for version in model["versions"]:
            tags = version["tags"]
            gate = ""
            if "gate_metric" in tags:
                verdict = "promoted" if tags.get("gate_promoted") == "true" else "kept champion"
                gate = (
                    f"  gate {tags['gate_metric']}: {tags.get('gate_challenger_value')} vs "
                    f"{tags.get('gate_champion_value') or '-'} ({verdict})"
                )
            typer.echo(f"  v{version['version']}{gate}")


@app.command("promote")
def promote_cmd(
    name: str = typer.Argument(..., help=f"Registered model name ({', '.join(KNOWN_MODELS)})."),
    version: str = typer.Argument(..., help="Version number to make champion."),
    reason: str = typer.Option(..., "--reason", help="Why (kept as a tag on the version)."),
    author: str | None = typer.Option(None, "--author", help="Who decides (default: $USER)."),
) -> None:
    """Make VERSION the `champion` of NAME by hand, bypassing the automatic gate, with a recorded reason."""
    from mlflow.exceptions import MlflowException

    from minimarket.tracking import promote

    if not version.isdigit():
        fail(f"version must be a number, got {version!r}", 2)
    try:
        promote(name, version, reason=reason, author=author)
    except ValueError as exc:
        fail(str(exc), 2)
    except MlflowException as exc:
        fail(f"cannot promote {name} v{version}: {exc.message}")
    typer.echo(f"{name}: champion is now v{version}")
