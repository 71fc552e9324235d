"""Operations against one real ``minimarket serve`` on loopback (its own state folder):

* signing-key rotation end to end: a token issued before ``minimarket keys rotate --grace 4s`` works during the
  grace and is refused after it; a second rotation drops the oldest key at once;
* the service driven through every kind of event (extractions, an OCR timeout, a batch, refused tokens, rate
  limits, the CPI and the drift pipelines run by the scheduler on its store, a backup), then its /metrics page
  scraped: every Grafana panel and every alert rule names metrics that are really there, with sane values.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from minimarket.config import REPO_ROOT
from minimarket.service.local import LocalServer, server_env
from tests.integration.ops.promql import PROMETHEUS_OWN, alert_rules, exposed_names, metric_names, panel_targets

SAMPLES = REPO_ROOT / "data" / "samples"
RATE_LIMIT = 6


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    state = tmp_path_factory.mktemp("ops-server")
    settings = {
        "reader_workers": 1,
        "champion_poll_seconds": 1,
        "events_poll_seconds": 0.2,
        "rate_limit_per_minute": RATE_LIMIT,
        "rate_limit_per_minute_ip": 100000,
        "ocr_timeout_seconds": 0.05,  # a photo runs out of OCR time: the timeout counter moves
        "cpi_feed": str(state / "cpi.csv"),
    }
    live = LocalServer(env=server_env(state, **settings), log=state / "server.log")
    live.start()
    try:
        yield live
    finally:
        live.stop()


def _cli(server: LocalServer, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "minimarket.cli", *args],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO_ROOT,
    )


def _get(server: LocalServer, token: str, path: str = "/api/v1/invoices?limit=1") -> httpx.Response:
    return httpx.get(server.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def test_a_rotated_key_is_accepted_during_its_grace_and_refused_after(server: LocalServer) -> None:
    before = server.token("manager")
    assert _get(server, before).status_code == 200

    rotated = _cli(server, "keys", "rotate", "--grace", "4s")
    assert rotated.returncode == 0, rotated.stderr
    rotated_at = time.monotonic()
    after = server.token("manager")
    assert _get(server, after).status_code == 200, "the running service picked up the new key"
    assert _get(server, before).status_code == 200, "the previous key still works during the grace"

    time.sleep(max(0.0, 4.5 - (time.monotonic() - rotated_at)))
    refused = _get(server, before)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_token" and "rotada" in refused.json()["error"]["message"]
    assert _get(server, after).status_code == 200

    # a second rotation keeps only the previous key: the one before it is refused at once, grace or not
    _cli(server, "keys", "rotate", "--grace", "1h")
    third = server.token("manager")
    assert _get(server, third).status_code == 200
    assert _get(server, after).status_code == 200
    assert _cli(server, "keys", "rotate", "--grace", "1h").returncode == 0
    assert _get(server, after).status_code == 401
    assert _get(server, third).status_code == 200


def _start_pipeline(server: LocalServer, name: str, *params: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "minimarket.cli", "schedule", "run", name, "--json", *params],
        env=server.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )


def _finished(process: subprocess.Popen[str], timeout: float = 600) -> dict:
    out, err = process.communicate(timeout=timeout)
    assert out.strip(), err[-3000:]
    return json.loads(out)


def _samples(page: str) -> dict[str, float]:
    """``name{labels}`` -> value of every sample (labels as printed)."""
    values = {}
    for line in page.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            values[key] = float(value)
    return values


def _value(samples: dict[str, float], name: str, **labels: str) -> float | None:
    for key, value in samples.items():
        if key.split("{", 1)[0] == name and all(f'{k}="{v}"' in key for k, v in labels.items()):
            return value
    return None


def test_every_panel_and_alert_names_a_metric_the_service_emits(server: LocalServer) -> None:
    (server.state / "cpi.csv").write_text("month,pct,source\n2026-09,2.1,INDEC\n", encoding="utf-8")
    # the scheduled runs, on the server's own store, while the API is driven
    cpi = _start_pipeline(
        server, "monthly-cpi-update", "--param", "eval_start=2025-12", "--param", "calibration_months=12"
    )
    drift = _start_pipeline(server, "weekly-drift-check")

    client = server.token("client")
    headers = {"Authorization": f"Bearer {client}"}
    with httpx.Client(base_url=server.url + "/api/v1", headers=headers, timeout=300) as api:
        pdf = api.post("/invoices/extract", files={"file": ("factura_a.pdf", (SAMPLES / "factura_a.pdf").read_bytes())})
        assert pdf.status_code == 200 and pdf.json()["status"] in {"accepted", "needs_review"}
        photo = api.post(
            "/invoices/extract", files={"file": ("factura_foto.jpg", (SAMPLES / "factura_foto.jpg").read_bytes())}
        )
        assert photo.json()["error"]["code"] == "timeout", photo.text
        document = base64.b64encode((SAMPLES / "factura_c.pdf").read_bytes()).decode()
        batch = api.post("/invoices/batch", json={"invoices": [{"image": document, "metadata": {"ref": 1}}]})
        assert batch.status_code == 202
        batch_id = batch.json()["batch_id"]
    assert httpx.get(server.url + "/api/v1/invoices", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert httpx.get(server.url + "/api/v1/invoices").status_code == 401
    noisy = server.token("manager")
    statuses = [_get(server, noisy).status_code for _ in range(RATE_LIMIT + 2)]
    assert statuses[-1] == 429

    backup = _cli(server, "schedule", "run", "nightly-backup")
    assert backup.returncode == 0, backup.stdout + backup.stderr
    assert _finished(drift)["outcome"] == "succeeded"
    recorded = _finished(cpi)
    assert recorded["outcome"] == "succeeded", recorded
    assert "became champion" in recorded["summary"] and "did not" not in recorded["summary"], recorded
    manager = server.token("manager")
    inflation = _get(server, manager, "/api/v1/inflation")
    assert inflation.status_code == 200
    deadline = time.monotonic() + 120
    while _get(server, server.token("manager"), f"/api/v1/invoices/batch/{batch_id}").json()["status"] != "finished":
        assert time.monotonic() < deadline, "the batch did not finish"
        time.sleep(1)

    wanted = set().union(
        *(metric_names(e) for _, _, e in panel_targets()), *(metric_names(r["expr"]) for r in alert_rules())
    )
    wanted -= PROMETHEUS_OWN
    deadline = time.monotonic() + 60
    while True:  # the gauges from the store are refreshed every champion_poll_seconds
        page = httpx.get(server.url + "/metrics", timeout=30).text
        samples = _samples(page)
        missing = wanted - exposed_names(page)
        fresh = _value(samples, "minimarket_schedule_last_success_timestamp_seconds", pipeline="nightly-backup")
        champion = _value(samples, "minimarket_champion_created_timestamp_seconds", model="inflation-forecaster")
        if not missing and fresh and champion:
            break
        assert time.monotonic() < deadline, f"not on /metrics: {sorted(missing)}"
        time.sleep(1)

    for board, title, expr in panel_targets():
        unknown = metric_names(expr) - exposed_names(page) - PROMETHEUS_OWN
        assert not unknown, f"{board} «{title}»: {sorted(unknown)} not emitted"

    now = time.time()
    assert _value(samples, "minimarket_schedule_last_run_failed", pipeline="nightly-backup") == 0
    assert _value(samples, "minimarket_schedule_last_run_failed", pipeline="monthly-cpi-update") == 0
    assert _value(samples, "minimarket_schedule_runs", pipeline="weekly-drift-check", outcome="succeeded") == 1
    assert _value(samples, "minimarket_schedule_overdue", pipeline="nightly-backup") == 0
    assert (_value(samples, "minimarket_schedule_next_run_timestamp_seconds", pipeline="nightly-backup") or 0) > now
    assert now - (_value(samples, "minimarket_backup_last_success_timestamp_seconds") or 0) < 600
    assert _value(samples, "minimarket_backups") == 1
    assert now - (champion or 0) < 900
    assert (_value(samples, "minimarket_database_size_bytes") or 0) > 100_000
    assert _value(samples, "minimarket_cpi_latest_pct", shop="default") == pytest.approx(2.1)
    assert _value(samples, "minimarket_inflation_applied_pct", shop="default") == pytest.approx(2.1)
    assert (_value(samples, "minimarket_extraction_errors_total", code="timeout") or 0) >= 1
    assert (_value(samples, "minimarket_rate_limit_rejections_total", limit="token") or 0) >= 1
    assert (_value(samples, "minimarket_auth_failures_total", code="missing_token") or 0) >= 1
    assert (_value(samples, "minimarket_batch_size_count") or 0) >= 1
    assert _value(samples, "minimarket_batch_backlog_documents") == 0
    assert _value(samples, "minimarket_signing_keys_accepted") in (1, 2)
