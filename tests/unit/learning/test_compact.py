"""The compact estimators give exactly what scikit-learn's give, and the compacted parts match products and
read the same."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from minimarket.catalog import Catalog
from minimarket.learning.compact import CompactLogistic, CompactTfidf, CompactTrees, compact_parts
from minimarket.learning.extractor_model import ExtractorConfig, LearnedExtractor
from minimarket.learning.line_classifier import CellModel
from minimarket.learning.matching import MatchExample, ProductMatcher, catalog_entries


def _rows(rng: np.random.Generator, n: int, features: int) -> np.ndarray:
    x = rng.normal(size=(n, features)) * 3
    x[rng.random(x.shape) < 0.05] = np.nan
    return x


@pytest.mark.parametrize("classes", [2, 5])
def test_trees_give_the_same_probabilities(classes: int) -> None:
    rng = np.random.default_rng(classes)
    x = _rows(rng, 600, 6)
    y = np.where(np.isnan(x[:, 0]), 0, (np.nan_to_num(x[:, 0]) + x[:, 1] > 0).astype(int) + (x[:, 2] > 2))
    y = np.asarray([f"k{v % classes}" for v in y + rng.integers(0, classes, len(y)) * (rng.random(len(y)) < 0.2)])
    model = HistGradientBoostingClassifier(max_iter=40, max_leaf_nodes=15, random_state=0).fit(x, y)
    compact = CompactTrees.of(model)
    fresh = _rows(np.random.default_rng(99), 1000, 6)
    assert np.array_equal(compact.predict_proba(fresh), model.predict_proba(fresh))
    assert list(compact.classes_) == list(model.classes_)


def test_tfidf_gives_the_same_rows(catalog: Catalog) -> None:
    texts = [p.name for p in catalog.products]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=1)
    matrix = vectorizer.fit_transform(texts)
    compact = CompactTfidf.of(vectorizer, matrix)
    noisy = ["ACE1TE GIRAS0L  900 ML", "yerba\tmate 1kg", "ñandú Árbol", "", "a", "x  y", *texts[:40]]
    got, want = compact.transform(noisy), vectorizer.transform(noisy)
    assert type(got) is type(want)
    assert np.array_equal(got.indptr, want.indptr) and np.array_equal(got.indices, want.indices)
    assert np.array_equal(got.data, want.data)
    with pytest.raises(ValueError, match="analyzer"):
        CompactTfidf.of(TfidfVectorizer(analyzer="word").fit(texts), matrix)


def test_logistic_gives_the_same_probabilities() -> None:
    rng = np.random.default_rng(3)
    x = rng.random((300, 6))
    y = (x[:, 0] + x[:, 3] + 0.3 * rng.random(300) > 1.1).astype(int)
    model = LogisticRegression().fit(x, y)
    fresh = rng.random((500, 6))
    assert np.array_equal(CompactLogistic.of(model).predict_proba(fresh), model.predict_proba(fresh))


def test_compacted_parts_match_products_the_same(catalog: Catalog) -> None:
    matcher = ProductMatcher.fit(catalog_entries(catalog.products))
    products = catalog.products[:60]
    examples = [MatchExample(p.name.upper().replace("A", "4", 1), p.sku, None, None) for p in products]
    wrong = [MatchExample(p.name[:6], products[(i + 7) % 60].sku, None, None) for i, p in enumerate(products)]
    assert matcher.calibrate(examples + wrong, min_examples=20)["calibrated"] == 1.0
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 4))
    cell = CellModel(HistGradientBoostingClassifier(max_iter=20).fit(x, (x[:, 0] > 0).astype(str)), ("False", "True"))
    parts = LearnedExtractor(ExtractorConfig(use_cell_model=True), cell_model=cell, matcher=matcher)
    compact = compact_parts(parts)
    assert isinstance(compact.cell_model.model, CompactTrees)  # type: ignore[union-attr]
    assert isinstance(compact.matcher.vectorizer, CompactTfidf)  # type: ignore[union-attr]
    assert isinstance(compact.matcher.calibrator, CompactLogistic)  # type: ignore[union-attr]
    lines = [e.description for e in examples] + ["GALLETITAS DULCES", "producto desconocido xyz"]
    assert compact.matcher.match_many(lines) == matcher.match_many(lines)  # type: ignore[union-attr]
    assert parts.matcher is matcher and not isinstance(matcher.vectorizer, CompactTfidf)  # the original is intact


def test_an_estimator_that_cannot_be_reproduced_is_kept() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(200, 3))
    model = LogisticRegression().fit(x, (x[:, 0] > 0).astype(str))
    parts = LearnedExtractor(ExtractorConfig(use_cell_model=True), cell_model=CellModel(model, ("False", "True")))
    assert compact_parts(parts).cell_model.model is model  # type: ignore[union-attr]
