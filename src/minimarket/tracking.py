"""MLflow helpers shared by every model: where tracking lives, registration, aliases, promotion gate.

* Tracking URI: ``get_settings().tracking_uri`` (``MINIMARKET_MLFLOW_URI`` or
  ``sqlite:///<repo>/mlruns/mlflow.db``). Artifacts of experiments created here go to an absolute
  folder: ``get_settings().artifact_root`` for the default store, ``<db folder>/artifacts`` for another
  SQLite file, and the server's own default for an HTTP tracking server.
* Registry: a newly registered version gets the alias ``challenger``; it becomes ``champion`` only if
  its evaluation metric is not worse than the current champion's **on the same evaluation data**
  (the caller passes a function that scores any model URI on that data). The decision and both
  figures are logged to the run and stored as tags on the model version.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from minimarket.config import get_settings
from minimarket.quiet import quiet_env

CHAMPION = "champion"
CHALLENGER = "challenger"


def tracking_uri() -> str:
    return get_settings().tracking_uri


def artifact_location(uri: str | None = None) -> str | None:
    """Absolute artifact location for new experiments under ``uri`` (None: let the server decide)."""
    settings = get_settings()
    resolved = uri or settings.tracking_uri
    if not settings.mlflow_uri:
        root = settings.artifact_root
    elif resolved.startswith("sqlite:///"):
        root = Path(resolved.removeprefix("sqlite:///")).resolve().parent / "artifacts"
    else:
        return None
    root.mkdir(parents=True, exist_ok=True)
    return root.resolve().as_uri()


def configure() -> str:
    """Point MLflow at our tracking store (creating the SQLite folder) and return the URI."""
    quiet_env()
    import mlflow

    uri = tracking_uri()
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


def set_experiment(name: str) -> str:
    """Create (with an absolute artifact location) or reuse the experiment ``name``; returns its id."""
    import mlflow

    configure()
    existing = mlflow.get_experiment_by_name(name)
    if existing is None:
        root = artifact_location()
        location = f"{root}/{name}" if root else None
        experiment_id = mlflow.create_experiment(name, artifact_location=location)
    else:
        experiment_id = existing.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    return str(experiment_id)


def client() -> Any:
    from mlflow import MlflowClient

    configure()
    return MlflowClient()


def register(model_uri: str, name: str, *, tags: dict[str, str] | None = None) -> str:
    """Register ``model_uri`` under ``name`` and return the new version (as a string)."""
    import mlflow

    configure()
    version = mlflow.register_model(model_uri, name, tags=tags)
    return str(version.version)


def alias_version(name: str, alias: str) -> str | None:
    """The version holding ``alias`` for model ``name``, or None."""
    from mlflow.exceptions import MlflowException

    try:
        return str(client().get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def set_alias(name: str, alias: str, version: str) -> None:
    client().set_registered_model_alias(name, alias, str(version))


@dataclass(frozen=True)
class GateDecision:
    """Outcome of the promotion gate (also stored as JSON on the run and as version tags)."""

    model: str
    version: str
    metric: str
    challenger_value: float
    champion_version: str | None
    champion_value: float | None
    lower_is_better: bool
    promoted: bool
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def is_not_worse(challenger: float, champion: float, lower_is_better: bool, tolerance: float = 1e-9) -> bool:
    """The gate's rule: the challenger may tie the champion but not be worse (NaN is always worse)."""
    if math.isnan(challenger):
        return False
    if math.isnan(champion):
        return True
    if lower_is_better:
        return challenger <= champion + tolerance
    return challenger >= champion - tolerance


