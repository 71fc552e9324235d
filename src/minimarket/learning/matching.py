"""Product matching: an invoice line (description, supplier CUIT, supplier code) → catalog SKU with a confidence.

Evidence, strongest first:

1. **codes** — an EAN-13 printed as the article code, or the supplier's own article code
   (``Product.supplier_code``) from that supplier;
2. **aliases** — how a supplier names a product on its invoices, learned from confirmed invoices (accepted,
   or corrected by a person: :func:`minimarket.store.corrections.confirmed_items`), per supplier CUIT;
3. **fuzzy text** — character n-gram TF-IDF (scikit-learn, ``char_wb`` 2-4 grams, robust to abbreviations
   such as "YERBA PLAYAD.1KG x10" and to OCR slips) over each product's supplier description, name and
   aliases, re-scored with rapidfuzz on the best candidates, with a bonus for the invoice's own supplier.

The confidence of a fuzzy match is a probability: a logistic regression fitted on item descriptions read
from training documents (OCR noise included) whose true SKU is known (:meth:`ProductMatcher.calibrate`).
Below :attr:`ProductMatcher.threshold` the line stays unmatched (``sku=None``) with its best confidence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rapidfuzz import fuzz

__all__ = [
    "Alias",
    "CatalogEntry",
    "Match",
    "MatchExample",
    "ProductMatcher",
    "catalog_entries",
    "normalize_description",
]

CODE_CONFIDENCE = 0.99
ALIAS_CONFIDENCE = 0.98
TOP_K = 8
MIN_TEXT = 3
"""Descriptions with fewer characters (spaces aside) are not matched by text."""


def normalize_description(text: str | None) -> str:
    """Upper case, no accents, punctuation as spaces except inside numbers ("1,5"), spaces collapsed."""
    if not text:
        return ""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).upper()
    plain = re.sub(r"(?<=\d)[.,](?=\d)", "#", plain)
    plain = re.sub(r"[^A-Z0-9#%]+", " ", plain).replace("#", ".")
    return " ".join(plain.split())


def _digits(code: str | None) -> str:
    return re.sub(r"\D", "", code or "")


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """A product as the matcher sees it."""

    sku: str
    name: str
    supplier_description: str | None = None
    supplier_cuit: str | None = None
    supplier_code: str | None = None
    ean: str | None = None


@dataclass(frozen=True, slots=True)
class Alias:
    """A confirmed way a supplier wrote a product: (supplier CUIT, code, description) → SKU."""

    sku: str
    description: str
    supplier_cuit: str | None = None
    code: str | None = None


@dataclass(frozen=True, slots=True)
class Match:
    """The matcher's answer for one line: ``sku`` is ``None`` when the best candidate is not convincing."""

    sku: str | None
    confidence: float
    method: str
    """``code``, ``alias``, ``fuzzy`` or ``none``."""
    candidate: str | None = None
    """The best candidate SKU even when it was not accepted."""


@dataclass(frozen=True, slots=True)
class MatchExample:
    """A labelled line for calibration and evaluation."""

    description: str
    sku: str | None
    supplier_cuit: str | None = None
    code: str | None = None


def catalog_entries(products: Iterable[Any]) -> list[CatalogEntry]:
    """Entries from catalog products (:class:`minimarket.domain.catalog.Product` or anything alike)."""
    return [
        CatalogEntry(
            sku=p.sku,
            name=p.name,
            supplier_description=getattr(p, "supplier_description", None),
            supplier_cuit=getattr(p, "supplier_cuit", None),
            supplier_code=getattr(p, "supplier_code", None),
            ean=getattr(p, "ean", None),
        )
        for p in products
    ]


@dataclass
class _Candidates:
    skus: list[str]
    tfidf: list[float]
    fuzzy: list[float]
    own_supplier: list[bool]


