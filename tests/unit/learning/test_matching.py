"""Product matching: codes, per-supplier aliases, fuzzy descriptions, calibrated confidence."""

from __future__ import annotations

import random

import pytest

from minimarket.catalog import Catalog, bundled_catalog
from minimarket.learning.matching import (
    Alias,
    CatalogEntry,
    MatchExample,
    ProductMatcher,
    catalog_entries,
    normalize_description,
)

PLAYADITO_CUIT = "30119039416"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return bundled_catalog()


@pytest.fixture(scope="module")
def matcher(catalog: Catalog) -> ProductMatcher:
    return ProductMatcher.fit(catalog_entries(catalog.products))


def test_normalize_keeps_decimal_numbers_and_drops_accents() -> None:
    assert normalize_description("Yerba  Taragüí c/palo 1,5kg x10") == "YERBA TARAGUI C PALO 1.5KG X10"
    assert normalize_description(None) == ""


def test_supplier_description_abbreviations_match_their_sku(matcher: ProductMatcher, catalog: Catalog) -> None:
    products = [p for p in catalog.products if p.supplier_description][:40]
    matches = matcher.match_many([p.supplier_description for p in products], cuits=[p.supplier_cuit for p in products])
    right = sum(m.sku == p.sku for m, p in zip(matches, products, strict=True))
    assert right == len(products)
    assert all(m.method == "fuzzy" and m.confidence >= matcher.threshold for m in matches)


def test_ocr_noise_and_truncation_still_match(matcher: ProductMatcher) -> None:
    assert matcher.match("YERBA PLAYAD.1KG x10", PLAYADITO_CUIT).sku == "YER-0001"
    assert matcher.match("YERBA TARAGU1 DESP.1KG", PLAYADITO_CUIT).sku == "YER-0005"


def test_codes_win_over_text(matcher: ProductMatcher, catalog: Catalog) -> None:
    product = catalog.product("YER-0003")
    by_code = matcher.match("texto ilegible", product.supplier_cuit, code=product.supplier_code)
    assert (by_code.sku, by_code.method) == ("YER-0003", "code")
    assert product.ean is not None
    by_ean = matcher.match(None, None, code=product.ean)
    assert (by_ean.sku, by_ean.method) == ("YER-0003", "code")
    # another supplier's code is not this supplier's article
    assert matcher.match("", "20111111112", code=product.supplier_code).method != "code"


def test_unrelated_lines_stay_unmatched(matcher: ProductMatcher) -> None:
    for text in ("FLETE Y ACARREO", "Envases retornables", "", "Servicio de reparto zona norte"):
        match = matcher.match(text, PLAYADITO_CUIT)
        assert match.sku is None, text


def test_aliases_are_per_supplier(catalog: Catalog) -> None:
    alias = Alias(sku="YER-0002", description="YERBA ROJA 1/2", supplier_cuit=PLAYADITO_CUIT)
    matcher = ProductMatcher.fit(catalog_entries(catalog.products), [alias])
    assert matcher.match("YERBA ROJA 1/2", PLAYADITO_CUIT).sku == "YER-0002"
    assert matcher.match("YERBA ROJA 1/2", PLAYADITO_CUIT).method == "alias"
    assert matcher.match("YERBA ROJA 1/2", "30675763824").method != "alias"
    # an alias to a SKU that is not in the catalog is ignored
    stray = ProductMatcher.fit(catalog_entries(catalog.products), [Alias("NOPE-1", "X", PLAYADITO_CUIT)])
    assert stray.match("X", PLAYADITO_CUIT).sku is None


def _noisy(text: str, rng: random.Random) -> str:
    chars = list(text)
    for _ in range(max(1, len(chars) // 6)):
        i = rng.randrange(len(chars))
        chars[i] = rng.choice("abcdefghijklmnopqrstuvwxyz0123456789 .")
    return "".join(chars)[: rng.randint(min(8, len(chars)), len(chars))]


def test_calibration_gives_probabilities_that_separate_right_from_wrong(catalog: Catalog) -> None:
    matcher = ProductMatcher.fit(catalog_entries(catalog.products))
    rng = random.Random(3)
    examples = [
        MatchExample(_noisy(p.supplier_description or p.name, rng), p.sku, p.supplier_cuit)
        for p in catalog.products
        for _ in range(2)
    ]
    info = matcher.calibrate(examples)
    assert info["calibrated"] == 1.0
    assert 0.3 < info["top1_share"] < 1.0
    matches = matcher.match_many([e.description for e in examples], cuits=[e.supplier_cuit for e in examples])
    from sklearn.metrics import roc_auc_score

    is_right = [m.candidate == e.sku for m, e in zip(matches, examples, strict=True)]
    auc = roc_auc_score(is_right, [m.confidence for m in matches])
    assert auc > 0.8
    assert all(0.0 <= m.confidence <= 1.0 for m in matches)


def test_accuracy_counts_unmatched_lines_without_sku_as_right() -> None:
    entries = [CatalogEntry("A-1", "Arroz largo fino 1 kg"), CatalogEntry("F-1", "Fideos tirabuzón 500 g")]
    matcher = ProductMatcher.fit(entries)
    figures = matcher.accuracy(
        [
            MatchExample("ARROZ LARGO FINO 1KG", "A-1"),
            MatchExample("FIDEOS TIRABUZON 500G", "F-1"),
            MatchExample("FLETE", None),
            MatchExample("FIDEOS TIRABUZON", "A-1"),
        ]
    )
    assert figures == {"sku_accuracy": 0.75, "sku_coverage": 0.75, "n": 4.0}


def test_an_empty_catalog_is_refused() -> None:
    with pytest.raises(ValueError, match="no product descriptions"):
        ProductMatcher.fit([CatalogEntry("X", "")])
