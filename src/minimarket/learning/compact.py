"""The champion's parts in a form that loads without scikit-learn, for the local copy a door reads.

Importing scikit-learn takes longer than reading a text PDF (it pulls SciPy's statistics and pandas), and a
reader only needs what the fitted estimators compute. :func:`compact_parts` swaps each estimator of the
served parts for the arrays it predicts from, with the very same arithmetic:

* a ``HistGradientBoostingClassifier`` (row and cell classifiers) → :class:`CompactTrees` (the trees'
  nodes; raw scores summed tree by tree from the baseline, then softmax or the logistic function);
* the matcher's ``TfidfVectorizer`` → :class:`CompactTfidf` (vocabulary and idf; character n-grams within
  words, sublinear tf, l2 rows), giving the same sparse rows as scikit-learn's ``transform``;
* the matcher's calibrating ``LogisticRegression`` → :class:`CompactLogistic`.

Each compact estimator is checked against the original on probe inputs when it is made, and an estimator
that is not reproduced exactly (or is of an unknown kind) is kept as it is: the copy may then load
scikit-learn, but never reads differently.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from minimarket.learning.extractor_model import LearnedExtractor

log = logging.getLogger(__name__)

__all__ = ["CompactLogistic", "CompactTfidf", "CompactTrees", "compact_parts"]

_WHITE_SPACES = re.compile(r"\s\s+")


# --- gradient-boosted trees ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tree:
    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    left: np.ndarray
    right: np.ndarray
    leaf: np.ndarray
    value: np.ndarray

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The leaf value of every row (NaN goes where training sent missing values)."""
        node = np.zeros(len(x), dtype=np.intp)
        rows = np.arange(len(x))
        active = ~self.leaf[node]
        while active.any():
            at = node[active]
            values = x[rows[active], self.feature[at]]
            go_left = np.where(np.isnan(values), self.missing_left[at], values <= self.threshold[at])
            node[active] = np.where(go_left, self.left[at], self.right[at])
            active = ~self.leaf[node]
        return np.asarray(self.value[node], dtype=np.float64)


@dataclass(frozen=True)
class CompactTrees:
    """``predict_proba`` of a fitted ``HistGradientBoostingClassifier`` without scikit-learn."""

    classes_: np.ndarray
    baseline: np.ndarray
    iterations: tuple[tuple[_Tree, ...], ...]

    @classmethod
    def of(cls, model: Any) -> CompactTrees:
        if getattr(model, "is_categorical_", None) is not None and np.any(model.is_categorical_):
            raise ValueError("categorical splits are not reproduced")
        iterations = []
        for predictors in model._predictors:
            trees = []
            for predictor in predictors:
                nodes = predictor.nodes
                if np.any(nodes["is_categorical"]):
                    raise ValueError("categorical splits are not reproduced")
                trees.append(
                    _Tree(
                        feature=nodes["feature_idx"].astype(np.intp),
                        threshold=nodes["num_threshold"].astype(np.float64),
                        missing_left=nodes["missing_go_to_left"].astype(bool),
                        left=nodes["left"].astype(np.intp),
                        right=nodes["right"].astype(np.intp),
                        leaf=nodes["is_leaf"].astype(bool),
                        value=nodes["value"].astype(np.float64),
                    )
                )
            iterations.append(tuple(trees))
        baseline = np.asarray(model._baseline_prediction, dtype=np.float64)
        return cls(np.asarray(model.classes_), baseline, tuple(iterations))

    def raw(self, x: Any) -> np.ndarray:
        data = np.ascontiguousarray(x, dtype=np.float64)
        raw = np.zeros((len(data), self.baseline.shape[-1]), dtype=np.float64, order="F")
        raw += self.baseline
        for trees in self.iterations:
            for k, tree in enumerate(trees):
                raw[:, k] += tree.predict(data)
        return raw

    def predict_proba(self, x: Any) -> np.ndarray:
        raw = self.raw(x)
        if raw.shape[1] == 1:  # two classes: the logistic function of one score
            from scipy.special import expit

            proba = np.empty((len(raw), 2), dtype=np.float64)
            proba[:, 1] = expit(raw.ravel())
            proba[:, 0] = 1 - proba[:, 1]
            return proba
        raw -= np.max(raw, axis=1).reshape(-1, 1)
        np.exp(raw, out=raw)
        raw /= np.sum(raw, axis=1).reshape(-1, 1)
        return raw


