"""The QR on the rendered page decodes (zxing-cpp) to the intended text, and that text parses to the invoice."""

from __future__ import annotations

import random

import numpy as np
import pytest
import zxingcpp

from minimarket.catalog import Catalog
from minimarket.domain.barcode import parse_cae_barcode
from minimarket.domain.qr import parse_qr_url
from minimarket.synth.invoices.qr import MALFORMED_QR_VARIANTS, MAX_QR_URL, QR_VARIANTS
from minimarket.synth.invoices.render import rasterize, render_pdf
from minimarket.synth.invoices.sample import SampleOptions, sample_invoice

VISIBLE = [v for v in QR_VARIANTS if v != "none"]


def _decode(image: np.ndarray, fmt: zxingcpp.BarcodeFormat) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image, formats=fmt)]


@pytest.mark.parametrize("variant", VISIBLE)
def test_rendered_qr_decodes_to_the_payload(catalog: Catalog, variant: str) -> None:
    spec = sample_invoice(
        random.Random(7), catalog, SampleOptions(layout="erp_ruled", qr_variant=variant, max_items=4, barcode=True)
    )
    assert spec.qr_text is not None
    page = rasterize(render_pdf(spec).data, dpi=150)[0]
    assert spec.qr_text in _decode(page, zxingcpp.BarcodeFormat.QRCode)
    payload = parse_qr_url(spec.qr_text)
    assert payload.cuit == spec.issuer.cuit
    assert payload.pto_vta == spec.point_of_sale
    assert payload.tipo_cmp == spec.doc.code
    assert payload.nro_cmp == spec.number
    assert payload.importe == spec.total
    if variant == "truncated":
        assert len(spec.qr_text) == MAX_QR_URL and payload.truncated and payload.cod_aut is None
    else:
        assert payload.cod_aut == spec.cae
    if variant == "no_fecha":
        assert payload.fecha is None
    else:
        assert payload.fecha == spec.issue_date
    if variant in {"valid", "afip_host", "no_slash"}:
        assert payload.is_complete and payload.nro_doc_rec == spec.receiver.cuit


def test_malformed_variants_are_really_malformed(catalog: Catalog) -> None:
    import base64
    import json

    spec = sample_invoice(random.Random(3), catalog, SampleOptions(letter="A"))
    from minimarket.synth.invoices.qr import build_qr_text

    for variant in MALFORMED_QR_VARIANTS - {"truncated"}:
        text = build_qr_text(spec, variant)
        assert text is not None
        body = base64.b64decode(text.split("p=", 1)[1]).decode()
        if variant == "leading_zeros":
            with pytest.raises(json.JSONDecodeError):
                json.loads(body)
            continue
        data = json.loads(body)
        if variant == "strings":
            assert isinstance(data["ptoVta"], str) and "\n" in body
        if variant == "ddmmyyyy":
            assert data["fecha"] == spec.issue_date.strftime("%d/%m/%Y")
        if variant == "no_fecha":
            assert "fecha" not in data
    assert build_qr_text(spec, "none") is None


def test_cae_barcode_decodes(catalog: Catalog) -> None:
    spec = sample_invoice(random.Random(5), catalog, SampleOptions(layout="dot_matrix", barcode=True, max_items=3))
    assert spec.barcode is not None
    page = rasterize(render_pdf(spec).data, dpi=200)[0]
    assert spec.barcode in _decode(page, zxingcpp.BarcodeFormat.ITF)
    parsed = parse_cae_barcode(spec.barcode)
    assert parsed.check_ok and parsed.cae == spec.cae and parsed.cuit == spec.issuer.cuit
