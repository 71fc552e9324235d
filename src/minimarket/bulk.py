"""Bulk extraction and backfill: many files read (locally or on a Dask cluster) and, if asked, stored.

One function for every door (``minimarket extract``, notebooks, scheduled backfills): :func:`extract_records`
yields one extracted-invoice JSON per file, in order, with ``"saved"`` when storing. With ``save`` the files
whose bytes this shop already stored (same sha256) are not read again: their stored record is answered and
a ``duplicate_seen`` event recorded, as the API does. Each record is stored as soon as it is read, so a run
that is stopped resumes where it stopped: run it again and only what is missing is read.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minimarket.domain.invoice import ExtractedInvoice

if TYPE_CHECKING:
    from distributed import Client

    from minimarket.documents.invoice_reader import InvoiceReader

log = logging.getLogger(__name__)

__all__ = ["extract_records", "file_sha256", "save_record", "stored_records"]


def file_sha256(path: str | Path) -> str | None:
    """The sha256 of a file's bytes (as the reader computes it), or None when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def stored_records(files: Sequence[str | Path], shop: str | None) -> dict[str, tuple[int, str]]:
    """The files whose bytes this shop already stored: path -> (invoice id, sha256)."""
    from sqlalchemy import select

    from minimarket.store.db import session_scope
    from minimarket.store.models import Invoice

    hashes = {str(path): sha for path in files if (sha := file_sha256(path))}
    if not hashes:
        return {}
    found: dict[str, int] = {}
    wanted = sorted(set(hashes.values()))
    with session_scope(shop, create_shop=False, read_only=True) as session:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for invoice_id, sha in session.execute(
                select(Invoice.id, Invoice.sha256).where(Invoice.sha256.in_(chunk))
            ).all():
                found.setdefault(sha, invoice_id)
    return {path: (found[sha], sha) for path, sha in hashes.items() if sha in found}


def _known_record(path: str, invoice_id: int, sha256: str, shop: str | None, author: str) -> dict[str, Any]:
    """The stored record of a file read before (its source_file as given now), with the duplicate recorded."""
    from minimarket.store.db import session_scope
    from minimarket.store.invoices import record_duplicate_upload, stored_by_hash

    with session_scope(shop, create_shop=False) as session:
        found = stored_by_hash(session, sha256)
        if found is None:  # removed in between: nothing to answer from
            raise LookupError(sha256)
        invoice_id, record = found
        record["source_file"] = path
        outcome = record_duplicate_upload(session, invoice_id, path, sha256, author=author, status=record["status"])
    record["saved"] = _describe(outcome)
    return record


def _describe(outcome: Any) -> dict[str, Any]:
    data: dict[str, Any] = outcome.as_dict()
    data["message"] = (
        f"guardada (id {outcome.invoice_id})"
        if outcome.created
        else f"duplicada de la factura {outcome.invoice_id} "
        + ("(mismo archivo)" if outcome.duplicate_of == "sha256" else "(mismo emisor, tipo, punto de venta y número)")
    )
    return data


Describe = Callable[[BaseException], str]
"""A door's one-line message for an error (the CLI's names a busy or unreachable database in Spanish)."""


def save_record(
    record: dict[str, Any], shop: str | None, *, author: str = "cli", describe: Describe | None = None
) -> dict[str, Any]:
    """Store one extracted invoice; what happened as JSON (``created`` / ``duplicate_of`` / ``message``, or
    ``error`` when it could not be stored: a database problem must not lose the other documents)."""
    from minimarket.store.db import session_scope
    from minimarket.store.invoices import InvoiceNotStorable, save_extracted

    try:
        with session_scope(shop, create_shop=False) as session:
            outcome = save_extracted(session, ExtractedInvoice.model_validate(record), author=author)
        return _describe(outcome)
    except InvoiceNotStorable as exc:
        return {"error": str(exc)}
    except Exception as exc:
        from minimarket.redact import redact

        log.error("saving %s failed: %s", record.get("source_file"), type(exc).__name__)
        if describe is not None:
            return {"error": f"no se pudo guardar: {describe(exc)}"}
        first = (str(getattr(exc, "orig", exc)).strip().splitlines() or [type(exc).__name__])[0]
        return {"error": redact(f"no se pudo guardar: {first[:300]}")}


def extract_records(
    reader: InvoiceReader,
    files: Sequence[str | Path],
    *,
    workers: int = 1,
    client: Client | None = None,
    save: bool = False,
    shop: str | None = None,
    author: str = "cli",
    describe: Describe | None = None,
) -> Iterator[dict[str, Any]]:
    """One extracted-invoice JSON per file, in order: read by ``workers`` local processes or on the Dask
    ``client``'s workers (the same records either way). With ``save`` each readable record is stored as it
    arrives and carries ``"saved"``; files already stored are answered from the store without reading."""
    paths = [str(path) for path in files]
    known = stored_records(paths, shop) if save else {}
    todo = [path for path in paths if path not in known]
    if known:
        log.info("%d of %d documents already stored: not read again", len(known), len(paths))
    results = reader.extract_many(todo, workers=workers, client=client) if todo else iter(())
    for path in paths:
        if path in known:
            invoice_id, sha = known[path]
            try:
                yield _known_record(path, invoice_id, sha, shop, author)
                continue
            except LookupError:  # deleted since the look-up: read it after all
                result = next(iter(reader.extract_many([path], workers=1)))
        else:
            result = next(results)
        record: dict[str, Any] = result.to_json_dict()
        if save and record["status"] != "rejected":
            record["saved"] = save_record(record, shop, author=author, describe=describe)
        yield record
