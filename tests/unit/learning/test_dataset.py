"""Reading a training set: worker processes give the same readings as one process, in the refs' order."""

from __future__ import annotations

from pathlib import Path

from minimarket.catalog import bundled_catalog
from minimarket.learning.dataset import DocRef, read_samples
from minimarket.synth.invoices.dataset import make_document


def test_the_reading_processes_read_what_one_process_reads(tmp_path: Path) -> None:
    catalog = bundled_catalog()
    refs = []
    for index in range(3):
        generated = make_document(catalog, 41, index, "pdf")
        path = tmp_path / f"doc{index}.pdf"
        path.write_bytes(generated.data)
        refs.append(DocRef(path, "pdf", generated.truth))
    alone = read_samples(refs, workers=1)
    pooled = read_samples(refs, workers=2)
    assert [s.ref.path for s in pooled] == [r.path for r in refs]
    assert all(s.error is None and s.text is not None for s in pooled)
    assert [s.text for s in pooled] == [s.text for s in alone]
