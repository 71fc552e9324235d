"""Keep secrets out of logs and messages: passwords in URLs, bearer tokens, JWTs, ``password=``/``token=`` pairs.

:func:`redact` cleans a text; :class:`RedactingFilter` cleans every record of a logging handler (the CLI installs
it for the whole process with :func:`install`; the service does the same at start-up).
"""

from __future__ import annotations

import logging
import re
from typing import Any

__all__ = ["MASK", "RedactingFilter", "install", "redact"]

MASK = "***"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # scheme://user:password@host  ->  scheme://user:***@host
    (re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+(?=@)", re.IGNORECASE), rf"\g<head>{MASK}"),
    # Authorization: Bearer <token>
    (re.compile(r"(?P<head>\bbearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE), rf"\g<head>{MASK}"),
    # a JWT anywhere: header.payload.signature, each base64url, header starting with {"  (eyJ)
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), MASK),
    # password=..., token: ..., secret=..., api_key=...
    (
        re.compile(
            r"(?P<head>\b[\w-]*?(?:password|passwd|pwd|token|secret|api[_-]?key|access[_-]?key)\b[\"']?\s*[=:]\s*[\"']?)"
            r"[^\s\"'&,;]+",
            re.IGNORECASE,
        ),
        rf"\g<head>{MASK}",
    ),
)


def redact(text: str) -> str:
    """``text`` with every secret it shows replaced by ``***``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the formatted message (and the exception text) of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install() -> None:
    """Redact every log record of the process when it is created, whatever handler writes it (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacting", False):
        return
    cleaner = RedactingFilter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        cleaner.filter(record)
        return record

    factory.redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
