"""The operations files validated by their own tools: promtool (rules and their unit tests), amtool (the rendered
Alertmanager config and its routes), docker-compose (the compose file, with and without secrets), hadolint (the
Dockerfile), plus the structure of the Grafana dashboards, the CI workflows and the runbook's anchors."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from croniter import croniter

from minimarket.config import REPO_ROOT
from tests.integration.ops.promql import ALERT_TESTS, ALERTS, OPS, alert_rules, metric_names, runbook_anchors

COMPOSE = REPO_ROOT / "docker-compose.yml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
DOCKERFILE = OPS / "docker" / "Dockerfile"
WORKFLOWS = REPO_ROOT / ".github" / "workflows"


COMPOSE_PLUGIN = "/usr/libexec/docker/cli-plugins"
"""Where Compose v2 lives when packaged as a docker CLI plugin (it also runs on its own as ``docker-compose``)."""


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path=f"{Path(sys.executable).parent}:{COMPOSE_PLUGIN}")
    if path is None:
        pytest.fail(f"{name} is not installed: `make test` installs it (ops/setup/system-deps.sh ops)")
    return path


def _run(*args: str, env: dict[str, str] | None = None, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


# --- Prometheus -------------------------------------------------------------------------------------------


def test_promtool_checks_the_config_and_the_rules() -> None:
    promtool = _tool("promtool")
    config = _run(promtool, "check", "config", str(OPS / "prometheus" / "prometheus.yml"))
    assert config.returncode == 0, config.stdout + config.stderr
    rules = _run(promtool, "check", "rules", str(ALERTS))
    assert rules.returncode == 0 and "21 rules found" in rules.stdout, rules.stdout + rules.stderr


def test_promtool_unit_tests_of_every_rule_pass() -> None:
    result = _run(_tool("promtool"), "test", "rules", str(ALERT_TESTS))
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr


def test_every_rule_is_documented_and_tested_firing_and_not_firing() -> None:
    rules = alert_rules()
    assert len(rules) >= 15
    tests = yaml.safe_load(ALERT_TESTS.read_text(encoding="utf-8"))["tests"]
    firing: set[str] = set()
    quiet: set[str] = set()
    for group in tests:
        for check in group.get("alert_rule_test", []):
            (firing if check["exp_alerts"] else quiet).add(check["alertname"])
    anchors = runbook_anchors(OPS / "RUNBOOK.md")
    for rule in rules:
        name = rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning"}, name
        assert rule["labels"]["area"] in {"system", "security", "business", "ml"}, name
        notes = rule["annotations"]
        assert notes["summary"] and notes["description"], name
        assert notes["runbook_url"] == f"ops/RUNBOOK.md#{name.lower()}", name
        assert name.lower() in anchors, f"ops/RUNBOOK.md has no section for {name}"
        assert name in firing and name in quiet, f"{name} needs a firing and a not-firing test"
        assert metric_names(rule["expr"]), name


# --- Alertmanager -----------------------------------------------------------------------------------------

ALERT_ENV = {
    "ALERT_SMTP_HOST": "smtp.example.com:587",
    "ALERT_SMTP_USER": "alertas",
    "ALERT_SMTP_PASSWORD": "p/&|x$y\\z",
    "ALERT_EMAIL_FROM": "alertas@example.com",
    "ALERT_EMAIL_TO": "guardia@example.com",
    "ALERT_WEBHOOK_URL": "https://chat.example.com/hooks/abc123",
    "RUNBOOK_BASE_URL": "https://git.example.com/minimarket/-/blob/main/",
}


def _render(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    folder = OPS / "alertmanager"
    return _run(
        "sh",
        str(folder / "render.sh"),
        str(folder / "alertmanager.yml.tmpl"),
        str(tmp_path / "alertmanager.yml"),
        str(folder / "minimarket.tmpl"),
        str(tmp_path / "minimarket.tmpl"),
        env={"PATH": os.environ["PATH"], **env},
    )


def test_alertmanager_config_is_rendered_from_env_and_routes_by_severity(tmp_path: Path) -> None:
    rendered = _render(tmp_path, ALERT_ENV)
    assert rendered.returncode == 0, rendered.stderr
    config = (tmp_path / "alertmanager.yml").read_text()
    assert "${" not in config and ALERT_ENV["ALERT_SMTP_PASSWORD"] in config
    assert (
        ALERT_ENV["RUNBOOK_BASE_URL"] + "{{ .Annotations.runbook_url }}" in (tmp_path / "minimarket.tmpl").read_text()
    )
    amtool = _tool("amtool")
    check = _run(amtool, "check-config", str(tmp_path / "alertmanager.yml"))
    assert check.returncode == 0 and "SUCCESS" in check.stdout, check.stdout + check.stderr
    parsed = yaml.safe_load(config)
    receivers = {r["name"]: r for r in parsed["receivers"]}
    assert receivers["email-and-chat"]["email_configs"][0]["to"] == ALERT_ENV["ALERT_EMAIL_TO"]
    assert receivers["chat"]["slack_configs"][0]["api_url"] == ALERT_ENV["ALERT_WEBHOOK_URL"]
    for severity, receiver in (("critical", "email-and-chat"), ("warning", "chat")):
        route = _run(
            amtool, "config", "routes", "test", f"--config.file={tmp_path / 'alertmanager.yml'}",
            f"severity={severity}", "alertname=MinimarketApiDown",
        )  # fmt: skip
        assert route.stdout.strip() == receiver, route.stdout + route.stderr


def test_alertmanager_refuses_to_start_without_its_settings(tmp_path: Path) -> None:
    missing = _render(tmp_path, {k: v for k, v in ALERT_ENV.items() if k != "ALERT_SMTP_PASSWORD"})
    assert missing.returncode != 0 and "ALERT_SMTP_PASSWORD is not set" in missing.stderr
    assert not (tmp_path / "alertmanager.yml").exists()
    quoted = _render(tmp_path, {**ALERT_ENV, "ALERT_EMAIL_TO": "o'brien@example.com"})
    assert quoted.returncode != 0 and "single quote" in quoted.stderr


# --- compose and images -----------------------------------------------------------------------------------


def _env_names() -> list[str]:
    return re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(encoding="utf-8"), re.MULTILINE)


def _compose(env_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}  # no MINIMARKET_* leaks in
    return _run(_tool("docker-compose"), "--env-file", str(env_file), "--file", str(COMPOSE), *args, env=clean)


def test_compose_needs_every_secret_and_has_no_default_password(tmp_path: Path) -> None:
    example = _compose(ENV_EXAMPLE, "config", "--quiet")
    assert example.returncode != 0 and "in .env" in example.stderr, "the empty .env.example must not be enough"
    text = COMPOSE.read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*):\?", text))
    template = (OPS / "alertmanager" / "alertmanager.yml.tmpl").read_text(encoding="utf-8")
    assert set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", template)) <= required
    assert required <= set(_env_names()), "every required variable is documented in .env.example"
    assert not re.search(r"(PASSWORD|SECRET)[A-Z_]*:-", text), "a secret with a default value"
    for name in required:
        if re.search("PASSWORD|SECRET|TOKEN", name):
            assert re.search(rf"^{name}=$", ENV_EXAMPLE.read_text(), re.MULTILINE), f"{name} has a value"
    assert ".env" in (REPO_ROOT / ".gitignore").read_text().split()


def test_compose_config_validates_with_secrets(tmp_path: Path) -> None:
    values = {name: secrets.token_hex(12) for name in _env_names()}
    values["MINIMARKET_CPI_FEED"] = "/var/lib/minimarket/inbox/cpi.csv"
    values.update(MINIMARKET_API_REPLICAS="2", MINIMARKET_DASK_WORKERS="2")
    env_file = tmp_path / "test.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
    quiet = _compose(env_file, "config", "--quiet")
    assert quiet.returncode == 0, quiet.stderr
    resolved = yaml.safe_load(_compose(env_file, "config").stdout)
    services: dict[str, Any] = resolved["services"]
    expected = {"api", "dashboards", "scheduler", "mlflow", "postgres", "prometheus", "alertmanager", "grafana"}
    expected |= {"nginx", "redis", "dask-scheduler", "dask-worker"}  # scaling (issue 23)
    assert set(services) == expected
    targets = set(re.findall(r"^FROM \S+ AS (\S+)$", DOCKERFILE.read_text(), re.MULTILINE))
    for name, service in services.items():
        if "build" in service:
            assert service["build"]["target"] in targets, name
        for port in service.get("ports", []):
            published = port if isinstance(port, str) else f"{port.get('host_ip')}:{port.get('published')}"
            assert published.startswith("127.0.0.1:"), (name, port)
    api_env = services["api"]["environment"]
    assert values["POSTGRES_PASSWORD"] in api_env["MINIMARKET_DATABASE_URL"]
    assert api_env["MINIMARKET_MLFLOW_URI"] == "http://mlflow:5000"
    assert values["MLFLOW_DB_PASSWORD"] in services["mlflow"]["environment"]["MLFLOW_BACKEND_STORE_URI"]
    assert services["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"] == values["GRAFANA_ADMIN_PASSWORD"]
    assert {name: services[name]["build"]["target"] for name in ("api", "dashboards", "scheduler", "mlflow")} == {
        "api": "api",
        "dashboards": "dashboards",
        "scheduler": "scheduler",
        "mlflow": "mlflow",
    }
    mounts = " ".join(str(v) for v in services["scheduler"]["volumes"])
    assert "/backups" in mounts and "/mlartifacts" in mounts and "/var/lib/minimarket" in mounts
    assert services["api"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    _check_scaling(services, values)


def _check_scaling(services: dict[str, Any], values: dict[str, str]) -> None:
    """N api replicas behind nginx only, sharing Redis, PostgreSQL and the state volume; MLflow on PostgreSQL."""
    api = services["api"]
    assert api["deploy"]["replicas"] == 2 and "ports" not in api, "replicas are reached through nginx only"
    assert api["depends_on"]["redis"]["condition"] == "service_healthy"
    env = api["environment"]
    assert env["MINIMARKET_RATE_LIMIT_STORAGE"] == "redis://redis:6379/0" and env["FORWARDED_ALLOW_IPS"]
    for name in ("DB_POOL_SIZE", "DB_MAX_OVERFLOW", "DB_POOL_TIMEOUT_SECONDS", "BATCH_LEASE_SECONDS"):
        assert int(env[f"MINIMARKET_{name}"]) > 0, name
    nginx = services["nginx"]
    assert any("ops/nginx/nginx.conf:/etc/nginx/nginx.conf" in str(v) for v in nginx["volumes"])
    assert [str(p if isinstance(p, str) else f"{p.get('host_ip')}:{p.get('published')}") for p in nginx["ports"]]
    assert "api" in nginx["depends_on"] and services["redis"]["healthcheck"]
    mlflow_url = services["mlflow"]["environment"]["MLFLOW_BACKEND_STORE_URI"]
    assert mlflow_url.startswith("postgresql+psycopg://mlflow:") and mlflow_url.endswith("@postgres:5432/mlflow")
    assert values["POSTGRES_PASSWORD"] in env["MINIMARKET_DATABASE_URL"].split("@")[0]
    assert "10-mlflow.sh" in " ".join(str(v) for v in services["postgres"]["volumes"])
    state = "minimarket-var:/var/lib/minimarket"
    for name in ("api", "dashboards", "scheduler", "dask-worker"):
        assert any(state in str(v) or ("minimarket-var" in str(v) and "/var/lib/minimarket" in str(v))
                   for v in services[name]["volumes"]), name  # fmt: skip
    for name in ("dask-scheduler", "dask-worker"):
        assert services[name]["profiles"] == ["dask"] and services[name]["image"] == api["image"], name
    assert "tcp://dask-scheduler:8786" in services["dask-worker"]["entrypoint"]


def test_compose_scales_the_api_with_an_env_value(tmp_path: Path) -> None:
    values = {name: secrets.token_hex(12) for name in _env_names()}
    values.update(MINIMARKET_API_REPLICAS="4", MINIMARKET_DASK_WORKERS="3")
    env_file = tmp_path / "test.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
    resolved = yaml.safe_load(_compose(env_file, "config").stdout)
    assert resolved["services"]["api"]["deploy"]["replicas"] == 4
    assert resolved["services"]["dask-worker"]["deploy"]["replicas"] == 3


def test_hadolint_passes_and_every_image_runs_unprivileged_with_a_healthcheck() -> None:
    result = _run(_tool("hadolint"), "--no-color", str(DOCKERFILE))
    assert result.returncode == 0, result.stdout + result.stderr
    stages = re.split(r"^FROM ", DOCKERFILE.read_text(encoding="utf-8"), flags=re.MULTILINE)[1:]
    finals = {re.match(r"\S+ AS (\S+)", s).group(1): s for s in stages}  # type: ignore[union-attr]
    for target in ("api", "dashboards", "scheduler", "mlflow"):
        stage = finals[target]
        users = re.findall(r"^USER (\S+)$", stage, re.MULTILINE)
        assert users and users[-1] == "10001:10001", target
        assert "HEALTHCHECK" in stage and "Authorization" not in stage and "token" not in stage.lower(), target
        assert re.search(r"^CMD \[", stage, re.MULTILINE), target
    # the image serves the dashboards the way `make dashboards` does, on every address of the container
    assert "minimarket dashboards serve --port 8866" in (REPO_ROOT / "Makefile").read_text()
    assert '"minimarket", "dashboards", "serve", "--host", "0.0.0.0", "--port", "8866"' in finals["dashboards"]


# --- Grafana ----------------------------------------------------------------------------------------------


def test_dashboards_are_provisioned_and_up_to_date() -> None:
    generated = _run(sys.executable, str(OPS / "grafana" / "generate_dashboards.py"), "--check")
    assert generated.returncode == 0, generated.stderr
    datasource = yaml.safe_load((OPS / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text())
    uid = datasource["datasources"][0]["uid"]
    provider = yaml.safe_load((OPS / "grafana" / "provisioning" / "dashboards" / "minimarket.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    titles = set()
    for path in sorted((OPS / "grafana" / "dashboards").glob("*.json")):
        board = json.loads(path.read_text(encoding="utf-8"))
        titles.add(board["title"])
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids)) >= 6, path.name
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == uid and panel["targets"], (path.name, panel["title"])
            for target in panel["targets"]:
                assert metric_names(target["expr"]), (path.name, panel["title"])
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24
    assert titles == {f"minimarket — {t}" for t in ("Sistema", "Seguridad", "Negocio", "Modelos (ML)")}


# --- CI workflows -----------------------------------------------------------------------------------------


def _workflow(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_ci_workflows() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        workflow = _workflow(path.name)
        assert workflow["permissions"] == {"contents": "read"}, path.name
        for step in _steps(workflow):
            if "uses" in step:
                assert re.search(r"@(v\d+|\d+\.\d+\.\d+|[0-9a-f]{40})$", step["uses"]), (path.name, step["uses"])
        for entry in workflow["on"].get("schedule", []) or []:
            assert croniter.is_valid(entry["cron"]), (path.name, entry)

    tests = _workflow("tests.yml")
    job = tests["jobs"]["test"]
    assert job["strategy"]["matrix"]["python"] == ["3.11", "3.12"]
    assert "make test" in " ".join(step.get("run", "") for step in job["steps"])
    assert {"push", "pull_request"} <= set(tests["on"])

    audit = _workflow("audit.yml")
    (schedule,) = audit["on"]["schedule"]
    assert schedule["cron"].split()[4] != "*", "the audit runs weekly"
    runs = " ".join(step.get("run", "") for step in _steps(audit))
    assert "pip-audit" in runs and "--requirement requirements.lock" in runs

    scan = _workflow("image-scan.yml")
    job = scan["jobs"]["trivy"]
    targets = set(re.findall(r"^FROM \S+ AS (\S+)$", DOCKERFILE.read_text(), re.MULTILINE)) - {"build", "runtime"}
    assert set(job["strategy"]["matrix"]["target"]) == targets
    trivy = next(step for step in job["steps"] if step.get("uses", "").startswith("aquasecurity/trivy-action@"))
    assert trivy["with"]["exit-code"] == "1" and "CRITICAL" in trivy["with"]["severity"]
    assert "${{ matrix.target }}" in trivy["with"]["image-ref"]


# --- PostgreSQL initialisation ----------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_init_script_creates_mlflow_user_and_database(postgres_url: str) -> None:
    """ops/postgres/init-mlflow.sh as the postgres image runs it (psql as POSTGRES_USER), on a real server."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url)
    password = secrets.token_hex(8)
    env = {
        "PATH": os.environ["PATH"],
        "PGHOST": str(url.host),
        "PGPORT": str(url.port),
        "POSTGRES_USER": str(url.username),
        "POSTGRES_DB": str(url.database),
        "MLFLOW_DB_PASSWORD": password,
    }
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS mlflow")
        connection.execute("DROP ROLE IF EXISTS mlflow")
    missing = _run(
        "sh", str(OPS / "postgres" / "init-mlflow.sh"), env={k: v for k, v in env.items() if k != "MLFLOW_DB_PASSWORD"}
    )
    assert missing.returncode != 0 and "MLFLOW_DB_PASSWORD" in missing.stderr
    created = _run("sh", str(OPS / "postgres" / "init-mlflow.sh"), env=env)
    assert created.returncode == 0, created.stderr
    mlflow = url.set(drivername="postgresql", username="mlflow", password=password, database="mlflow")
    with psycopg.connect(mlflow.render_as_string(hide_password=False)) as connection:
        owner = connection.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'mlflow'")
        assert owner.fetchone() == ("mlflow",)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute("DROP DATABASE mlflow")
        connection.execute("DROP ROLE mlflow")
