"""Line-item recognition: truth alignment, features, and the learned row/cell models on clean PDFs."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import numpy as np
import pytest

from minimarket.documents.item_cells import Cell
from minimarket.documents.items import extract_items
from minimarket.documents.layout import Word
from minimarket.documents.linetext import PageView, line_texts, regroup_lines
from minimarket.learning.line_classifier import (
    CELL_FEATURES,
    ROW_FEATURES,
    CellModel,
    LearnedItems,
    RowModel,
    _triples,
    build_tables,
    cell_features,
    figure,
    label_document,
    row_features,
    same_figure,
)
from minimarket.learning.metrics import _item_key

from .conftest import ReadDoc, views_of


def _labelled(docs: list[ReadDoc]) -> tuple[np.ndarray, list[str], np.ndarray, list[str]]:
    xr, yr, xc, yc = [], [], [], []
    for doc in docs:
        views, fmt = views_of(doc)
        tables = build_tables(views, fmt)
        labels = label_document(tables, doc.truth.items)
        for table, rows, cells in zip(tables, labels.row_labels, labels.cell_labels, strict=True):
            x = row_features(table)
            for i, label in enumerate(rows):
                if label is not None:
                    xr.append(x[i])
                    yr.append(label)
            index, xcell = cell_features(table)
            wanted = {(i, id(c)): lab for i, pairs in cells.items() for c, lab in pairs}
            for k, (i, cell) in enumerate(index):
                if (i, id(cell)) in wanted:
                    xc.append(xcell[k])
                    yc.append(wanted[(i, id(cell))])
    return np.asarray(xr), yr, np.asarray(xc), yc


def test_triples_find_quantity_price_amount_and_discounts() -> None:
    amounts, factors, small = _triples([Decimal("3"), Decimal("1250.50"), Decimal("3751.50")])
    assert amounts == {2} and factors == {0, 1} and small == {0}
    # gross 3 × 100 = 300, minus a discount of 15 = 285
    amounts, _, _ = _triples([Decimal("3"), Decimal("100"), Decimal("15"), Decimal("285")])
    assert 3 in amounts
    assert _triples([Decimal("2"), Decimal("7")]) == (set(), set(), set())


def test_same_figure_tolerates_one_ocr_slip_on_long_numbers_only() -> None:
    assert same_figure(Cell("10.054,74", 0, 1, Decimal("10054.74")), Decimal("10054.74"))
    assert same_figure(Cell("10.054,14", 0, 1, Decimal("10054.14")), Decimal("10054.74"))
    assert not same_figure(Cell("12", 0, 1, Decimal("12")), Decimal("13"), None)
    assert not same_figure(Cell("ABC", 0, 1, None), Decimal("1"))


def test_figure_recovers_numbers_the_rules_read_as_words() -> None:
    assert figure(Cell("17,500", 0, 1, None), "ar") == Decimal("17.5")
    assert figure(Cell("17,500", 0, 1, None), "us") == Decimal("17500")
    assert figure(Cell("KG", 0, 1, None), "ar") is None
    assert figure(Cell("2", 0, 1, Decimal("2")), None) == Decimal("2")


def test_truth_aligns_with_every_item_line_of_clean_pdfs(train_docs: list[ReadDoc]) -> None:
    layouts = set()
    for doc in train_docs:
        views, fmt = views_of(doc)
        tables = build_tables(views, fmt)
        labels = label_document(tables, doc.truth.items)
        assert labels.coverage == 1.0, doc.name
        kinds = Counter(k for rows in labels.row_labels for k in rows)
        assert kinds["item"] == len(doc.truth.items)
        assert kinds["end"] >= 1
        roles = Counter(label for cells in labels.cell_labels for pairs in cells.values() for _, label in pairs)
        assert roles["amount"] == len(doc.truth.items)
        layouts.add(doc.layout)
    assert len(layouts) >= 5


def test_features_have_the_declared_shape_and_are_finite(train_docs: list[ReadDoc]) -> None:
    views, fmt = views_of(train_docs[0])
    table = build_tables(views, fmt)[0]
    x = row_features(table)
    assert x.shape == (len(table.rows), len(ROW_FEATURES))
    index, xc = cell_features(table)
    assert xc.shape == (len(index), len(CELL_FEATURES))
    assert np.isfinite(x).all() and np.isfinite(xc).all()


def test_models_refuse_a_single_class() -> None:
    with pytest.raises(ValueError, match="two kinds"):
        RowModel.fit(np.zeros((5, len(ROW_FEATURES))), ["item"] * 5)
    with pytest.raises(ValueError, match="two roles"):
        CellModel.fit(np.zeros((5, len(CELL_FEATURES))), ["amount"] * 5)


def test_learned_models_generalise_to_new_documents(train_docs: list[ReadDoc], heldout_docs: list[ReadDoc]) -> None:
    xr, yr, xc, yc = _labelled(train_docs)
    row_model, cell_model = RowModel.fit(xr, yr), CellModel.fit(xc, yc)
    hr, hyr, hc, hyc = _labelled(heldout_docs)
    assert (row_model.model.predict(hr) == np.asarray(hyr)).mean() >= 0.9
    assert (cell_model.model.predict(hc) == np.asarray(hyc)).mean() >= 0.9
    right = total = 0
    learned = LearnedItems(row_model, cell_model)
    for doc in heldout_docs:
        views, fmt = views_of(doc)
        items = learned.extract_items(views, fmt).items
        rules = extract_items(views, fmt).items
        keys = Counter(_item_key(i.model_dump(mode="json")) for i in items)
        truth = [_item_key(i.model_dump(mode="json")) for i in doc.truth.items]
        right += sum(min(keys[k], 1) for k in truth)
        total += len(truth)
        assert len(items) >= 0.8 * len(rules)
    assert right / total >= 0.9


def test_columns_are_inferred_when_the_header_row_is_unreadable(heldout_docs: list[ReadDoc]) -> None:
    from minimarket.documents.item_columns import RuleHeaderFinder
    from minimarket.documents.layout import PageText

    doc = next(d for d in heldout_docs if d.layout == "erp_ruled" and len(d.truth.items) >= 2)
    views, fmt = views_of(doc)
    header = RuleHeaderFinder().find(views[0])
    assert header is not None
    # blank the header row out, as OCR does with white letters on a dark band
    page = doc.text.pages[views[0].index]
    kept = [w for w in page.words if not (header.y0 - 1 <= w.cy <= header.y1 + 1)]
    blind = ReadDoc(
        doc.name, doc.layout, type(doc.text)(pages=[PageText(page.index, page.width, page.height, page.origin, kept)]),
        doc.truth, doc.data,
    )  # fmt: skip
    views, fmt = views_of(blind)
    assert build_tables(views, fmt) == []
    assert extract_items(views, fmt).items == []
    tables = build_tables(views, fmt, infer_headers=True)
    assert len(tables) == 1 and tables[0].found
    roles = {c.role.value for c in tables[0].layout.columns}
    assert {"quantity", "unit_price", "amount", "description"} <= roles
    items = LearnedItems(infer_headers=True).extract_items(views, fmt).items
    assert [_item_key(i.model_dump(mode="json")) for i in items] == [
        _item_key(i.model_dump(mode="json")) for i in doc.truth.items
    ]


def _page(rows: list[tuple[float, list[tuple[float, str]]]]) -> PageView:
    """A page of words at (x, y), five points a character, eight high."""
    words = [Word(text, x, y, x + 5 * len(text), y + 8) for y, cells in rows for x, text in cells]
    return PageView(0, 600, 842, line_texts(regroup_lines(words)))


def test_the_row_model_does_not_end_the_table_above_items_or_on_bare_figures() -> None:
    """A row model that sees the end of the table everywhere (say, on a row of a blurred photo) is not
    followed on lines above a whole item (quantity and price) or on a line of bare figures."""
    from sklearn.dummy import DummyClassifier

    from minimarket.documents.items import RowKind

    view = _page(
        [
            (100, [(10, "Descripción"), (120, "Cantidad"), (180, "Precio"), (300, "Importe")]),
            (115, [(10, "GASEOSA"), (120, "2"), (180, "100,00"), (300, "200,00")]),
            (125, [(300, "15,00")]),
            (135, [(10, "AGUA"), (120, "3"), (180, "10,00"), (300, "30,00")]),
            (150, [(10, "TOTAL"), (300, "230,00")]),
        ]
    )
    table = build_tables([view], "ar")[0]
    x = np.zeros((4, len(ROW_FEATURES)))
    always_end = DummyClassifier(strategy="constant", constant="end").fit(x, ["end", "item", "skip", "end"])
    model = RowModel(always_end, tuple(always_end.classes_), {"end": 10, "item": 10, "skip": 10})
    kinds = dict(zip((lt.raw for lt in table.lines), model.predict(table), strict=True))
    assert kinds["GASEOSA 2 100,00 200,00"] == RowKind.ITEM  # a whole item is still to come
    assert kinds["15,00"] != RowKind.END  # bare figures
    assert kinds["AGUA 3 10,00 30,00"] == RowKind.END  # nothing below: the model is followed


def test_a_row_that_adds_up_keeps_its_rule_cells_when_the_cell_model_breaks_it() -> None:
    """A cell model sure that every figure is a discount (as one once swapped a ticket's 0,00 discount with
    its amount): rows whose rule cells add up keep them; the model still decides rows that do not add up."""
    from sklearn.dummy import DummyClassifier

    from minimarket.documents.item_cells import row_adds_up

    view = _page(
        [
            (100, [(10, "Descripción"), (120, "Cantidad"), (180, "Precio"), (240, "Bonif."), (300, "Importe")]),
            (115, [(10, "GASEOSA"), (120, "2"), (180, "100,00"), (240, "0,00"), (300, "200,00")]),
            (130, [(10, "AGUA"), (120, "3"), (180, "10,00"), (240, "0,00"), (300, "31,00")]),
            (150, [(10, "TOTAL"), (300, "231,00")]),
        ]
    )
    table = build_tables([view], "ar")[0]
    x = np.zeros((2, len(CELL_FEATURES)))
    discounts = DummyClassifier(strategy="constant", constant="discount_amount").fit(x, ["discount_amount", "amount"])
    model = CellModel(discounts, tuple(str(c) for c in discounts.classes_), rule_bonus=0.0)
    assert not any(row_adds_up(r) for r in model.reassign(table)), "the model alone breaks every row"
    items = LearnedItems(cell_model=model).extract_items([view], "ar").items
    gaseosa = next(i for i in items if "GASEOSA" in i.description)
    assert (gaseosa.quantity, gaseosa.unit_price, gaseosa.amount) == (2, Decimal("100.00"), Decimal("200.00"))
