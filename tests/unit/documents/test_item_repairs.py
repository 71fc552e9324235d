"""Repairs of an item's figures by its arithmetic: one misread figure, lost separators, lost quantities and prices."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minimarket.domain.invoice import Status
from tests.unit.documents.reconcile_cases import (
    check,
    items,
    run,
    totals,
)


def test_an_item_whose_price_and_amount_both_lost_their_comma_gets_its_cents_back() -> None:
    """3 × "1459674" = "4379022" adds up as read, but the table prints its other figures with cents."""
    it = items(("3", "1459674", "4379022"), ("1", "178801.65", "178801.65"), ("1", "9834.71", "9834.71"))
    it.amounts_text = [
        (0, "unit_price", "1459674"), (0, "amount", "4379022"),
        (1, "unit_price", "178.801,65"), (1, "amount", "178.801,65"),
        (2, "unit_price", "9.834,71"), (2, "amount", "9.834,71"),
    ]  # fmt: skip
    result = run(t=totals(net="232426.58", vat="48809.58", total="281236.16"), it=it)
    first = result.items[0]
    assert (first.unit_price, first.amount) == (Decimal("14596.74"), Decimal("43790.22"))
    assert check(result, "repair_item_1_cents").ok and check(result, "items_sum_net").ok


def test_an_amount_that_lost_its_comma_gets_its_cents_back_before_the_missing_price_is_deduced() -> None:
    """The price did not read and the amount read "85634" in a table of amounts with cents: the price is
    deduced from 856,34, not from 85.634."""
    it = items(("1", "178801.65", "178801.65"), ("1", "9834.71", "9834.71"), ("1", "0", "85634"))
    it.items[2].unit_price = None
    it.amounts_text = [
        (0, "unit_price", "178.801,65"), (0, "amount", "178.801,65"),
        (1, "unit_price", "9.834,71"), (1, "amount", "9.834,71"), (2, "amount", "85634"),
    ]  # fmt: skip
    result = run(t=totals(net="189492.70", vat="39793.47", total="229286.17"), it=it)
    last = result.items[2]
    assert (last.unit_price, last.amount) == (Decimal("856.34"), Decimal("856.34"))
    assert check(result, "repair_item_3_amount").ok and check(result, "items_sum_net").ok


def test_figures_joined_at_a_space_keep_their_cents() -> None:
    """ "1.444 99" (cut at its comma by OCR and joined again) and "12.040,88" both have cents: nothing to restore."""
    it = items(("12", "1444.99", "17339.88"), ("1", "178801.65", "178801.65"))
    it.amounts_text = [
        (0, "unit_price", "1.444 99"), (0, "amount", "17 339 88"),
        (1, "unit_price", "178.801,65"), (1, "amount", "178.801,65"),
    ]  # fmt: skip
    result = run(t=totals(net="196141.53", vat="41189.72", total="237331.25"), it=it)
    assert (result.items[0].unit_price, result.items[0].amount) == (Decimal("1444.99"), Decimal("17339.88"))
    assert not [c for c in result.checks if c.name.startswith("repair_")]


def test_a_price_and_amount_that_lost_their_commas_give_back_the_lost_quantity() -> None:
    """A photo: the quantity lost, the price read "275370" and the amount "1101480": with their cents back
    (2.753,70 and 11.014,80) the quantity is 4 units exactly."""
    it = items(("1", "178801.65", "178801.65"), ("1", "9834.71", "9834.71"), ("4", "275370", "1101480"))
    it.items[2].quantity = None
    it.amounts_text = [
        (0, "unit_price", "178.801,65"), (0, "amount", "178.801,65"),
        (1, "unit_price", "9.834,71"), (1, "amount", "9.834,71"),
        (2, "unit_price", "275370"), (2, "amount", "1101480"),
    ]  # fmt: skip
    result = run(t=totals(net="199651.16", vat="41926.74", total="241577.90"), it=it)
    last = result.items[2]
    assert (last.quantity, last.unit_price, last.amount) == (Decimal("4"), Decimal("2753.70"), Decimal("11014.80"))
    assert check(result, "repair_item_3_unit_price").ok and check(result, "items_arithmetic").ok


def test_item_with_wrong_arithmetic_that_no_single_misreading_explains() -> None:
    result = run(it=items(("3", "100.00", "250.00"), ("1", "188336.36", "188336.36")))
    assert not check(result, "items_arithmetic").ok


def test_price_and_amount_both_misreadable_the_items_sum_decides() -> None:
    # 6 × 514,21 = 3.085,26: the price was read without its comma ("51421"); changing the amount instead
    # ("308.526,00") would also satisfy the row, but then the items would not add up to the net
    it = items(("1", "185551.10", "185551.10"), ("6", "51421", "3085.26"))
    result = run(it=it)
    assert result.items[1].unit_price == Decimal("514.21") and result.items[1].amount == Decimal("3085.26")
    assert check(result, "repair_item_2_unit_price").ok


def test_a_digit_read_as_two_is_repaired_when_the_arithmetic_fixes_it() -> None:
    it = items(("1", "117783.89", "27783.89"), ("1", "160852.47", "160852.47"))  # "2" read as "11"
    result = run(it=it)
    assert result.items[0].unit_price == Decimal("27783.89")
    assert "dígitos mal leídos" in check(result, "repair_item_1_unit_price").detail


def test_a_lost_digit_and_a_misplaced_separator_are_repaired_when_the_arithmetic_fixes_them() -> None:
    """'$9.18234' for 59.182,34: the '5' read as '$' and the separator misplaced; quantity × price fixes it."""
    it = items(("8.361", "7078.38", "9.18234"), ("1", "169067.66", "169067.66"))
    result = run(it=it)
    assert result.items[0].amount == Decimal("59182.34")
    assert "dígitos mal leídos" in check(result, "repair_item_1_amount").detail


def test_an_amount_that_lost_its_comma_and_gained_a_digit_is_repaired_when_the_arithmetic_fixes_it() -> None:
    """'12.037.560' for 12.037,56: the comma read as a point and a 0 added at the end; 3 × 4.012,52 fixes it
    (the price, printed with its cents, is not taken for one that lost its comma)."""
    it = items(("3", "4012.52", "12037560.00"), ("1", "169067.66", "169067.66"))
    it.amounts_text = [
        (0, "unit_price", "4.012,52"), (0, "amount", "12.037.560"),
        (1, "unit_price", "169.067,66"), (1, "amount", "169.067,66"),
    ]  # fmt: skip
    result = run(it=it)
    assert (result.items[0].unit_price, result.items[0].amount) == (Decimal("4012.52"), Decimal("12037.56"))
    assert "se corrigió a 12.037,56" in check(result, "repair_item_1_amount").detail


def test_two_blurred_digits_of_an_amount_are_repaired_when_the_arithmetic_fixes_them() -> None:
    """A photo: '27708,16' for 27.788,15 (an 8 read as 0, a 5 as 6); 5,302 kg × 5.241,07 fixes it."""
    it = items(("5.302", "5241.07", "27708.16"), ("1", "169067.66", "169067.66"))
    result = run(it=it)
    assert result.items[0].amount == Decimal("27788.15")
    assert "dígitos mal leídos" in check(result, "repair_item_1_amount").detail


@pytest.mark.parametrize(
    ("price", "amount"),
    [("10.50", "29.00"), ("1355.08", "2730.26")],  # a short figure; 2710,16 read with a 3 and a 2, not blur's
)
def test_two_digits_off_are_not_a_misreading_unless_blur_explains_them(price: str, amount: str) -> None:
    it = items(("2", price, amount), ("1", "169067.66", "169067.66"))
    result = run(it=it)
    assert result.items[0].amount == Decimal(amount)


def test_a_quantity_with_a_wrong_digit_and_no_separator_is_repaired_from_the_arithmetic() -> None:
    """'1871' for 1,571 kg: quantity × price must be the amount to the cent, and only 1,571 makes it."""
    it = items(("1871", "11922.42", "18730.12"), ("1", "209519.83", "209519.83"))
    result = run(it=it)
    assert result.items[0].quantity == Decimal("1.571")
    assert "dígitos mal leídos" in check(result, "repair_item_1_quantity").detail


def test_repair_item_amount_with_a_misplaced_separator() -> None:
    """``7.29505`` must be ``7.295,05`` because quantity × price = amount."""
    result = run(
        t=totals(net="7295.05", vat="1531.96", total="8827.01"),
        it=items(("1", "7295.05", "7.29505")),
    )
    assert result.items[0].amount == Decimal("7295.05")
    repair = check(result, "repair_item_1_amount")
    assert repair.ok and "separador decimal" in repair.detail
    assert check(result, "items_sum_net").ok


def test_the_figure_printed_without_its_separator_is_the_one_repaired() -> None:
    """12 × 246032 ≠ 29523,84: the price lost its comma or the amount gained digits — both fit the
    arithmetic, and the net is not read; the price is the figure printed without the separator its column's
    other figures have."""
    it = items(("12", "246032", "29523.84"), ("1", "1500.00", "1500.00"), ("2", "10.50", "21.00"))
    it.amounts_text = [
        (0, "quantity", "12"),
        (0, "unit_price", "246032"),
        (0, "amount", "29.523,84"),
        (1, "quantity", "1"),
        (1, "unit_price", "1.500,00"),
        (1, "amount", "1.500,00"),
        (2, "quantity", "2"),
        (2, "unit_price", "10,50"),
        (2, "amount", "21,00"),
    ]
    t = totals()
    t.net = None
    result = run(t=t, it=it)
    assert result.items[0].unit_price == Decimal("2460.32")
    assert result.items[0].amount == Decimal("29523.84")
    assert "separador decimal" in check(result, "repair_item_1_unit_price").detail
    it.amounts_text = []  # without the printed text, nothing tells which figure is wrong
    assert run(t=t, it=it).items[0].unit_price == Decimal("246032")


def test_a_quantity_repaired_from_the_arithmetic_has_its_printed_decimals() -> None:
    """767 kg × 5700,10 ≠ 43719,77: the quantity is 7,67 (43719,77 ÷ 5700,10 is 7,670000526… to the cent)."""
    t = totals(net="43719.77", vat="9181.15", total="52900.92")
    result = run(t=t, it=items(("767", "5700.10", "43719.77")))
    assert result.items[0].quantity == Decimal("7.67")
    assert check(result, "repair_item_1_quantity").ok


def test_a_lost_quantity_is_deduced_when_it_is_a_whole_number_of_units() -> None:
    it = items(("1", "178801.65", "178801.65"), ("1", "9834.71", "9834.71"))
    it.items[0].quantity = None  # a lone "1" next to a table rule, lost by the OCR
    it.items[1].quantity = None
    it.items[1].unit_price = Decimal("3000.00")  # 9834.71 / 3000 is not a whole number
    result = run(it=it)
    assert result.items[0].quantity == Decimal("1") and result.items[1].quantity is None
    assert "se dedujo 1" in check(result, "repair_item_1_quantity").detail
    assert not [c for c in result.checks if c.name == "repair_item_2_quantity"]


def test_a_lost_weighed_quantity_is_deduced_when_the_division_is_exact_to_the_gram() -> None:
    """8,220 kg at $ 20.267,55 = $ 166.599,26: the quantity is deduced to the gram; from a cheap price, where
    any amount divides to some weight, it is not."""
    it = items(("8.22", "20267.55", "166599.26"), ("1", "22202.39", "22202.39"))
    it.items[0].quantity = None
    result = run(t=totals(net="188801.65", vat="39648.35", total="228450.00"), it=it)
    assert result.items[0].quantity == Decimal("8.220")
    assert "se dedujo 8,220" in check(result, "repair_item_1_quantity").detail
    cheap = items(("2.469", "50.00", "123.45"))
    cheap.items[0].quantity = None
    assert run(it=cheap).items[0].quantity is None


def test_an_item_whose_quantity_did_not_read_nor_could_be_deduced_is_not_accepted() -> None:
    """A photo: a quantity lost and the price misread (4.339,73 for 4.839,73), while the amounts add up to
    the net: nothing checks that row, so the invoice goes to review instead of being accepted."""
    it = items(("1", "178801.65", "178801.65"), ("3.096", "4839.73", "9834.71"))
    it.items[1].quantity = None
    it.items[1].unit_price = Decimal("4339.73")
    result = run(it=it)
    c = check(result, "items_arithmetic")
    assert not c.ok and "ítem 2: no se leyó la cantidad" in c.detail
    assert check(result, "items_sum_net").ok
    assert result.status == Status.NEEDS_REVIEW


def test_a_lost_unit_price_is_deduced_when_the_division_is_exact_to_the_cent() -> None:
    it = items(("12", "3846.19", "46154.28"), ("3", "1000.00", "3100.00"))
    it.items[0].unit_price = None  # "B846.19": not a figure
    it.items[1].unit_price = None  # 3100 / 3 = 1033.33…: not exact, left alone
    t = totals(net="49254.28", vat="10343.40", total="59597.68")
    result = run(t=t, it=it)
    assert result.items[0].unit_price == Decimal("3846.19") and result.items[1].unit_price is None
    assert "se dedujo $ 3.846,19" in check(result, "repair_item_1_unit_price").detail


def test_of_two_readings_within_a_cent_an_item_the_one_the_net_takes_exactly_wins() -> None:
    """31 items allow the sum 31 cents off: the amount "85.804,59" (for 85.804,89) and the price 28.601,53
    both fit 3 × price = amount and the loose sum; only the amount makes the items add up to the net."""
    rows = [("1", "100.00", "100.00")] * 30 + [("3", "28601.63", "85804.59")]
    result = run(t=totals(net="88804.89", vat="18649.03", total="107453.92"), it=items(*rows))
    last = result.items[30]
    assert (last.unit_price, last.amount) == (Decimal("28601.63"), Decimal("85804.89"))
    assert check(result, "repair_item_31_amount").ok and check(result, "items_arithmetic").ok
