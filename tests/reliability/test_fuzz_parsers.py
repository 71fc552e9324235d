"""Property tests (Hypothesis) for the domain parsers and the CSV readers: on any input they return a value or
raise their documented error — never anything else — and what is built is read back unchanged.

Time-boxed: ``FUZZ_EXAMPLES`` examples per target in ``make test`` (default 150); ``make fuzz`` runs them with
many more (``MINIMARKET_FUZZ_EXAMPLES``). The number each target ran is printed at the end of the session.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import os
import string
from collections import Counter
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minimarket.catalog import CatalogError, read_products
from minimarket.domain.barcode import BarcodeParseError, build_cae_barcode, parse_cae_barcode
from minimarket.domain.cuit import InvalidCuit, cuit_check_digit, format_cuit, is_valid_cuit, normalize_cuit
from minimarket.domain.numbers import format_amount, parse_amount
from minimarket.domain.qr import QrParseError, build_qr_url, parse_qr_url
from minimarket.sales_csv import SalesColumns, SalesCsvError, read_sales_csv
from minimarket.store.corrections import CorrectionError, parse_value

EXAMPLES = int(os.environ.get("MINIMARKET_FUZZ_EXAMPLES", "150"))
RAN: Counter[str] = Counter()
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("MINIMARKET_FUZZ_RANDOM") != "1",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def count(target: str) -> None:
    RAN[target] += 1


@pytest.fixture(scope="module", autouse=True)
def report_counts() -> object:
    yield
    print("\nfuzz cases per target: " + json.dumps(dict(sorted(RAN.items())), ensure_ascii=False))
    out = os.environ.get("MINIMARKET_FUZZ_REPORT")
    if out:
        Path(out).write_text(json.dumps(dict(sorted(RAN.items())), indent=2), encoding="utf-8")


cuit_bodies = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(["20", "23", "27", "30", "33"]),
    st.text(alphabet=string.digits, min_size=8, max_size=8),
)
amounts = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2, allow_nan=False)
dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 31))


# --- numbers in both formats -------------------------------------------------------------------------------------


@FUZZ
@given(value=amounts, fmt=st.sampled_from(["ar", "us"]))
def test_amounts_round_trip_in_both_formats(value: Decimal, fmt: str) -> None:
    count("numbers: round trip")
    text = format_amount(value, fmt)  # type: ignore[arg-type]
    assert parse_amount(text, fmt) == value  # type: ignore[arg-type]


@FUZZ
@given(
    text=st.text(alphabet=string.digits + ".,-+$() €ARSUD\u2212\u00a0", max_size=30),
    fmt=st.sampled_from(["ar", "us", None]),
)
def test_any_text_is_an_amount_or_a_value_error(text: str, fmt: str | None) -> None:
    count("numbers: any text")
    try:
        value = parse_amount(text, fmt)  # type: ignore[arg-type]
    except ValueError:
        return
    assert value.is_finite()


# --- CUIT --------------------------------------------------------------------------------------------------------


@FUZZ
@given(body=cuit_bodies, separator=st.sampled_from(["", "-", " ", "."]))
def test_a_cuit_with_its_check_digit_round_trips(body: str, separator: str) -> None:
    count("cuit: round trip")
    digit = cuit_check_digit(body)
    if digit == 10:  # no valid CUIT has this body
        return
    cuit = body + str(digit)
    written = f"{cuit[:2]}{separator}{cuit[2:10]}{separator}{cuit[10]}"
    assert normalize_cuit(written) == cuit and is_valid_cuit(cuit)
    assert normalize_cuit(format_cuit(cuit)) == cuit


@FUZZ
@given(text=st.text(max_size=20))
def test_any_text_is_a_cuit_or_invalid(text: str) -> None:
    count("cuit: any text")
    try:
        cuit = normalize_cuit(text)
    except (InvalidCuit, ValueError):
        assert not is_valid_cuit(text)
        return
    assert len(cuit) == 11 and cuit.isdigit() and is_valid_cuit(cuit)


# --- QR payloads -------------------------------------------------------------------------------------------------

qr_fields = st.fixed_dictionaries(
    {
        "fecha": dates,
        "cuit": cuit_bodies.map(lambda b: b + str(cuit_check_digit(b))).filter(lambda c: not c.endswith("10")),
        "pto_vta": st.integers(1, 99999),
        "tipo_cmp": st.sampled_from([1, 6, 11, 3, 8, 13, 51, 201]),
        "nro_cmp": st.integers(1, 99_999_999),
        "importe": st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e10"), places=2),
        "cod_aut": st.text(alphabet=string.digits, min_size=14, max_size=14),
    }
)


@FUZZ
@given(values=qr_fields)
def test_qr_urls_round_trip(values: dict[str, object]) -> None:
    count("qr: round trip")
    payload = parse_qr_url(build_qr_url(**values))
    assert {k: getattr(payload, k) for k in values} == values and payload.is_complete


@FUZZ
@given(values=qr_fields, cut=st.integers(0, 400), noise=st.text(max_size=5))
def test_cut_or_noisy_qr_urls_never_raise_anything_else(values: dict[str, object], cut: int, noise: str) -> None:
    count("qr: cut / noisy")
    url = build_qr_url(**values)[: 40 + cut] + noise
    with contextlib.suppress(QrParseError):
        parse_qr_url(url)


@FUZZ
@given(
    junk=st.one_of(
        st.text(max_size=300),
        st.binary(max_size=200).map(lambda b: "https://www.afip.gob.ar/fe/qr/?p=" + base64.b64encode(b).decode()),
    )
)
def test_any_text_is_a_qr_or_a_parse_error(junk: str) -> None:
    count("qr: any text")
    with contextlib.suppress(QrParseError):
        parse_qr_url(junk)


# --- CAE barcode (Interleaved 2 of 5) ----------------------------------------------------------------------------

barcode_fields = st.fixed_dictionaries(
    {
        "cuit": cuit_bodies.map(lambda b: b + "0"),
        "afip_code": st.integers(1, 999),
        "point_of_sale": st.integers(1, 99999),
        "cae": st.text(alphabet=string.digits, min_size=14, max_size=14),
        "cae_due_date": dates,
    }
)


@FUZZ
@given(values=barcode_fields)
def test_cae_barcodes_round_trip(values: dict[str, object]) -> None:
    count("i2of5: round trip")
    parsed = parse_cae_barcode(build_cae_barcode(**values))  # type: ignore[arg-type]
    assert parsed.check_ok and {k: getattr(parsed, k) for k in values} == values


@FUZZ
@given(text=st.text(alphabet=string.digits + " x", max_size=50))
def test_any_digits_are_a_barcode_or_a_parse_error(text: str) -> None:
    count("i2of5: any digits")
    with contextlib.suppress(BarcodeParseError):
        parse_cae_barcode(text)


@settings(max_examples=max(3, EXAMPLES // 30), deadline=None, derandomize=True)
@given(values=barcode_fields.filter(lambda v: v["afip_code"] < 100 and v["point_of_sale"] < 10000))  # type: ignore[index]
def test_printed_i2of5_barcodes_are_read_back(values: dict[str, object]) -> None:
    """The symbology itself: zxing-cpp draws the barcode, the reader's decoder finds and parses it."""
    import zxingcpp

    from minimarket.documents.codes import find_codes

    count("i2of5: printed and read")
    digits = build_cae_barcode(**values)  # type: ignore[arg-type]
    image = np.asarray(zxingcpp.write_barcode(zxingcpp.BarcodeFormat.ITF, digits, width=1400, height=140))
    page = np.full((400, 1600), 255, np.uint8)
    page[130 : 130 + image.shape[0], 100 : 100 + image.shape[1]] = image
    found = [c for c in find_codes(page, 0) if c.kind != "qr"]
    assert [parse_cae_barcode(c.text) for c in found][:1] == [parse_cae_barcode(digits)]