def promotion_gate(
    name: str,
    version: str,
    *,
    metric: str,
    challenger_value: float,
    evaluate: Callable[[str], float],
    lower_is_better: bool = True,
    run_id: str | None = None,
) -> GateDecision:
    """Give ``version`` the ``challenger`` alias, compare it with the champion on the same evaluation
    data (``evaluate(model_uri)`` scores the champion there), move ``champion`` if not worse, and log
    the decision with both figures."""
    import mlflow

    mlflow_client = client()
    set_alias(name, CHALLENGER, version)
    champion_version = alias_version(name, CHAMPION)
    champion_value: float | None = None
    if champion_version is None:
        promoted, reason = True, "no champion yet"
    elif champion_version == str(version):
        champion_value = challenger_value
        promoted, reason = True, "already champion"
    else:
        champion_value = float(evaluate(f"models:/{name}/{champion_version}"))
        promoted = is_not_worse(challenger_value, champion_value, lower_is_better)
        relation = "not worse than" if promoted else "worse than"
        reason = (
            f"{metric} {challenger_value:.4f} (v{version}) {relation} {champion_value:.4f} "
            f"(champion v{champion_version}) on the same evaluation data"
        )
    if promoted:
        set_alias(name, CHAMPION, version)
    decision = GateDecision(
        model=name,
        version=str(version),
        metric=metric,
        challenger_value=float(challenger_value),
        champion_version=champion_version,
        champion_value=champion_value,
        lower_is_better=lower_is_better,
        promoted=promoted,
        reason=reason,
    )
    for key, value in {
        "gate_promoted": str(promoted).lower(),
        "gate_metric": metric,
        "gate_challenger_value": f"{challenger_value:.6g}",
        "gate_champion_value": "" if champion_value is None else f"{champion_value:.6g}",
        "gate_champion_version": champion_version or "",
        "gate_reason": reason,
    }.items():
        mlflow_client.set_model_version_tag(name, str(version), key, value)
    active = mlflow.active_run()
    target_run = run_id or (active.info.run_id if active is not None else None)
    if target_run:
        metrics: dict[str, float] = {f"gate_challenger_{metric}": float(challenger_value)}
        if champion_value is not None:
            metrics[f"gate_champion_{metric}"] = float(champion_value)
        for metric_key, metric_value in metrics.items():
            mlflow_client.log_metric(target_run, metric_key, metric_value)
        mlflow_client.set_tag(target_run, "gate_promoted", str(promoted).lower())
        mlflow_client.log_text(target_run, json.dumps(decision.as_dict(), indent=2), "promotion_decision.json")
    return decision


def promote(name: str, version: str, *, reason: str, author: str | None = None) -> None:
    """Manual promotion (an operator's decision): move ``champion`` to ``version`` and tag why."""
    if not reason.strip():
        raise ValueError("a manual promotion needs a reason")
    mlflow_client = client()
    mlflow_client.get_model_version(name, str(version))  # raises if unknown
    set_alias(name, CHAMPION, version)
    mlflow_client.set_model_version_tag(name, str(version), "manual_promotion_reason", reason)
    mlflow_client.set_model_version_tag(
        name, str(version), "manual_promotion_author", author or os.environ.get("USER", "unknown")
    )


def list_models() -> list[dict[str, Any]]:
    """Registered models with their versions and aliases (for ``minimarket models list``)."""
    mlflow_client = client()
    out: list[dict[str, Any]] = []
    for model in mlflow_client.search_registered_models():
        versions = mlflow_client.search_model_versions(f"name='{model.name}'")
        out.append(
            {
                "name": model.name,
                "aliases": dict(model.aliases or {}),
                "versions": sorted(
                    ({"version": str(v.version), "run_id": v.run_id, "tags": dict(v.tags or {})} for v in versions),
                    key=lambda v: int(v["version"]),
                ),
            }
        )
    return out


def pinned_requirements(*packages: str) -> list[str]:
    """``["pkg==installed version", …]`` for the packages a logged model needs.

    Passing these to ``log_model(pip_requirements=...)`` records the environment explicitly and
    spares MLflow its requirement inference (a subprocess that re-imports the model: ~10 s a model)."""
    from importlib.metadata import PackageNotFoundError, version

    out: list[str] = []
    for package in packages:
        try:
            out.append(f"{package}=={version(package)}")
        except PackageNotFoundError:
            out.append(package)
    return out


MODEL_REQUIREMENTS = ("mlflow", "numpy", "pandas", "scikit-learn", "statsmodels", "holidays", "minimarket")
"""What the forecasters' pyfunc wrappers import when they are loaded."""


def load_model(name: str, alias: str = CHAMPION) -> Any:
    """Load ``models:/name@alias`` as a pyfunc model."""
    import mlflow

    configure()
    return mlflow.pyfunc.load_model(f"models:/{name}@{alias}")
