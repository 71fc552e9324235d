"""MLflow helpers shared by every model: where tracking lives, runs, registration, aliases, promotion gate.

* Tracking URI: ``get_settings().tracking_uri`` (``MINIMARKET_MLFLOW_URI`` or
  ``sqlite:///<repo>/mlruns/mlflow.db``). Artifacts of experiments created here go to an absolute
  folder: ``get_settings().artifact_root`` for the default store, ``<db folder>/artifacts`` for another
  SQLite file, and the server's own default for an HTTP tracking server.
* Runs (:func:`tracked_run`): a unique name, and tags saying where the run comes from: git commit and
  dirty flag, DVC stage or notebook, data version (a hash of its inputs). A run outside the DVC pipeline
  (:mod:`minimarket.workspace`) logs to ``scratch-<experiment>`` and registers nothing unless asked.
* Registry (:meth:`TrackedRun.publish`): a new version gets the alias ``challenger``; the promotion gate
  scores it and the champion on **one evaluation set built at gate time** (its hash, size and description
  are recorded) and moves ``champion`` only when the challenger is strictly better (a tie keeps the
  champion), the set has at least ``Settings.gate_min_eval_size`` units and the model's own pre-gate
  checks (:class:`GatePolicy`) pass. The decision and both figures are logged to the run and stored as
  tags on the model version.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from minimarket.config import get_settings
from minimarket.quiet import quiet_env
from minimarket.workspace import RunContext

CHAMPION = "champion"
CHALLENGER = "challenger"


def tracking_uri() -> str:
    return get_settings().tracking_uri


def store_exists(uri: str | None = None) -> bool:
    """Whether the tracking store ``uri`` (default: :func:`tracking_uri`) may hold anything: False only for a
    SQLite file that is not there yet. Asking MLflow about it would create it, and importing MLflow costs a
    process seconds of CPU and ~100 MB (on a fresh server: each reader, the forecaster and the API)."""
    resolved = uri or tracking_uri()
    return not resolved.startswith("sqlite:///") or Path(resolved.removeprefix("sqlite:///")).is_file()


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
    import contextlib
    import io
    import logging

    import mlflow

    configure()
    chatter = io.StringIO()
    with contextlib.redirect_stderr(chatter):  # "Successfully registered model …" is printed, not logged
        version = mlflow.register_model(model_uri, name, tags=tags)
    logging.getLogger(__name__).info(chatter.getvalue().strip())
    return str(version.version)


def alias_version(name: str, alias: str) -> str | None:
    """The version holding ``alias`` for model ``name``, or None (also when there is no tracking store yet:
    it is not created for the question)."""
    if not store_exists():
        return None
    from mlflow.exceptions import MlflowException

    try:
        return str(client().get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def set_alias(name: str, alias: str, version: str) -> None:
    client().set_registered_model_alias(name, alias, str(version))


# --- where a run comes from: code, data, entry point ----------------------------------------------------------

PIPELINE_OUTPUTS = ("dvc.lock", "reports/")
"""Paths a running pipeline rewrites; they do not make the source tree dirty."""


def git_state(root: Path | None = None) -> tuple[str | None, bool | None]:
    """``(commit, dirty)`` of the checkout at ``root`` (``(None, None)`` outside git). Dirty means a tracked
    file differs from the commit, pipeline outputs (``dvc.lock``, ``reports/``) aside."""
    import subprocess

    folder = root or get_settings().root

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None, None
    status = git("status", "--porcelain", "--untracked-files=no") or ""
    changed = [line[3:].strip() for line in status.splitlines() if line.strip()]
    dirty = any(not path.startswith(PIPELINE_OUTPUTS) for path in changed)
    return commit.strip(), dirty


def fingerprint(*inputs: Any) -> str:
    """A short SHA-256 of a run's inputs: files and folders (names and bytes), data frames and series (their
    values and index), bytes and anything else by its ``repr``. The same inputs give the same digest."""
    import hashlib

    import pandas as pd

    digest = hashlib.sha256()
    for item in inputs:
        if isinstance(item, Path):
            files = sorted(p for p in item.rglob("*") if p.is_file()) if item.is_dir() else [item]
            for path in files:
                digest.update(str(path.relative_to(item) if item.is_dir() else path.name).encode())
                digest.update(path.read_bytes() if path.is_file() else b"<missing>")
        elif isinstance(item, pd.DataFrame | pd.Series):
            digest.update(pd.util.hash_pandas_object(item, index=True).to_numpy().tobytes())
            digest.update(repr(list(item.columns) if isinstance(item, pd.DataFrame) else item.name).encode())
        elif isinstance(item, bytes):
            digest.update(item)
        else:
            digest.update(repr(item).encode())
        digest.update(b"\x00")
    return digest.hexdigest()[:16]


def unique_run_name(base: str) -> str:
    """``base`` with the UTC time and a random suffix: two runs never share a name."""
    import datetime as dt
    import secrets

    return f"{base}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(2)}"


def origin_tags(context: RunContext, data_version: str) -> dict[str, str]:
    """The tags every run carries: git commit and dirty flag, entry point (DVC stage or notebook), data version."""
    commit, dirty = git_state(context.root)
    tags = {**context.tags(), DATA_VERSION_TAG: data_version}
    tags["git_commit"] = commit or "unknown"
    tags["git_dirty"] = "unknown" if dirty is None else str(dirty).lower()
    if commit:
        tags["mlflow.source.git.commit"] = commit
    if context.kind in ("pipeline", "notebook"):
        tags["mlflow.source.name"] = f"notebooks/{context.name}.ipynb"
        tags["mlflow.source.type"] = "NOTEBOOK"
    else:
        tags["mlflow.source.name"] = f"minimarket {context.name}"
        tags["mlflow.source.type"] = "LOCAL"
    return tags


# --- the promotion gate --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationSet:
    """The one set both versions are scored on at gate time: what it is, how big (documents, months,
    series…), its hash, and ``score(model_uri) -> metric`` on it."""

    description: str
    size: int
    digest: str
    score: Callable[[str], float]


PreGateCheck = Callable[[str], "str | None"]
"""A check on the challenger (its model URI) before any comparison: a reason to refuse it, or None."""


@dataclass(frozen=True)
class GatePolicy:
    """How a model is judged: its metric and direction, the smallest evaluation set on which the gate may
    move ``champion`` (``Settings.gate_min_eval_size`` when None) and the model's own pre-gate checks."""

    metric: str
    lower_is_better: bool = True
    min_size: int | None = None
    checks: tuple[PreGateCheck, ...] = ()
    tolerance: float = 1e-9
    refresh_on_tie: bool = False
    """A tie promotes only a *refresh*: the champion's configuration (version tag ``config_digest``) refit on
    other data (``data_version``) that runs at least as late (``data_through``), e.g. the monthly CPI refit or
    a revised figure; any other tie keeps the champion."""