# --- dates and corrections ---------------------------------------------------------------------------------------


@FUZZ
@given(day=dates, style=st.sampled_from(["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]))
def test_correction_dates_round_trip_or_are_refused_as_implausible(day: dt.date, style: str) -> None:
    count("dates: corrections")
    try:
        assert parse_value("issue_date", day.strftime(style)).value == day.isoformat()
    except CorrectionError as exc:
        assert day > dt.date.today() and "no es plausible" in str(exc)


@FUZZ
@given(
    field=st.sampled_from(["total", "issue_date", "items.1.quantity", "vat.1.rate", "number", "issuer_cuit", "cae"]),
    raw=st.text(max_size=40),
)
def test_any_correction_value_is_parsed_or_a_correction_error(field: str, raw: str) -> None:
    count("corrections: any value")
    with contextlib.suppress(CorrectionError):
        parse_value(field, raw)


# --- CSV readers -------------------------------------------------------------------------------------------------

COLUMNS = SalesColumns(date="fecha", sku="sku", quantity="cant", unit_price="precio")
sales_rows = st.lists(
    st.tuples(
        dates.filter(lambda d: d <= dt.date.today()),
        st.text(string.ascii_uppercase + string.digits + "-", min_size=1, max_size=12),
        st.decimals(min_value=Decimal("-999"), max_value=Decimal("999"), places=3),
        st.decimals(min_value=Decimal("0"), max_value=Decimal("99999"), places=2),
    ),
    min_size=1,
    max_size=20,
)


@FUZZ
@given(
    rows=sales_rows,
    sep=st.sampled_from([",", ";", "\t", "|"]),
    eol=st.sampled_from(["\n", "\r\n"]),
    fmt=st.sampled_from(["ar", "us"]),
)
def test_sales_files_round_trip(
    rows: list[tuple[dt.date, str, Decimal, Decimal]], sep: str, eol: str, fmt: str
) -> None:
    count("sales csv: round trip")
    lines = [sep.join(["fecha", "sku", "cant", "precio"])]
    for day, sku, qty, price in rows:
        cells = [day.isoformat(), sku, format_amount(qty, fmt, decimals=3), format_amount(price, fmt)]  # type: ignore[arg-type]
        lines.append(sep.join(f'"{c}"' if sep in c else c for c in cells))
    table = read_sales_csv((eol.join(lines) + eol).encode(), COLUMNS, number_format=fmt, delimiter=sep)
    assert table.skus == [r[1] for r in rows] and table.dates == [r[0] for r in rows]
    assert table.quantities == [r[2] for r in rows] and table.unit_prices == [r[3] for r in rows]


@FUZZ
@given(
    raw=st.one_of(st.binary(max_size=400), st.text(alphabet=string.printable + "ñé;\x00", max_size=400).map(str.encode))
)
def test_any_bytes_are_sales_or_a_sales_error(raw: bytes) -> None:
    count("sales csv: any bytes")
    with contextlib.suppress(SalesCsvError):
        read_sales_csv(b"fecha,sku,cant,precio\n" + raw, COLUMNS)


@settings(
    max_examples=max(10, EXAMPLES // 3),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(raw=st.text(alphabet=string.printable + "ñé;", max_size=300))
def test_any_catalog_text_is_products_or_a_catalog_error(raw: str, tmp_path: Path) -> None:
    count("catalog csv: any text")
    path = tmp_path / "productos.csv"
    path.write_text("sku,name,cost,ean,category\n" + raw, encoding="utf-8")
    with contextlib.suppress(CatalogError):
        read_products(path)
