"""deploy/k8s validated offline by kubernetes-validate (strict schemas of a pinned Kubernetes version), and wired
together: every Service selects a Deployment, every HPA scales one, every ConfigMap/Secret/PVC referenced exists,
probes hit the service's health routes, and the Ingress keeps the limits of Settings."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from minimarket.config import REPO_ROOT, Settings

K8S = REPO_ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.31.0"
"""The Kubernetes version the manifests are written for (kubernetes-validate ships its schemas offline)."""


def _resources() -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                found.append((path, doc))
    return found


def _kind(kind: str) -> dict[str, dict[str, Any]]:
    return {r["metadata"]["name"]: r for _p, r in _resources() if r["kind"] == kind}


@pytest.mark.parametrize(("path", "resource"), _resources(), ids=lambda v: v.name if isinstance(v, Path) else "")
def test_every_manifest_validates_against_the_pinned_schemas(path: Path, resource: dict[str, Any]) -> None:
    try:
        checked = kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        pytest.fail(f"{path.name} {resource['kind']}/{resource['metadata']['name']}: {exc.message}")
    assert checked == "1.31"
    assert resource["metadata"].get("namespace", "minimarket") == "minimarket"


def test_the_stack_has_every_piece() -> None:
    kinds = {(r["kind"], r["metadata"]["name"]) for _p, r in _resources()}
    expected = {
        ("Deployment", "api"), ("Service", "api"), ("HorizontalPodAutoscaler", "api"), ("Ingress", "minimarket-api"),
        ("Deployment", "dask-scheduler"), ("Service", "dask-scheduler"), ("Deployment", "dask-worker"),
        ("HorizontalPodAutoscaler", "dask-worker"), ("ConfigMap", "minimarket-settings"),
        ("Secret", "minimarket-secrets"), ("Service", "postgres"), ("Deployment", "redis"), ("Service", "redis"),
        ("PersistentVolumeClaim", "minimarket-var"), ("Namespace", "minimarket"),
    }  # fmt: skip
    assert expected <= kinds, expected - kinds


def test_services_autoscalers_and_references_are_wired() -> None:
    deployments = _kind("Deployment")
    for name, service in _kind("Service").items():
        if service["spec"].get("type") == "ExternalName":
            continue
        selected = [d for d in deployments.values() if service["spec"]["selector"].items() <= _labels(d).items()]
        assert selected, f"Service {name} selects no Deployment"
        ports = {p["name"] for c in _containers(selected[0]) for p in c.get("ports", [])}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= ports, name
    for name, hpa in _kind("HorizontalPodAutoscaler").items():
        target = hpa["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment" and target["name"] in deployments, name
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"], name
        containers = _containers(deployments[target["name"]])
        assert all(c["resources"]["requests"]["cpu"] for c in containers), f"{name}: CPU utilisation needs requests"
    configmaps, secrets, claims = _kind("ConfigMap"), _kind("Secret"), _kind("PersistentVolumeClaim")
    for name, deployment in deployments.items():
        spec = deployment["spec"]
        assert spec["selector"]["matchLabels"].items() <= _labels(deployment).items(), name
        for container in _containers(deployment):
            assert container["resources"]["limits"]["memory"], name
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in configmaps, name
                if "secretRef" in source:
                    assert source["secretRef"]["name"] in secrets, name
        for volume in spec["template"]["spec"].get("volumes", []):
            assert volume["persistentVolumeClaim"]["claimName"] in claims, name
    backend = _kind("Ingress")["minimarket-api"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] in _kind("Service")


def test_api_probes_settings_and_ingress_match_the_service() -> None:
    api = _containers(_kind("Deployment")["api"])[0]
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert api["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert api["args"][:2] == ["minimarket", "serve"]
    settings = _kind("ConfigMap")["minimarket-settings"]["data"]
    assert settings["MINIMARKET_RATE_LIMIT_STORAGE"].startswith("redis://redis:")
    assert settings["MINIMARKET_DASK_SCHEDULER"] == "tcp://dask-scheduler:8786"
    fields = {f"MINIMARKET_{name.upper()}" for name in Settings.model_fields}
    scaling = {
        f"MINIMARKET_{name}"
        for name in (
            "DB_POOL_SIZE",
            "DB_MAX_OVERFLOW",
            "DB_POOL_TIMEOUT_SECONDS",
            "RATE_LIMIT_STORAGE",
            "BATCH_LEASE_SECONDS",
            "DASK_SCHEDULER",
        )
    }  # fmt: skip  (the settings of the replicas and dask branches)
    unknown = {k for k in settings if k.startswith("MINIMARKET_")} - fields - scaling
    assert not unknown, f"not settings of src/minimarket/config.py: {unknown}"
    notes = _kind("Ingress")["minimarket-api"]["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    body = notes["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert int(body.rstrip("m")) * 1024 * 1024 == Settings().max_batch_request_bytes
    worker = _containers(_kind("Deployment")["dask-worker"])[0]
    args = worker["args"]
    assert "tcp://dask-scheduler:8786" in args and args[args.index("--nthreads") + 1] == "1"


def test_api_memory_covers_the_measured_rss() -> None:
    measured = REPO_ROOT / "reports" / "benchmarks" / "load.json"
    memory = json.loads(measured.read_text(encoding="utf-8"))["a_mixed"]["memory"]
    resources = _containers(_kind("Deployment")["api"])[0]["resources"]
    assert _mib(resources["requests"]["memory"]) >= memory["rss_after_warmup_mib"]
    assert _mib(resources["limits"]["memory"]) >= memory["rss_end_mib"]


def _mib(quantity: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", quantity).groups()  # type: ignore[union-attr]
    return int(number) * (1024 if unit == "Gi" else 1)


def _labels(deployment: dict[str, Any]) -> dict[str, str]:
    return dict(deployment["spec"]["template"]["metadata"]["labels"])


def _containers(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    return list(deployment["spec"]["template"]["spec"]["containers"])
