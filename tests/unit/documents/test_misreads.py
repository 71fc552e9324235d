"""OCR misreadings: the rule table, the slip kinds and the "apply when exactly one fits" rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from minimarket.documents.misreads import (
    MISREAD_VENC,
    RULES,
    Repair,
    Scope,
    Slip,
    TieBreak,
    code_misreading,
    dates_with_lost_separator,
    lookalike_figure,
    lost_separator,
    misread_digits,
    only_fit,
    plausible_misreading,
    quantity_misreading,
    rate_with_percent_as_4,
    slipped_separator_amount,
)


@pytest.mark.parametrize(
    ("read", "required", "kind"),
    [
        ("7.29505", "7295.05", Slip.SEPARATOR),
        ("22825000", "228250.00", Slip.SEPARATOR),
        ("228850.00", "228250.00", Slip.DIGIT),
        ("2950.4", "2950.41", Slip.TRUNCATED),
        ("513.60", "2513.60", Slip.LOST_DIGIT),
        ("100.00", "250.00", None),
    ],
)
def test_plausible_misreading(read: str, required: str, kind: Slip | None) -> None:
    assert plausible_misreading(Decimal(read), Decimal(required)) == kind


def test_slips_are_an_enum_with_their_spanish_name() -> None:
    assert Slip.SEPARATOR == "separator" and Slip.DIGIT != Slip.DIGITS
    assert Slip.TRUNCATED.es == "último decimal cortado"
    assert all(slip.es for slip in Slip)


def test_allow_limits_the_rules_tried() -> None:
    assert plausible_misreading(Decimal("228850.00"), Decimal("228250.00"), {Slip.TRUNCATED}) is None
    assert plausible_misreading(Decimal("2950.4"), Decimal("2950.41"), {Slip.TRUNCATED}) == Slip.TRUNCATED


@pytest.mark.parametrize(
    ("read", "required", "kind"),
    [
        ("117783.89", "27783.89", Slip.DIGITS),  # "2" read as "11"
        ("27708.16", "27788.15", Slip.DIGITS),  # two blurred digits
        ("9.18234", "59182.34", Slip.DIGITS),  # the separator misplaced and a digit lost
        ("228850.00", "228250.00", Slip.DIGIT),  # a strict slip first
        ("27718.16", "27788.15", None),  # two digits off that blur does not explain
        ("100.00", "0", None),
    ],
)
def test_misread_digits_where_exact_arithmetic_fixes_the_value(read: str, required: str, kind: Slip | None) -> None:
    assert misread_digits(Decimal(read), Decimal(required)) == kind


def test_quantity_misreading() -> None:
    assert quantity_misreading(Decimal("1871"), Decimal("1.571")) == Slip.DIGITS
    assert quantity_misreading(Decimal("150"), Decimal("1.5")) == Slip.SEPARATOR
    assert quantity_misreading(Decimal("2"), Decimal("2")) is None
    assert quantity_misreading(Decimal("1881"), Decimal("1.571")) is None


def test_code_misreading() -> None:
    assert code_misreading("1380", "1360")
    assert code_misreading("30164808943", "3016480894")  # one digit added
    assert not code_misreading("9871", "1360")
    assert not code_misreading("1360", "1360")


def test_every_rule_is_named_and_scoped_once() -> None:
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    assert {rule.scope for rule in RULES} == set(Scope)
    assert next(rule.slip for rule in RULES if rule.scope == Scope.FIGURE) == Slip.SEPARATOR  # tried first


def test_only_fit_applies_a_reading_only_when_exactly_one_fits() -> None:
    a = Repair("amount", Decimal("10"), Decimal("100"), Slip.SEPARATOR)
    p = Repair("unit_price", Decimal("5"), Decimal("50"), Slip.DIGITS)
    assert only_fit([a]) == a
    assert only_fit([a, p]) is None
    assert only_fit([a, p], fits=lambda r: r.field == "unit_price") == p
    assert only_fit([a, p], tie_breaks=[TieBreak(lambda r: r.slip != Slip.DIGITS, only_if_one=True)]) == a
    # a tie-break that keeps none (or, with only_if_one, more than one) leaves the choice open
    assert only_fit([a, p], tie_breaks=[TieBreak(lambda r: False)]) is None
    assert only_fit([a, p], tie_breaks=[TieBreak(lambda r: True, only_if_one=True)]) is None
    assert only_fit([], tie_breaks=[TieBreak(lambda r: True)]) is None


def test_lost_separator() -> None:
    assert lost_separator("267288") and lost_separator("300%")
    assert not lost_separator("2.672,88") and not lost_separator("12")


def test_rate_with_percent_as_4() -> None:
    assert rate_with_percent_as_4("214") == Decimal("21")
    assert rate_with_percent_as_4("10,54") == Decimal("10.5")
    assert rate_with_percent_as_4("194") is None


def test_slipped_separator_amount() -> None:
    assert slipped_separator_amount("45,660,63") == Decimal("45660.63")
    assert slipped_separator_amount("1.234.567.89") == Decimal("1234567.89")
    assert slipped_separator_amount("19.110.5") is None
    assert slipped_separator_amount("1.234.567") is None  # a valid whole number, not a slip
    assert slipped_separator_amount("45,66,63") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10SO97", "105097"),
        ("L3IG9S", "131695"),
        ("$S634", "$5634"),
        ("12,5O", "12,50"),
        ("SOLO", None),
        ("2100", None),
        ("x10", None),
        ("IKG", None),
    ],
)
def test_lookalike_figure(text: str, expected: str | None) -> None:
    assert lookalike_figure(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fecha de Vencimiento: 2009/2026", [(22, dt.date(2026, 9, 20))]),
        ("Fecha: 20/092026", [(7, dt.date(2026, 9, 20))]),
        ("Tel. 4229-4164", []),  # no day 42
        ("3109/2026", []),  # no 31 September
        ("2009/3026", []),  # a year out of range
        ("12009/2026 20/09/2026", []),  # part of a longer figure; a well printed date is not this rule's
    ],
)
def test_dates_with_lost_separator(text: str, expected: list[tuple[int, dt.date]]) -> None:
    assert dates_with_lost_separator(text, (1900, 2099)) == expected


@pytest.mark.parametrize("squashed", ["FECHADEVENCIMIENTO", "VENIIMIENTO", "FECHADEVEMIMIENTO", "VERIMIENTO"])
def test_misread_vencimiento(squashed: str) -> None:
    assert MISREAD_VENC.search(squashed)


@pytest.mark.parametrize("squashed", ["MOVIMIENTO", "ENVEJECIMIENTO", "CONOCIMIENTO"])
def test_other_words_are_not_vencimiento(squashed: str) -> None:
    assert not MISREAD_VENC.search(squashed)
