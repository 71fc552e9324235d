"""How good an extraction is against its ground truth: header fields, items, SKUs, description CER.

* **header fields** — the fields of the real development set's ``expected.json`` (type, AFIP code, point of
  sale, number, date, issuer CUIT, CAE, total) plus net amount, CAE due date and the receiver's document;
  numbers compare by value, text without case, accents or repeated spaces;
* **items** — an extracted item is right when its (quantity, unit price, amount) equal a true item's
  (multiset matching, so order does not matter): precision, recall and F1 over all documents;
* **SKU accuracy** — over the true items with a SKU that were extracted right, the share whose SKU is right;
* **description CER** — character error rate of the descriptions of those right items (normalised
  Levenshtein distance: the OCR's error on the text a person reads);
* **fully correct** — every header field right and every item right (no missing, no extra).

A truth without ``items`` (the real development set's ``expected.json``) scores the header alone; with
``totals=True`` the VAT lines and other taxes are compared too, as multisets of (rate, amount) and
(kind, amount).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from rapidfuzz.distance import Levenshtein

from minimarket.documents.linetext import strip_accents

__all__ = ["EXPECTED_FIELDS", "HEADER_FIELDS", "DocScore", "aggregate", "score_document"]

EXPECTED_FIELDS: tuple[str, ...] = (
    "invoice_type",
    "afip_code",
    "point_of_sale",
    "number",
    "issue_date",
    "issuer_cuit",
    "cae",
    "total",
)
"""The fields of ``expected.json`` (real development set and synthetic datasets)."""
HEADER_FIELDS: tuple[str, ...] = (*EXPECTED_FIELDS, "net_amount", "cae_due_date", "receiver_doc_number")


def norm_value(value: Any) -> str | None:
    """Numbers by value; text without case, accents, repeated spaces or a final period (a name printed in
    capitals loses its accents: "MONICA FERREYRA S.A" is "Mónica Ferreyra S.A.")."""
    if value is None or value == "":
        return None
    try:
        return str(Decimal(str(value)).normalize())
    except (InvalidOperation, ValueError):
        return strip_accents(" ".join(str(value).split())).casefold().rstrip(".")


def _item_key(item: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    return (norm_value(item.get("quantity")), norm_value(item.get("unit_price")), norm_value(item.get("amount")))


@dataclass
class DocScore:
    """One document's comparison with its truth."""

    name: str
    kind: str
    fields: dict[str, bool]
    items_true: int
    items_pred: int
    items_right: int
    sku_total: int
    sku_right: int
    cer_chars: int
    cer_errors: int
    status: str
    wrong: dict[str, dict[str, Any]] = field(default_factory=dict)
    layout: str = ""

    @property
    def header_ok(self) -> bool:
        return all(self.fields.values())

    @property
    def items_ok(self) -> bool:
        return self.items_right == self.items_true == self.items_pred

    @property
    def fully_correct(self) -> bool:
        return self.header_ok and self.items_ok


def score_document(
    got: Mapping[str, Any],
    truth: Mapping[str, Any],
    *,
    name: str = "",
    kind: str = "",
    layout: str = "",
    fields: Sequence[str] = HEADER_FIELDS,
    totals: bool = False,
) -> DocScore:
    """Compare an extracted-invoice JSON (``got``) with the truth (same contract)."""
    checked: dict[str, bool] = {}
    wrong: dict[str, dict[str, Any]] = {}
    for name_ in fields:
        if truth.get(name_) is None:
            continue
        ok = norm_value(got.get(name_)) == norm_value(truth.get(name_))
        checked[name_] = ok
        if not ok:
            wrong[name_] = {"expected": truth.get(name_), "got": got.get(name_)}
    if totals:
        for name_, keys in (("vat", ("rate", "amount")), ("other_taxes", ("kind", "amount"))):
            if name_ in truth:
                checked[name_] = _rows(got.get(name_), keys) == _rows(truth.get(name_), keys)
                if not checked[name_]:
                    wrong[name_] = {"expected": truth.get(name_), "got": got.get(name_)}
    scored_items = "items" in truth
    t_items = list(truth.get("items") or [])
    g_items = list(got.get("items") or []) if scored_items else []
    pool: dict[tuple[str | None, ...], list[Mapping[str, Any]]] = defaultdict(list)
    for item in g_items:
        pool[_item_key(item)].append(item)
    right = sku_total = sku_right = chars = errors = 0
    for t in t_items:
        bucket = pool.get(_item_key(t))
        if not bucket:
            continue
        g = bucket.pop(0)
        right += 1
        if t.get("sku"):
            sku_total += 1
            sku_right += g.get("sku") == t.get("sku")
        want = " ".join(str(t.get("description") or "").split())
        have = " ".join(str(g.get("description") or "").split())
        chars += len(want)
        errors += Levenshtein.distance(want, have)
    if len(t_items) != len(g_items) or right != len(t_items):
        wrong["items"] = {"expected": len(t_items), "got": len(g_items), "right": right}
    return DocScore(
        name=name,
        kind=kind,
        fields=checked,
        items_true=len(t_items),
        items_pred=len(g_items),
        items_right=right,
        sku_total=sku_total,
        sku_right=sku_right,
        cer_chars=chars,
        cer_errors=errors,
        status=str(got.get("status")),
        wrong=wrong,
        layout=layout,
    )


def _rows(rows: Iterable[Mapping[str, Any]] | None, keys: tuple[str, ...]) -> Counter[tuple[str | None, ...]]:
    return Counter(tuple(norm_value(row.get(k)) for k in keys) for row in rows or [])


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def aggregate(scores: Iterable[DocScore]) -> dict[str, Any]:
    """Figures over several documents (NaN where there is nothing to measure)."""
    scores = list(scores)
    per_field: dict[str, list[bool]] = defaultdict(list)
    for s in scores:
        for name, ok in s.fields.items():
            per_field[name].append(ok)
    checked = [ok for s in scores for ok in s.fields.values()]
    tp = sum(s.items_right for s in scores)
    pred = sum(s.items_pred for s in scores)
    true = sum(s.items_true for s in scores)
    precision, recall = _ratio(tp, pred), _ratio(tp, true)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    if math.isnan(precision) or math.isnan(recall):
        f1 = math.nan if not true else 0.0
    statuses = Counter(s.status for s in scores)
    return {
        "documents": len(scores),
        "fully_correct": sum(s.fully_correct for s in scores),
        "fully_correct_share": _ratio(sum(s.fully_correct for s in scores), len(scores)),
        "header_accuracy": _ratio(sum(checked), len(checked)),
        "header_docs_correct_share": _ratio(sum(s.header_ok for s in scores), len(scores)),
        "field_accuracy": {name: _ratio(sum(v), len(v)) for name, v in sorted(per_field.items())},
        "item_precision": precision,
        "item_recall": recall,
        "item_f1": f1,
        "items_true": true,
        "items_pred": pred,
        "sku_accuracy": _ratio(sum(s.sku_right for s in scores), sum(s.sku_total for s in scores)),
        "description_cer": _ratio(sum(s.cer_errors for s in scores), sum(s.cer_chars for s in scores)),
        "status": dict(statuses),
    }


def rounded(value: Any, digits: int = 4) -> Any:
    """``value`` with floats rounded (NaN → None), recursively: for JSON reports."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, digits)
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v, digits) for v in value]
    return value