CONFIG_TAG = "config_digest"
DATA_THROUGH_TAG = "data_through"
DATA_VERSION_TAG = "data_version"


def _is_refresh(name: str, version: str, champion_version: str) -> str | None:
    """Why ``version`` is a refresh of the champion (same configuration, later data), or None."""
    mlflow_client = client()
    new = dict(mlflow_client.get_model_version(name, version).tags or {})
    old = dict(mlflow_client.get_model_version(name, champion_version).tags or {})
    same_config = new.get(CONFIG_TAG) and new.get(CONFIG_TAG) == old.get(CONFIG_TAG)
    not_older = new.get(DATA_THROUGH_TAG, "") >= old.get(DATA_THROUGH_TAG, "\uffff")
    other_data = new.get(DATA_VERSION_TAG) != old.get(DATA_VERSION_TAG)
    if same_config and not_older and other_data:
        return (
            f"the champion's configuration refit on data through {new[DATA_THROUGH_TAG]} (was {old[DATA_THROUGH_TAG]})"
        )
    return None


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
    eval_digest: str = ""
    eval_size: int = 0
    eval_description: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def sentence(self) -> str:
        """The decision in one sentence, for a report."""
        verdict = "became `champion`" if self.promoted else "did not become `champion`"
        return (
            f"{self.model} v{self.version} {verdict}: {self.reason} "
            f"(evaluation set: {self.eval_description}, {self.eval_size} units, hash {self.eval_digest})."
        )