# --- tf-idf of character n-grams ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CompactTfidf:
    """``transform`` of a fitted ``TfidfVectorizer(analyzer="char_wb", sublinear_tf=True, norm="l2")``."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    ngram_range: tuple[int, int]
    lowercase: bool
    sparse_array: bool

    @classmethod
    def of(cls, vectorizer: Any, matrix: Any) -> CompactTfidf:
        wanted = {
            "analyzer": "char_wb",
            "sublinear_tf": True,
            "norm": "l2",
            "use_idf": True,
            "preprocessor": None,
            "strip_accents": None,
            "input": "content",
            "binary": False,
            "dtype": np.float64,
        }
        for name, value in wanted.items():
            if getattr(vectorizer, name, None) != value:
                raise ValueError(f"TfidfVectorizer({name}={getattr(vectorizer, name, None)!r}) is not reproduced")
        low, high = vectorizer.ngram_range
        return cls(
            dict(vectorizer.vocabulary_),
            np.asarray(vectorizer.idf_, dtype=np.float64),
            (int(low), int(high)),
            bool(vectorizer.lowercase),
            type(matrix).__name__.endswith("_array"),
        )

    def _ngrams(self, text: str) -> list[str]:
        text = _WHITE_SPACES.sub(" ", text.lower() if self.lowercase else text)
        low, high = self.ngram_range
        out: list[str] = []
        for word in text.split():
            padded = f" {word} "
            for n in range(low, high + 1):
                offset = 0
                out.append(padded[offset : offset + n])
                while offset + n < len(padded):
                    offset += 1
                    out.append(padded[offset : offset + n])
                if offset == 0:  # a short word counts once
                    break
        return out

    def transform(self, texts: list[str]) -> Any:
        from scipy import sparse

        indices: list[int] = []
        counts: list[int] = []
        indptr = [0]
        for text in texts:
            counter: dict[int, int] = {}
            for gram in self._ngrams(text):
                column = self.vocabulary.get(gram)
                if column is not None:
                    counter[column] = counter.get(column, 0) + 1
            for column in sorted(counter):
                indices.append(column)
                counts.append(counter[column])
            indptr.append(len(indices))
        data = np.asarray(counts, dtype=np.float64)
        np.log(data, data)
        data += 1.0
        columns = np.asarray(indices, dtype=np.int32)
        data *= self.idf[columns]
        for start, end in itertools.pairwise(indptr):
            total = 0.0
            for value in data[start:end]:
                total += float(value) * float(value)
            if total != 0.0:
                data[start:end] /= math.sqrt(total)
        build = sparse.csr_array if self.sparse_array else sparse.csr_matrix
        return build(
            (data, columns, np.asarray(indptr, dtype=np.int32)), shape=(len(texts), len(self.idf)), dtype=np.float64
        )


# --- logistic regression ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompactLogistic:
    """``predict_proba`` of a fitted two-class ``LogisticRegression``."""

    classes_: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray

    @classmethod
    def of(cls, model: Any) -> CompactLogistic:
        if len(model.classes_) != 2:
            raise ValueError("only two-class logistic regressions are reproduced")
        return cls(np.asarray(model.classes_), np.asarray(model.coef_), np.asarray(model.intercept_))

    def predict_proba(self, x: Any) -> np.ndarray:
        from scipy.special import expit

        data = np.asarray(x, dtype=np.float64)
        scores = data @ self.coef.T + self.intercept
        prob = scores.reshape(-1) if scores.ndim > 1 and scores.shape[1] == 1 else scores
        prob = expit(prob, out=prob)
        return np.stack([1 - prob, prob], axis=1)


# --- the parts -------------------------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    if hasattr(a, "tocsr"):
        a, b = a.tocsr(), b.tocsr()
        same_layout = np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
        return bool(same_layout and np.array_equal(a.data, b.data))
    return bool(np.array_equal(np.asarray(a), np.asarray(b)))


def _probe_rows(model: Any, rng: np.random.Generator) -> np.ndarray:
    """Rows around every split threshold of the model (and some missing values)."""
    n_features = int(model.n_features_in_)
    thresholds: list[list[float]] = [[] for _ in range(n_features)]
    for predictors in model._predictors:
        for predictor in predictors:
            nodes = predictor.nodes[~predictor.nodes["is_leaf"].astype(bool)]
            for feature, value in zip(nodes["feature_idx"], nodes["num_threshold"], strict=True):
                thresholds[int(feature)].append(float(value))
    rows = np.zeros((400, n_features))
    for j, values in enumerate(thresholds):
        pool = np.asarray(values or [0.0])
        picks = rng.choice(pool, size=len(rows)) + rng.choice([-1e-9, 0.0, 1e-9, -1.0, 1.0], size=len(rows))
        rows[:, j] = np.where(rng.random(len(rows)) < 0.05, np.nan, picks)
    return rows


def _trees(model: Any) -> Any:
    try:
        compact = CompactTrees.of(model)
        rows = _probe_rows(model, np.random.default_rng(0))
        if _same(compact.predict_proba(rows), model.predict_proba(rows)):
            return compact
        log.warning("compact trees differ from %s on probe rows; keeping the original", type(model).__name__)
    except (AttributeError, ValueError, TypeError) as exc:
        log.info("%s kept as it is (%s)", type(model).__name__, exc)
    return model


def _matcher(matcher: Any) -> Any:
    out = matcher
    try:
        tfidf = CompactTfidf.of(matcher.vectorizer, matcher.matrix)
        probes = [*matcher.doc_texts, *(text[::-1] for text in matcher.doc_texts[:50]), "", "  x  y  "]
        if _same(tfidf.transform(probes), matcher.vectorizer.transform(probes)):
            out = replace(out, vectorizer=tfidf)
        else:
            log.warning("compact tf-idf differs from the vectorizer on the catalog; keeping the original")
    except (AttributeError, ValueError, TypeError) as exc:
        log.info("the matcher's vectorizer kept as it is (%s)", exc)
    if matcher.calibrator is not None:
        try:
            logistic = CompactLogistic.of(matcher.calibrator)
            rows = np.random.default_rng(0).random((200, logistic.coef.shape[-1]))
            if _same(logistic.predict_proba(rows), matcher.calibrator.predict_proba(rows)):
                out = replace(out, calibrator=logistic)
        except (AttributeError, ValueError, TypeError) as exc:
            log.info("the matcher's calibrator kept as it is (%s)", exc)
    return out


def compact_parts(extractor: LearnedExtractor) -> LearnedExtractor:
    """The same parts with every estimator swapped for its compact form where it is reproduced exactly."""
    row_model = extractor.row_model
    cell_model = extractor.cell_model
    if row_model is not None:
        row_model = replace(row_model, model=_trees(row_model.model))
    if cell_model is not None:
        cell_model = replace(cell_model, model=_trees(cell_model.model))
    matcher = _matcher(extractor.matcher) if extractor.matcher is not None else None
    return LearnedExtractor(extractor.config, row_model, cell_model, matcher)
