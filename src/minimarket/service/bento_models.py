"""The registry's champions copied into the Bento model store (``BENTOML_HOME``, ``bentos/`` by default), so that
``bentoml build`` packs them and a built Bento serves them without the MLflow registry.

Each champion is stored as ``<model>:v<registry version>``. ``minimarket serve`` imports new champions before it
starts (and ``make bento`` before it builds); the services declare the latest stored version of each model, and
load it from the store when the registry has no champion (a Bento running on its own).
"""

from __future__ import annotations

import logging
import os
from typing import Any

log = logging.getLogger(__name__)

MODELS = ("invoice-extractor", "demand-forecaster", "inflation-forecaster")


def _tag(name: str, version: str) -> str:
    return f"{name}:v{version}"


def import_champions() -> list[str]:
    """Copy every registry champion not yet in the Bento store; the tags imported."""
    from pathlib import Path

    from minimarket import tracking

    uri = tracking.tracking_uri()
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).is_file():
        return []  # no registry yet
    imported = []
    for name in MODELS:
        try:
            version = tracking.alias_version(name, tracking.CHAMPION)
        except Exception as exc:
            log.warning("cannot read the %s champion (%s)", name, exc)
            continue
        if version is None:
            continue
        import bentoml
        from bentoml.exceptions import NotFound

        tag = _tag(name, version)
        try:
            bentoml.models.get(tag)
            continue
        except NotFound:
            pass
        tracking.configure()
        bentoml.mlflow.import_model(
            tag, f"models:/{name}/{version}", labels={"registry_version": version, "alias": "champion"}
        )
        imported.append(tag)
    return imported


def stored_champion(name: str) -> str | None:
    """The tag of the latest stored version of ``name`` (None without one, or without a Bento store)."""
    try:
        import bentoml

        models = [m for m in bentoml.models.list(name) if m.info.labels.get("alias") == "champion"]
    except Exception:
        return None
    if not models:
        return None
    latest = max(models, key=lambda m: int(m.info.labels.get("registry_version", "0")))
    return str(latest.tag)


def load_stored(name: str) -> Any | None:
    """The stored champion of ``name`` as an MLflow pyfunc model, or None."""
    tag = stored_champion(name)
    if tag is None:
        return None
    import bentoml

    return bentoml.mlflow.load_model(tag)


def packing(name: str) -> Any:
    """A class decorator declaring the stored champion of ``name`` as the service's model (packed by
    ``bentoml build``); nothing when the store has none."""

    def decorate(cls: type) -> type:
        tag = stored_champion(name)
        if tag is not None:
            from bentoml.models import BentoModel

            cls.champion = BentoModel(tag)  # type: ignore[attr-defined]
        return cls

    return decorate


def main() -> None:
    """``python -m minimarket.service.bento_models``: import the champions (``make bento``)."""
    from minimarket.config import get_settings

    os.environ.setdefault("BENTOML_HOME", str(get_settings().bentoml_home))
    print("\n".join(import_champions()) or "no new champion to import")


if __name__ == "__main__":
    main()