def is_better(challenger: float, champion: float, lower_is_better: bool, tolerance: float = 1e-9) -> bool:
    """The gate's rule: the challenger must beat the champion by more than ``tolerance``; a tie keeps the
    champion, and NaN is always worse (a NaN champion is beaten by any number)."""
    if math.isnan(challenger):
        return False
    if math.isnan(champion):
        return True
    if lower_is_better:
        return challenger < champion - tolerance
    return challenger > champion + tolerance


def _judge(
    name: str, version: str, policy: GatePolicy, evaluation: EvaluationSet, champion_version: str | None
) -> tuple[float, float | None, bool, str]:
    """Score both versions on ``evaluation`` and decide: ``(challenger, champion, promoted, reason)``."""
    min_size = policy.min_size if policy.min_size is not None else get_settings().gate_min_eval_size
    challenger_uri = f"models:/{name}/{version}"
    challenger_value = float(evaluation.score(challenger_uri))
    if evaluation.size < min_size:
        return challenger_value, None, False, f"evaluation set too small to decide ({evaluation.size} < {min_size})"
    for check in policy.checks:
        refusal = check(challenger_uri)
        if refusal:
            return challenger_value, None, False, f"pre-gate check failed: {refusal}"
    if math.isnan(challenger_value):
        return challenger_value, None, False, f"{policy.metric} is NaN"
    if champion_version is None:
        return challenger_value, None, True, "no champion yet"
    if champion_version == str(version):
        return challenger_value, challenger_value, True, "already champion"
    champion_value = float(evaluation.score(f"models:/{name}/{champion_version}"))
    promoted = is_better(challenger_value, champion_value, policy.lower_is_better, policy.tolerance)
    tie = not math.isnan(champion_value) and abs(challenger_value - champion_value) <= policy.tolerance
    refresh = _is_refresh(name, str(version), champion_version) if tie and policy.refresh_on_tie else None
    if promoted:
        relation = "better than"
    elif refresh:
        promoted, relation = True, f"ties, and is {refresh},"
    elif tie:
        relation = "ties (a tie keeps the champion)"
    else:
        relation = "worse than"
    reason = (
        f"{policy.metric} {challenger_value:.4f} (v{version}) {relation} {champion_value:.4f} "
        f"(champion v{champion_version}), both scored at gate time on the same evaluation set"
    )
    return challenger_value, champion_value, promoted, reason


def promotion_gate(
    name: str,
    version: str,
    *,
    policy: GatePolicy,
    evaluation: EvaluationSet,
    run_id: str | None = None,
) -> GateDecision:
    """Give ``version`` the ``challenger`` alias, score it and the champion on ``evaluation`` (one set,
    computed now, its hash recorded), move ``champion`` only if the challenger is strictly better, the
    set is big enough and every pre-gate check passes; log the decision on the run and the version."""
    mlflow_client = client()
    set_alias(name, CHALLENGER, version)
    champion_version = alias_version(name, CHAMPION)
    challenger_value, champion_value, promoted, reason = _judge(name, version, policy, evaluation, champion_version)
    if promoted:
        set_alias(name, CHAMPION, version)
    decision = GateDecision(
        model=name,
        version=str(version),
        metric=policy.metric,
        challenger_value=challenger_value,
        champion_version=champion_version,
        champion_value=champion_value,
        lower_is_better=policy.lower_is_better,
        promoted=promoted,
        reason=reason,
        eval_digest=evaluation.digest,
        eval_size=evaluation.size,
        eval_description=evaluation.description,
    )
    _record(mlflow_client, decision, run_id)
    return decision


