"""The AFIP/ARCA QR text of a synthetic invoice: correct, or malformed the ways real ones are.

Variants (``InvoiceSpec.qr_variant``):

- ``valid``: ARCA's specification, ``https://www.arca.gob.ar/fe/qr/?p=`` + base64 of compact JSON
  (built by :func:`minimarket.domain.qr.build_qr_url`);
- ``afip_host`` / ``no_slash``: the same payload under ``https://www.afip.gob.ar/fe/qr/?p=`` and
  ``https://www.afip.gob.ar/fe/qr?p=``;
- ``strings``: pretty-printed JSON with every number as a string (``"ptoVta": "00004"``);
- ``truncated``: the pretty, stringly payload with the whole URL cut at 255 characters (the
  trailing fields, CAE included, are lost);
- ``ddmmyyyy``: ``"fecha":"14/02/2026"``;
- ``leading_zeros``: ``"ptoVta":00004,"tipoCmp":01`` (not valid JSON) and a dd/mm/yyyy date, as in
  a real invoice of the development set;
- ``no_fecha``: the ``fecha`` field is missing;
- ``none``: no QR at all (only the legacy CAE barcode, if any).
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from minimarket.domain.qr import build_qr_url

if TYPE_CHECKING:
    from minimarket.synth.invoices.spec import InvoiceSpec

__all__ = ["MALFORMED_QR_VARIANTS", "QR_VARIANTS", "build_qr_text"]

QR_VARIANTS: tuple[str, ...] = (
    "valid",
    "afip_host",
    "no_slash",
    "strings",
    "truncated",
    "ddmmyyyy",
    "leading_zeros",
    "no_fecha",
    "none",
)
MALFORMED_QR_VARIANTS = frozenset({"strings", "truncated", "ddmmyyyy", "leading_zeros", "no_fecha"})

ARCA_HOST = "https://www.arca.gob.ar/fe/qr/"
AFIP_HOST = "https://www.afip.gob.ar/fe/qr/"
AFIP_NO_SLASH = "https://www.afip.gob.ar/fe/qr?p="
MAX_QR_URL = 255


def _fields(spec: InvoiceSpec) -> list[tuple[str, str, bool]]:
    """(JSON key, literal text, is_number) in ARCA's order."""
    return [
        ("ver", "1", True),
        ("fecha", spec.issue_date.isoformat(), False),
        ("cuit", spec.issuer.cuit, True),
        ("ptoVta", str(spec.point_of_sale), True),
        ("tipoCmp", str(spec.doc.code), True),
        ("nroCmp", str(spec.number), True),
        ("importe", f"{spec.total:.2f}", True),
        ("moneda", "PES", False),
        ("ctz", "1", True),
        ("tipoDocRec", "80", True),
        ("nroDocRec", spec.receiver.cuit, True),
        ("tipoCodAut", "E", False),
        ("codAut", spec.cae, True),
    ]


def _json(pairs: list[tuple[str, str, bool]], *, pretty: bool, numbers_as_strings: bool) -> str:
    parts = []
    for key, text, is_number in pairs:
        literal = text if is_number and not numbers_as_strings else f'"{text}"'
        parts.append(f'"{key}":{" " if pretty else ""}{literal}')
    if pretty:
        return "{\n    " + ",\n    ".join(parts) + "\n}"
    return "{" + ",".join(parts) + "}"


def _url(prefix: str, body: str) -> str:
    return prefix + base64.b64encode(body.encode("utf-8")).decode("ascii")


def build_qr_text(spec: InvoiceSpec, variant: str) -> str | None:
    """The text the invoice's QR encodes (``None`` for the ``none`` variant)."""
    if variant == "none":
        return None
    if variant in {"valid", "afip_host", "no_slash"}:
        host = {"valid": ARCA_HOST, "afip_host": AFIP_HOST, "no_slash": AFIP_NO_SLASH}[variant]
        return build_qr_url(
            host=host,
            fecha=spec.issue_date,
            cuit=spec.issuer.cuit,
            pto_vta=spec.point_of_sale,
            tipo_cmp=spec.doc.code,
            nro_cmp=spec.number,
            importe=spec.total,
            moneda="PES",
            ctz=1,
            tipo_doc_rec=80,
            nro_doc_rec=spec.receiver.cuit,
            tipo_cod_aut="E",
            cod_aut=spec.cae,
        )
    pairs = _fields(spec)
    prefix = AFIP_HOST + "?p="
    if variant == "strings":
        pairs = [(k, f"{int(t):05d}" if k == "ptoVta" else t, n) for k, t, n in pairs]
        return _url(prefix, _json(pairs, pretty=True, numbers_as_strings=True))
    if variant == "truncated":
        return _url(prefix, _json(pairs, pretty=True, numbers_as_strings=True))[:MAX_QR_URL]
    if variant == "ddmmyyyy":
        pairs = [(k, f"{spec.issue_date:%d/%m/%Y}" if k == "fecha" else t, n) for k, t, n in pairs]
        return _url(prefix, _json(pairs, pretty=False, numbers_as_strings=False))
    if variant == "leading_zeros":
        widths = {"ptoVta": 5, "tipoCmp": 2 if spec.doc.code < 100 else 3}
        pairs = [
            (
                k,
                f"{spec.issue_date:%d/%m/%Y}" if k == "fecha" else (f"{int(t):0{widths[k]}d}" if k in widths else t),
                n,
            )
            for k, t, n in pairs
        ]
        return _url(prefix, _json(pairs, pretty=False, numbers_as_strings=False))
    if variant == "no_fecha":
        pairs = [p for p in pairs if p[0] != "fecha"]
        return _url(prefix, _json(pairs, pretty=False, numbers_as_strings=False))
    raise ValueError(f"unknown QR variant {variant!r}; known: {', '.join(QR_VARIANTS)}")