@dataclass
class ProductMatcher:
    """Catalog SKU for invoice lines; build with :meth:`fit`, optionally :meth:`calibrate`."""

    entries: list[CatalogEntry]
    aliases: list[Alias] = field(default_factory=list)
    threshold: float = 0.6
    supplier_bonus: float = 0.08
    vectorizer: Any = None
    matrix: Any = None
    doc_skus: list[str] = field(default_factory=list)
    doc_texts: list[str] = field(default_factory=list)
    calibrator: Any = None
    _by_ean: dict[str, str] = field(default_factory=dict)
    _by_code: dict[tuple[str | None, str], str] = field(default_factory=dict)
    _by_alias: dict[tuple[str | None, str], str] = field(default_factory=dict)
    _supplier_of: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def fit(
        cls, entries: Sequence[CatalogEntry], aliases: Iterable[Alias] = (), *, threshold: float = 0.6
    ) -> ProductMatcher:
        """Index ``entries`` (and ``aliases``, later ones winning on conflicts)."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        matcher = cls(list(entries), list(aliases), threshold=threshold)
        known = {e.sku for e in matcher.entries}
        for entry in matcher.entries:
            matcher._supplier_of[entry.sku] = entry.supplier_cuit
            if entry.ean:
                matcher._by_ean[_digits(entry.ean)] = entry.sku
            if entry.supplier_code:
                matcher._by_code[(entry.supplier_cuit, entry.supplier_code.strip().upper())] = entry.sku
            for text in dict.fromkeys((entry.supplier_description, entry.name)):
                norm = normalize_description(text)
                if norm:
                    matcher.doc_skus.append(entry.sku)
                    matcher.doc_texts.append(norm)
        for alias in matcher.aliases:
            if alias.sku not in known:
                continue
            norm = normalize_description(alias.description)
            if norm:
                matcher._by_alias[(alias.supplier_cuit, norm)] = alias.sku
                matcher.doc_skus.append(alias.sku)
                matcher.doc_texts.append(norm)
            if alias.code:
                matcher._by_code[(alias.supplier_cuit, alias.code.strip().upper())] = alias.sku
        if not matcher.doc_texts:
            raise ValueError("the catalog has no product descriptions to match against")
        matcher.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=1)
        matcher.matrix = matcher.vectorizer.fit_transform(matcher.doc_texts)
        return matcher

    # --- exact evidence ---------------------------------------------------------------------------------

    def _by_codes(self, code: str | None, supplier_cuit: str | None) -> str | None:
        if not code:
            return None
        digits = _digits(code)
        if len(digits) == 13 and digits in self._by_ean:
            return self._by_ean[digits]
        key = code.strip().upper()
        found = self._by_code.get((supplier_cuit, key))
        if found is None and supplier_cuit is None:
            hits = {sku for (cuit, c), sku in self._by_code.items() if c == key}
            found = hits.pop() if len(hits) == 1 else None
        return found

    # --- fuzzy ---------------------------------------------------------------------------------------

    def _candidates(self, norms: list[str], cuits: list[str | None]) -> list[_Candidates]:
        query = self.vectorizer.transform(norms)
        scores = (query @ self.matrix.T).toarray()
        out: list[_Candidates] = []
        for row, norm, cuit in zip(scores, norms, cuits, strict=True):
            order = np.argsort(-row)
            best: dict[str, tuple[float, float]] = {}
            for j in order[: TOP_K * 3]:
                sku = self.doc_skus[j]
                if len(norm) >= 8:
                    ratio = fuzz.token_set_ratio(norm, self.doc_texts[j]) / 100.0
                    fuzzy = max(ratio, 0.9 * fuzz.partial_ratio(norm, self.doc_texts[j]) / 100.0)
                else:  # a few letters are in too many names: compare whole strings
                    fuzzy = fuzz.ratio(norm, self.doc_texts[j]) / 100.0
                previous = best.get(sku)
                if previous is None or row[j] + fuzzy > previous[0] + previous[1]:
                    best[sku] = (float(row[j]), fuzzy)
                if len(best) >= TOP_K:
                    break
            skus = list(best)
            out.append(
                _Candidates(
                    skus=skus,
                    tfidf=[best[s][0] for s in skus],
                    fuzzy=[best[s][1] for s in skus],
                    own_supplier=[cuit is not None and self._supplier_of.get(s) == cuit for s in skus],
                )
            )
        return out

    def _score(self, cand: _Candidates) -> list[float]:
        return [
            0.5 * t + 0.5 * f + (self.supplier_bonus if own else 0.0)
            for t, f, own in zip(cand.tfidf, cand.fuzzy, cand.own_supplier, strict=True)
        ]

    @staticmethod
    def _features(cand: _Candidates, scores: list[float], best: int, norm: str) -> list[float]:
        others = [s for i, s in enumerate(scores) if i != best]
        margin = scores[best] - max(others, default=0.0)
        return [
            cand.tfidf[best],
            cand.fuzzy[best],
            float(cand.own_supplier[best]),
            margin,
            min(len(norm), 60) / 60.0,
            scores[best],
        ]

    def _fuzzy(self, norms: list[str], cuits: list[str | None]) -> list[tuple[str | None, list[float], float]]:
        """(best SKU, its features, heuristic score) per description."""
        results: list[tuple[str | None, list[float], float]] = []
        for cand, norm in zip(self._candidates(norms, cuits), norms, strict=True):
            if not cand.skus:
                results.append((None, [0.0] * 6, 0.0))
                continue
            scores = self._score(cand)
            best = int(np.argmax(scores))
            results.append((cand.skus[best], self._features(cand, scores, best, norm), scores[best]))
        return results

    def _confidence(self, features: list[list[float]], heuristic: list[float]) -> list[float]:
        if not features:
            return []
        if self.calibrator is None:
            return [float(min(1.0, max(0.0, h))) for h in heuristic]
        return [float(p) for p in self.calibrator.predict_proba(np.asarray(features))[:, 1]]

    # --- public --------------------------------------------------------------------------------------

    def match_many(
        self,
        descriptions: Sequence[str | None],
        supplier_cuit: str | None = None,
        codes: Sequence[str | None] | None = None,
        cuits: Sequence[str | None] | None = None,
    ) -> list[Match]:
        """One :class:`Match` per line (one vectorised pass for the fuzzy part)."""
        codes = list(codes) if codes is not None else [None] * len(descriptions)
        cuit_list = list(cuits) if cuits is not None else [supplier_cuit] * len(descriptions)
        results: list[Match | None] = [None] * len(descriptions)
        pending: list[int] = []
        for i, (description, code, cuit) in enumerate(zip(descriptions, codes, cuit_list, strict=True)):
            sku = self._by_codes(code, cuit)
            if sku is not None:
                results[i] = Match(sku, CODE_CONFIDENCE, "code", sku)
                continue
            norm = normalize_description(description)
            alias = self._by_alias.get((cuit, norm))
            if alias is not None:
                results[i] = Match(alias, ALIAS_CONFIDENCE, "alias", alias)
            elif len(norm.replace(" ", "")) < MIN_TEXT:
                results[i] = Match(None, 0.0, "none")
            else:
                pending.append(i)
        if pending:
            norms = [normalize_description(descriptions[i]) for i in pending]
            fuzzy = self._fuzzy(norms, [cuit_list[i] for i in pending])
            confidences = self._confidence([f[1] for f in fuzzy], [f[2] for f in fuzzy])
            for i, (sku, _features, _h), conf in zip(pending, fuzzy, confidences, strict=True):
                accepted = sku if sku is not None and conf >= self.threshold else None
                results[i] = Match(accepted, round(conf, 4), "fuzzy" if accepted else "none", sku)
        return [r if r is not None else Match(None, 0.0, "none") for r in results]

    def match(self, description: str | None, supplier_cuit: str | None = None, code: str | None = None) -> Match:
        """The SKU of one line."""
        return self.match_many([description], supplier_cuit, [code])[0]

    def calibrate(self, examples: Sequence[MatchExample], *, min_examples: int = 20) -> dict[str, float]:
        """Fit the confidence of fuzzy matches on labelled lines (their best candidate right or wrong);
        returns how many examples were used and the share of right best candidates."""
        from sklearn.linear_model import LogisticRegression

        rows = [
            e
            for e in examples
            if e.sku is not None
            and normalize_description(e.description)
            and self._by_codes(e.code, e.supplier_cuit) is None
            and (e.supplier_cuit, normalize_description(e.description)) not in self._by_alias
        ]
        if len(rows) < min_examples:
            return {"calibration_examples": float(len(rows)), "calibrated": 0.0}
        fuzzy = self._fuzzy([normalize_description(e.description) for e in rows], [e.supplier_cuit for e in rows])
        x = np.asarray([f[1] for f in fuzzy])
        y = np.asarray([f[0] == e.sku for f, e in zip(fuzzy, rows, strict=True)], dtype=int)
        if y.min() == y.max():
            # all right (or all wrong): nothing to separate; keep the heuristic score as confidence
            return {"calibration_examples": float(len(rows)), "calibrated": 0.0, "top1_share": float(y.mean())}
        model = LogisticRegression(C=1.0, max_iter=1000, class_weight=None)
        model.fit(x, y)
        self.calibrator = model
        return {"calibration_examples": float(len(rows)), "calibrated": 1.0, "top1_share": float(y.mean())}

    def accuracy(self, examples: Sequence[MatchExample]) -> dict[str, float]:
        """Share of lines whose SKU is right (unmatched counts as wrong for lines with a SKU; lines without
        one, e.g. freight, are right when left unmatched), and coverage."""
        if not examples:
            return {"sku_accuracy": float("nan"), "sku_coverage": float("nan"), "n": 0.0}
        matches = self.match_many(
            [e.description for e in examples],
            codes=[e.code for e in examples],
            cuits=[e.supplier_cuit for e in examples],
        )
        right = sum(m.sku == e.sku for m, e in zip(matches, examples, strict=True))
        covered = sum(m.sku is not None for m in matches)
        return {
            "sku_accuracy": right / len(examples),
            "sku_coverage": covered / len(examples),
            "n": float(len(examples)),
        }
