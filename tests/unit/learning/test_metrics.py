"""Scoring an extraction against its ground truth."""

from __future__ import annotations

import math

from minimarket.learning.metrics import aggregate, rounded, score_document

TRUTH = {
    "invoice_type": "A",
    "afip_code": 1,
    "point_of_sale": 5,
    "number": 123,
    "issue_date": "2026-10-01",
    "issuer_cuit": "30119039416",
    "cae": "76223103326445",
    "total": "1210.00",
    "net_amount": "1000.00",
    "items": [
        {
            "description": "YERBA PLAYAD. 1KG",
            "quantity": "2",
            "unit_price": "300",
            "amount": "600.00",
            "sku": "YER-0001",
        },
        {
            "description": "AZUCAR LEDESMA 1KG",
            "quantity": "4",
            "unit_price": "100",
            "amount": "400.00",
            "sku": "AZU-0001",
        },
    ],
}


def _got(**changes: object) -> dict[str, object]:
    got = {**TRUTH, "items": [dict(i) for i in TRUTH["items"]], "status": "accepted"}  # type: ignore[arg-type]
    got.update(changes)
    return got


def test_a_perfect_extraction_is_fully_correct() -> None:
    score = score_document(_got(total="1210"), TRUTH)
    assert score.fully_correct and score.items_right == 2 and score.sku_right == 2
    assert score.cer_errors == 0


def test_wrong_fields_items_and_skus_are_counted() -> None:
    items = [
        {"description": "YERBA PLAYAD 1KG", "quantity": "2", "unit_price": "300", "amount": "600.00", "sku": None},
        {"description": "AZUCAR", "quantity": "4", "unit_price": "10", "amount": "40.00", "sku": "AZU-0001"},
        {"description": "FLETE", "quantity": "1", "unit_price": "50", "amount": "50.00"},
    ]
    score = score_document(_got(number=124, items=items), TRUTH)
    assert not score.fully_correct
    assert score.fields["number"] is False and score.fields["total"] is True
    assert (score.items_true, score.items_pred, score.items_right) == (2, 3, 1)
    assert (score.sku_total, score.sku_right) == (1, 0)
    assert score.cer_errors == 1  # the dot
    figures = aggregate([score, score_document(_got(), TRUTH)])
    assert figures["item_precision"] == 3 / 5 and figures["item_recall"] == 3 / 4
    assert math.isclose(figures["item_f1"], 2 * 0.6 * 0.75 / 1.35)
    assert figures["fully_correct"] == 1 and figures["field_accuracy"]["number"] == 0.5
    assert figures["sku_accuracy"] == 2 / 3


def test_rounded_turns_nan_into_null() -> None:
    assert rounded({"a": math.nan, "b": [0.123456]}) == {"a": None, "b": [0.1235]}
    assert aggregate([])["item_f1"] != aggregate([])["item_f1"] or aggregate([])["documents"] == 0


def test_a_truth_without_items_scores_the_header_alone() -> None:
    """The real development set's expected.json has no items: extracted items neither help nor hurt."""
    header = {k: v for k, v in TRUTH.items() if k != "items"}
    score = score_document(_got(), header)
    assert score.fully_correct and score.items_pred == score.items_true == 0
    assert not score_document(_got(number=124), header).fully_correct


def test_totals_compare_vat_lines_and_other_taxes_as_multisets() -> None:
    truth = {
        **TRUTH,
        "vat": [{"rate": "21", "amount": "126.00"}, {"rate": "10.5", "amount": "42.00"}],
        "other_taxes": [{"kind": "perception_iibb", "amount": "30.00"}],
    }
    reordered = _got(vat=list(reversed(truth["vat"])), other_taxes=truth["other_taxes"])  # type: ignore[arg-type]
    assert score_document(reordered, truth, totals=True).fields["vat"]
    wrong = score_document(_got(vat=truth["vat"][:1], other_taxes=[]), truth, totals=True)
    assert not wrong.fields["vat"] and not wrong.fields["other_taxes"] and set(wrong.wrong) >= {"vat", "other_taxes"}
    assert "vat" not in score_document(reordered, truth).fields  # only when asked


def test_names_compare_without_case_accents_or_a_final_period() -> None:
    truth = {**TRUTH, "issuer_name": "Mónica Beatriz Ferreyra S.A."}
    assert score_document(_got(issuer_name="MONICA  BEATRIZ FERREYRA S.A"), truth, fields=["issuer_name"]).header_ok
    assert not score_document(_got(issuer_name="Av. Lavalle 2150"), truth, fields=["issuer_name"]).header_ok
