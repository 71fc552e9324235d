"""Random invoices: realistic parties and codes, and arithmetic that is exactly right."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

import pytest
from stdnum.ar import cuit

from minimarket.catalog import Catalog
from minimarket.domain.invoice import TaxKind
from minimarket.domain.money import to_cents
from minimarket.synth.invoices.sample import LAYOUT_NAMES, SampleOptions, sample_invoice
from minimarket.synth.invoices.spec import InvoiceSpec

N = 300


@pytest.fixture(scope="module")
def specs(catalog: Catalog) -> list[InvoiceSpec]:
    return [sample_invoice(random.Random(seed), catalog) for seed in range(N)]


def _check_arithmetic(spec: InvoiceSpec) -> None:
    zero = Decimal(0)
    for item in spec.items:
        gross = to_cents(item.quantity * item.unit_price)
        assert item.discount == to_cents(gross * item.discount_pct / 100)
        assert item.amount == gross - item.discount
        assert item.amount > 0
    items_total = sum((item.amount for item in spec.items), zero)
    if spec.discriminates_vat:
        assert items_total == spec.net_amount + spec.exempt_amount
        exempt = sum((i.amount for i in spec.items if i.vat_rate is None), zero)
        assert exempt == spec.exempt_amount
        rates = {i.vat_rate for i in spec.items if i.vat_rate is not None}
        assert {v.rate for v in spec.vat} == rates
        for vat in spec.vat:
            base = sum((i.amount for i in spec.items if i.vat_rate == vat.rate), zero)
            assert vat.base == base
            assert vat.amount == to_cents(base * vat.rate / 100)
        assert spec.net_amount == sum((v.base for v in spec.vat), zero)
        for tax in spec.other_taxes:
            if tax.kind == TaxKind.IMPUESTOS_INTERNOS:
                by_rate: dict[Decimal, Decimal] = {}
                for i in spec.items:
                    if i.internal_tax_rate:
                        by_rate[i.internal_tax_rate] = by_rate.get(i.internal_tax_rate, zero) + i.amount
                assert tax.amount == sum((to_cents(b * r / 100) for r, b in by_rate.items()), zero)
            else:
                assert tax.rate is not None and tax.base == spec.net_amount
                assert tax.amount == to_cents(spec.net_amount * tax.rate / 100)
        assert spec.total == spec.net_amount + spec.exempt_amount + spec.vat_total + spec.other_taxes_total
    else:
        assert spec.vat == [] and spec.exempt_amount == 0
        assert items_total == spec.net_amount
        assert spec.total == spec.net_amount + spec.other_taxes_total
    for value in (spec.net_amount, spec.total, *(v.amount for v in spec.vat), *(t.amount for t in spec.other_taxes)):
        assert value == to_cents(value)


def test_arithmetic_is_exact(specs: list[InvoiceSpec]) -> None:
    for spec in specs:
        _check_arithmetic(spec)


def test_truth_matches_the_spec_and_the_contract(specs: list[InvoiceSpec]) -> None:
    for spec in specs[:60]:
        truth = spec.truth(source_file="x.pdf")
        data = truth.to_json_dict()
        assert data["status"] == "accepted"
        assert data["total"] == f"{spec.total:.2f}"
        assert data["afip_code"] == spec.doc.code and data["invoice_type"] == spec.letter
        assert len(data["items"]) == len(spec.items)
        net_plus = truth.net_amount + (truth.exempt_amount or 0) + truth.vat_total + truth.other_taxes_total
        assert net_plus == truth.total
        assert all(item["sku"] is None or item["sku_confidence"] == 1.0 for item in data["items"])
        header = spec.expected_header()
        assert {k: data[k] for k in header} == header


def test_parties_codes_and_dates_are_plausible(specs: list[InvoiceSpec]) -> None:
    for spec in specs:
        assert cuit.is_valid(spec.issuer.cuit) and cuit.is_valid(spec.receiver.cuit)
        assert len(spec.cae) == 14 and spec.cae.isdigit()
        assert dt.date(2025, 1, 1) <= spec.issue_date <= dt.date(2026, 12, 31)
        assert spec.issue_date.weekday() != 6
        assert spec.cae_due_date > spec.issue_date
        assert 1 <= len(spec.items) <= 62
        if spec.issuer.iva_condition.is_monotributo:
            assert spec.letter == "C"
        elif spec.receiver.iva_condition.is_monotributo:
            assert spec.letter == "B"
        else:
            assert spec.letter == "A"
        if spec.doc.kind == "nota_credito":
            assert spec.associated


def test_the_draw_covers_what_the_extractor_must_handle(specs: list[InvoiceSpec]) -> None:
    letters = Counter(s.letter for s in specs)
    assert set(letters) == {"A", "B", "C"}
    assert any(s.doc.kind == "nota_credito" for s in specs)
    assert any(s.doc.is_fce for s in specs)
    assert set(s.layout for s in specs) == set(LAYOUT_NAMES)
    assert any(len(s.vat) >= 2 for s in specs)
    kinds = {t.kind for s in specs for t in s.other_taxes}
    assert {TaxKind.PERCEPCION_IIBB, TaxKind.PERCEPCION_IVA, TaxKind.IMPUESTOS_INTERNOS} <= kinds
    assert any(s.exempt_amount for s in specs)
    assert any(i.discount for s in specs for i in s.items)
    assert {s.number_format for s in specs} == {"ar", "us"}
    assert any(i.unit == "kg" for s in specs for i in s.items)
    assert any(i.unit == "bulto" for s in specs for i in s.items)
    assert max(len(s.items) for s in specs) >= 40
    assert {s.qr_variant for s in specs} >= {"valid", "afip_host", "truncated", "strings", "ddmmyyyy", "none"}
    assert any(s.barcode for s in specs)
    assert any(len(s.copies) > 1 for s in specs) and any(s.extra_page for s in specs)


def test_supplier_descriptions_come_from_the_catalog(catalog: Catalog, specs: list[InvoiceSpec]) -> None:
    by_sku = {p.sku: p for p in catalog.products}
    for spec in specs[:50]:
        for item in spec.items:
            if item.sku is None:
                continue
            described = by_sku[item.sku].supplier_description or ""
            assert described.upper().startswith(item.description.upper())


def test_same_seed_same_invoice(catalog: Catalog) -> None:
    a = sample_invoice(random.Random(42), catalog).truth().to_json_dict()
    b = sample_invoice(random.Random(42), catalog).truth().to_json_dict()
    c = sample_invoice(random.Random(43), catalog).truth().to_json_dict()
    assert a == b
    assert a != c


def test_options_constrain_the_draw(catalog: Catalog) -> None:
    for seed in range(20):
        spec = sample_invoice(
            random.Random(seed), catalog, SampleOptions(layout="thermal", letter="B", credit_note=True, max_items=3)
        )
        assert spec.layout == "thermal" and spec.letter == "B" and spec.doc.code == 8 and len(spec.items) <= 3
    with pytest.raises(ValueError, match="unknown layout"):
        sample_invoice(random.Random(0), catalog, SampleOptions(layout="nope"))
