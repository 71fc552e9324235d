"""Documents sent to the API: parsed from multipart or JSON/base64, checked, kept by their SHA-256."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from minimarket.config import Settings
from minimarket.documents.ingest import ACCEPTED, detect_kind
from minimarket.service.errors import ApiError

_MB = 1024 * 1024


@dataclass(slots=True)
class Upload:
    """One document as received: its name, bytes, and the client's metadata (batches)."""

    name: str
    data: bytes = field(repr=False)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _mb(size: int) -> str:
    return f"{size / _MB:.1f} MB".replace(".", ",")


def check_document(upload: Upload, settings: Settings, where: str = "") -> str:
    """The document's kind; 413 if it is too big, 415 if it is not a PDF or an image, 422 if empty."""
    label = f"{where}«{upload.name}»"
    if not upload.data:
        raise ApiError(422, "empty_file", f"{label} está vacío; se aceptan {ACCEPTED}.")
    if len(upload.data) > settings.max_upload_bytes:
        raise ApiError(
            413,
            "too_large",
            f"{label} pesa {_mb(len(upload.data))}; el máximo es {_mb(settings.max_upload_bytes)}.",
        )
    kind = detect_kind(upload.data)
    if kind is None:
        raise ApiError(
            415,
            "unsupported_type",
            f"{label} no es un tipo de archivo admitido (se detecta por el contenido); se aceptan {ACCEPTED}.",
        )
    return kind


def decode_base64(value: Any, where: str) -> bytes:
    """Bytes of a base64 string (standard or URL-safe, with or without a data: prefix); 422 otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise ApiError(422, "invalid_base64", f"{where}: falta el contenido en base64.")
    text = value.strip()
    if text.startswith("data:") and "," in text:
        text = text.split(",", 1)[1]
    text = "".join(text.split())
    try:
        if "-" in text or "_" in text:
            return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "invalid_base64", f"{where}: el contenido no es base64 válido.") from None


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_json(request: Request) -> Any:
    """The JSON body; 422 with a clear message when it is not JSON."""
    body = await request.body()
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(422, "invalid_json", f"El cuerpo no es JSON válido ({exc}).") from None


def unsupported_media(kind: str, accepted: str) -> ApiError:
    return ApiError(
        415,
        "unsupported_media_type",
        f"Tipo de contenido {kind or '(ninguno)'!r} no admitido; se acepta {accepted}.",
    )


async def form_files(request: Request, max_files: int) -> list[Upload]:
    """Every file of a multipart body (any field name), in order."""
    form = await request.form(max_files=max_files + 1, max_fields=max_files + 10)
    uploads: list[Upload] = []
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            uploads.append(Upload(name=value.filename or key, data=await value.read()))
    await form.close()
    return uploads


async def single_document(request: Request) -> Upload:
    """The document of ``POST invoices/extract``: multipart field ``file`` or ``{"filename", "content_base64"}``."""
    kind = media_type(request)
    if kind == "multipart/form-data":
        files = await form_files(request, 1)
        if not files:
            raise ApiError(422, "missing_file", "Falta el archivo: envíelo en el campo multipart «file».")
        if len(files) > 1:
            raise ApiError(422, "too_many_files", "Se lee un documento por pedido; use invoices/batch para varios.")
        return files[0]
    if kind == "application/json":
        data = await read_json(request)
        if not isinstance(data, dict):
            raise ApiError(422, "invalid_request", 'Se espera un objeto {"filename", "content_base64"}.')
        name = data.get("filename") or "documento"
        if not isinstance(name, str) or len(name) > 500:
            raise ApiError(422, "invalid_request", "filename debe ser un texto de hasta 500 caracteres.")
        return Upload(name=name, data=decode_base64(data.get("content_base64"), "content_base64"))
    raise unsupported_media(kind, "multipart/form-data (campo «file») o application/json")


class DocumentStore:
    """Documents kept by SHA-256 under ``Settings.documents_dir`` (written once, atomically)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> tuple[str, Path]:
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            # a temporary name of its own: concurrent requests (threads of one process) may store the same file
            fd, tmp = tempfile.mkstemp(prefix=f".{sha}.", suffix=".tmp", dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        return sha, target

    def get(self, sha256: str) -> bytes | None:
        target = self.path(sha256)
        return target.read_bytes() if target.is_file() else None
