"""The hostile files corpus (``tests/security/hostile.py``) sent to the real server: through ``invoices/extract``
each file is a clear refusal (413/415/422/504 with the rejected record) or a 200 ``rejected`` record; as one
batch each is a rejected result; nothing crashes, no traceback, and the server still reads a real invoice
afterwards with its workers under the memory limit (the decode budget of the test settings: 256 MB)."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.security.hostile import CASES, Case

from .conftest import SAMPLES, LiveServer

STATUS = {"too_many_pixels": 413, "too_many_pages": 413, "unsupported_type": 415, "timeout": 504}
"""The status of each error code (the others are 422, and a readable page that is no invoice is a 200)."""
RSS_LIMIT_MB = 1536
"""Peak resident memory of any server process (API worker, reader workers) after the whole corpus."""


@pytest.fixture(scope="module")
def api(live_server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=live_server.url + "/api/v1", timeout=300)


@pytest.fixture(scope="module")
def corpus() -> dict[str, bytes]:
    return {case.name: case.make() for case in CASES}


def _bearer(live_server: LiveServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {live_server.token('client')}"}


def _peak_rss_mb(live_server: LiveServer) -> dict[int, int]:
    """Peak resident memory (VmHWM) of each process of the server, in MB."""
    peaks = {}
    for proc in live_server._tree():
        status = Path(f"/proc/{proc.pid}/status")
        for line in status.read_text().splitlines() if status.is_file() else ():
            if line.startswith("VmHWM:"):
                peaks[proc.pid] = int(line.split()[1]) // 1024
    return peaks


def _error_message(answer: httpx.Response) -> str:
    assert answer.status_code in (413, 415, 422), answer.text[:500]
    return str(answer.json()["error"]["message"])


def _check_record(case: Case, record: dict[str, Any]) -> str:
    """The refusal of ``case``: a rejected record, or an error answer when the file is refused before reading
    (empty, not a known type); returns its error code."""
    if "status" in record:
        assert record["status"] == "rejected", (case.what, record)
    error = record["error"]
    assert error["code"] in case.expected, (case.what, error)
    assert error["message"] and "Traceback" not in error["message"] and len(error["message"]) < 600
    return str(error["code"])


@pytest.mark.parametrize("case", CASES, ids=[c.what for c in CASES])
def test_each_hostile_upload_is_a_clear_refusal(
    case: Case, live_server: LiveServer, api: httpx.Client, corpus: dict[str, bytes]
) -> None:
    answer = api.post("/invoices/extract", headers=_bearer(live_server), files={"file": (case.name, corpus[case.name])})
    assert "Traceback" not in answer.text
    code = _check_record(case, answer.json())
    assert answer.status_code == STATUS.get(code, 200 if code == "not_an_invoice" else 422), answer.text[:300]


def test_the_corpus_as_one_batch_then_the_server_still_reads(
    live_server: LiveServer, api: httpx.Client, corpus: dict[str, bytes]
) -> None:
    headers = _bearer(live_server)
    documents = [{"image": base64.b64encode(data).decode(), "filename": name} for name, data in corpus.items()]
    # a document refused at the door refuses the whole batch, naming it (by position when empty): take it out
    empty = f"invoices[{[d['filename'] for d in documents].index('vacio.pdf') + 1}]"  # positions count from 1
    assert empty in _error_message(api.post("/invoices/batch", headers=headers, json={"invoices": documents}))
    documents = [d for d in documents if d["image"]]
    refused_at_the_door = []
    while (accepted := api.post("/invoices/batch", headers=headers, json={"invoices": documents})).status_code != 202:
        assert accepted.status_code in (413, 415, 422) and len(refused_at_the_door) < 5, accepted.text[:500]
        message = _error_message(accepted)
        named = [d for d in documents if f"«{d['filename']}»" in message]
        assert len(named) == 1, message
        documents.remove(named[0])
        refused_at_the_door.append(named[0]["filename"])
    assert set(refused_at_the_door) <= {"vacio.pdf", "un-byte.png", "poliglota.zip.pdf"}, refused_at_the_door
    batch_id = accepted.json()["batch_id"]
    deadline = time.monotonic() + 300
    while (view := api.get(f"/invoices/batch/{batch_id}", headers=_bearer(live_server)).json())["pending"]:
        assert time.monotonic() < deadline, view  # a new token each poll: the per-token rate limit stays away
        time.sleep(0.5)
    assert (view["done"], view["failed"]) == (len(documents), 0), view
    by_name = {case.name: case for case in CASES}
    for result, document in zip(sorted(view["results"], key=lambda r: r["position"]), documents, strict=True):
        _check_record(by_name[document["filename"]], result["invoice"])

    real = api.post(
        "/invoices/extract", headers=headers, files={"file": ("a.pdf", (SAMPLES / "factura_a.pdf").read_bytes())}
    )
    assert real.status_code == 200 and real.json()["status"] == "accepted", real.text[:500]
    peaks = _peak_rss_mb(live_server)
    print(f"\nhostile corpus: {len(CASES)} files; peak RSS per server process (MB): {sorted(peaks.values())}")
    assert peaks and max(peaks.values()) < RSS_LIMIT_MB, peaks