def _record(mlflow_client: Any, decision: GateDecision, run_id: str | None) -> None:
    """The decision as version tags and, when there is a run, as its metrics, tag and JSON artifact."""
    import mlflow

    for key, value in {
        "gate_promoted": str(decision.promoted).lower(),
        "gate_metric": decision.metric,
        "gate_challenger_value": f"{decision.challenger_value:.6g}",
        "gate_champion_value": "" if decision.champion_value is None else f"{decision.champion_value:.6g}",
        "gate_champion_version": decision.champion_version or "",
        "gate_reason": decision.reason,
        "gate_eval_digest": decision.eval_digest,
        "gate_eval_size": str(decision.eval_size),
        "gate_eval_description": decision.eval_description,
    }.items():
        mlflow_client.set_model_version_tag(decision.model, decision.version, key, value)
    active = mlflow.active_run()
    target_run = run_id or (active.info.run_id if active is not None else None)
    if target_run:
        metrics: dict[str, float] = {f"gate_challenger_{decision.metric}": decision.challenger_value}
        if decision.champion_value is not None:
            metrics[f"gate_champion_{decision.metric}"] = decision.champion_value
        for metric_key, metric_value in metrics.items():
            mlflow_client.log_metric(target_run, metric_key, metric_value)
        mlflow_client.set_tag(target_run, "gate_promoted", str(decision.promoted).lower())
        mlflow_client.set_tag(target_run, "gate_eval_digest", decision.eval_digest)
        mlflow_client.log_text(target_run, json.dumps(decision.as_dict(), indent=2), "promotion_decision.json")


# --- one run: log, register, gate ---------------------------------------------------------------------------


@dataclass
class Publication:
    """What became of a logged model: its registered version and the gate's decision, or why neither."""

    version: str | None
    decision: GateDecision | None
    note: str

    def sentence(self) -> str:
        return self.decision.sentence() if self.decision is not None else self.note


@dataclass
class TrackedRun:
    """An open MLflow run started by :func:`tracked_run`; :meth:`publish` registers and gates its model."""

    run_id: str
    name: str
    experiment: str
    context: RunContext
    data_version: str

    def publish(
        self,
        model_uri: str,
        model_name: str,
        *,
        policy: GatePolicy,
        evaluation: Callable[[], EvaluationSet],
        tags: dict[str, str] | None = None,
    ) -> Publication:
        """Register ``model_uri`` as a new ``model_name`` version and run the promotion gate on the set
        ``evaluation()`` builds now; a scratch run not asked to promote registers nothing."""
        if not self.context.may_promote:
            note = (
                f"{model_name}: not registered — {self.context.name} ran outside DVC; the model is logged in run "
                f"{self.run_id} (experiment {self.experiment}); pass promote=True to register and gate it."
            )
            return Publication(None, None, note)
        version_tags = {**(tags or {}), "run_name": self.name, DATA_VERSION_TAG: self.data_version}
        version = register(model_uri, model_name, tags=version_tags)
        decision = promotion_gate(model_name, version, policy=policy, evaluation=evaluation(), run_id=self.run_id)
        return Publication(version, decision, decision.sentence())


@contextmanager
def tracked_run(
    experiment: str,
    base_name: str,
    *,
    context: RunContext,
    data_version: str,
    params: dict[str, Any] | None = None,
) -> Iterator[TrackedRun]:
    """Start an MLflow run in ``experiment`` (``scratch-<experiment>`` outside the pipeline) under a unique
    name, tagged with its origin (git commit and dirty flag, DVC stage or notebook, data version)."""
    import mlflow

    resolved = context.experiment(experiment)
    set_experiment(resolved)
    name = unique_run_name(base_name)
    with mlflow.start_run(run_name=name, tags=origin_tags(context, data_version)) as run:
        if params:
            mlflow.log_params(params)
        yield TrackedRun(run.info.run_id, name, resolved, context, data_version)


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
