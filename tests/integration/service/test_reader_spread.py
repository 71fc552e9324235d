"""Two reader workers: while one reads a long photo, the other takes every read that comes meanwhile."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2

from minimarket.client import MinimarketClient

from .conftest import SAMPLES, make_server

QUICK_READS = 6


def test_reads_sent_during_a_long_read_go_to_the_idle_worker(tmp_path: Path) -> None:
    """A worker reading blocks its event loop, so it accepts no connection: the text-layer PDFs sent while it
    reads a phone photo (upside down: read at two orientations, several seconds) are all answered by the other
    worker before the photo is (queued behind the photo, the first of them would wait for it)."""
    upside_down = tmp_path / "foto_al_reves.jpg"
    cv2.imwrite(str(upside_down), cv2.rotate(cv2.imread(str(SAMPLES / "factura_foto.jpg")), cv2.ROTATE_180))
    server = make_server(tmp_path, reader_workers="2", rate_limit_per_minute="100000")
    with server, MinimarketClient(server.url, server.token("client")) as api:
        api.extract(SAMPLES / "factura_a.pdf")  # both services up and warm before the photo
        photo: dict[str, object] = {}
        reading = threading.Thread(target=lambda: photo.update(api.extract(upside_down)))
        reading.start()
        time.sleep(3.0)  # the photo stored by the API and its read started (sequencing, not a measurement)
        quick = [api.extract(SAMPLES / "factura_a.pdf") for _ in range(QUICK_READS)]
        photo_pending = reading.is_alive()
        reading.join(timeout=300)
    assert [r["status"] for r in quick] == ["accepted"] * QUICK_READS
    assert photo_pending, "the quick reads waited for the photo: they were queued behind the busy worker"
    assert photo.get("status") in ("accepted", "needs_review")
