"""Documents kept by their SHA-256: the same file stored by many threads at once is one intact file."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from minimarket.service.uploads import DocumentStore


def test_the_same_document_stored_concurrently_is_one_intact_file(tmp_path: Path) -> None:
    store = DocumentStore(tmp_path)
    data = b"%PDF-1.4 " + bytes(range(256)) * 4000
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda _: store.put(data), range(64)))
    sha = hashlib.sha256(data).hexdigest()
    assert {a[0] for a in answers} == {sha}
    assert store.get(sha) == data
    assert [p.name for p in store.path(sha).parent.iterdir()] == [sha]  # no temporary file left
