"""`make lab` starts JupyterLab for real (as root too, where Jupyter needs --allow-root) and answers on loopback."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from minimarket.config import REPO_ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_make_lab_serves_the_notebooks(tmp_path: Path) -> None:
    if shutil.which("make") is None or not (REPO_ROOT / ".venv" / "bin" / "jupyter").exists():
        pytest.skip("needs make and the project's venv")
    port, token = _free_port(), "lab-test-token"
    args = f"--port={port} --ServerApp.token={token} --ServerApp.port_retries=0"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp_path)}
    log = (tmp_path / "lab.log").open("w")
    # -o setup: the venv is there already (make test built it); the target's own command line is what runs
    server = subprocess.Popen(
        ["make", "-s", "-o", "setup", "lab", f"LAB_ARGS={args}"],
        cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        status = None
        for _ in range(120):  # at most ~60 s
            if server.poll() is not None:
                break
            try:
                url = f"http://127.0.0.1:{port}/api/contents?token={token}"
                with urllib.request.urlopen(url, timeout=2) as response:
                    status = response.status, response.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        output = (tmp_path / "lab.log").read_text()
        assert status is not None, f"JupyterLab did not answer (exit {server.poll()}):\n{output[-2000:]}"
        assert status[0] == 200 and "01_invoice_extractor.ipynb" in status[1]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
