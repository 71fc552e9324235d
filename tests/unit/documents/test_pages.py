"""Page selection: copies are one invoice, attachments are left out, multi-page invoices are kept in order."""

from __future__ import annotations

from minimarket.documents.layout import Word
from minimarket.documents.linetext import PageView, line_texts, regroup_lines
from minimarket.documents.pages import invoice_score, select_pages

CW = 5.0


def view(index: int, rows: list[str]) -> PageView:
    words = []
    for n, text in enumerate(rows):
        cursor = 20.0
        y = 40.0 + 14 * n
        for chunk in text.split(" "):
            if chunk:
                words.append(Word(chunk, cursor, y, cursor + CW * len(chunk), y + 8))
                cursor += CW * (len(chunk) + 1)
    return PageView(index, 595, 842, line_texts(regroup_lines(words), index))


def invoice(index: int, marker: str | None = None, page: str | None = None, items: list[str] | None = None,
            totals: bool = True) -> PageView:  # fmt: skip
    rows = [
        "FACTURA A COD. 01",
        "Punto de Venta: 00003 Comp. Nro: 00001360",
        "CUIT: 20315600449 Fecha de Emisión: 14/02/2023",
        *(items or ["1,00 COLOCACION 9834,71 9834,71"]),
    ]
    if totals:
        rows += ["Importe Neto Gravado: $ 9834,71", "Importe Total: $ 11900,00"]
    rows.append("CAE N°: 73079568739200")
    if marker:
        rows.insert(0, marker)
    if page:
        rows.append(page)
    return view(index, rows)


def test_invoice_evidence_score() -> None:
    assert invoice_score("CAE N° 73079568739200 COD. 01 FACTURA 0003-00001360 CUIT 20-31560044-9") >= 3
    assert invoice_score("ORDEN DE COMPRA NRO 553699 SUBTOTAL $48,800.00") < 3


def test_original_duplicado_triplicado_are_one_invoice() -> None:
    pages = [invoice(0, "ORIGINAL"), invoice(1, "DUPLICADO"), invoice(2, "TRIPLICADO")]
    selection = select_pages(pages)
    assert selection.indexes == [0] and selection.copies == [1, 2] and selection.extra == []


def test_identical_pages_without_markers_are_copies() -> None:
    selection = select_pages([invoice(0), invoice(1)])
    assert selection.indexes == [0] and selection.copies == [1]


def test_attached_work_order_is_not_part_of_the_invoice() -> None:
    order = view(1, ["Orden de Compra", "Nro . de Orden : 553699", "Subtotal : $48,800.00", "Total Neto : $77,300.00"])
    selection = select_pages([invoice(0, "ORIGINAL"), order])
    assert selection.indexes == [0] and selection.extra == [1]


def test_multi_page_invoice_with_copies_keeps_page_order() -> None:
    p1 = invoice(0, "ORIGINAL", "Pág. 1/2", items=[f"1,00 ITEM {n} 10,00 10,00" for n in range(5)], totals=False)
    p2 = invoice(1, "ORIGINAL", "Pág. 2/2", items=["TRANSPORTE: 50,00"])
    d1 = invoice(2, "DUPLICADO", "Pág. 1/2", items=[f"1,00 ITEM {n} 10,00 10,00" for n in range(5)], totals=False)
    d2 = invoice(3, "DUPLICADO", "Pág. 2/2", items=["TRANSPORTE: 50,00"])
    selection = select_pages([p1, p2, d1, d2])
    assert selection.indexes == [0, 1] and selection.copies == [2, 3]


def test_second_page_without_header_carrying_the_totals_is_kept() -> None:
    first = invoice(0, items=[f"1,00 ITEM {n} 10,00 10,00" for n in range(5)], totals=False)
    second = view(1, ["1,00 ITEM 6 10,00 10,00", "Subtotal: 60,00", "IVA 21%: 12,60", "TOTAL: 72,60"])
    selection = select_pages([first, second])
    assert selection.indexes == [0, 1]


def test_nothing_looks_like_an_invoice_keeps_the_first_page() -> None:
    selection = select_pages([view(0, ["hola"]), view(1, ["chau"])])
    assert selection.indexes == [0] and selection.extra == [1]


def test_ocr_copies_read_a_little_differently_are_still_copies() -> None:
    items = [f"1,00 ITEM {n} {n}0,00 {n}0,00" for n in range(1, 9)]
    original = invoice(0, "ORIGINAL", items=items)
    # the duplicate's OCR misreads a few words, a figure and the CAE
    noisy = [row.replace("ITEM 3", "lTEM 3").replace("70,00", "7O,00") for row in items]
    rows = [line.raw.replace("73079568739200", "73079S68739200") for line in invoice(1, "DUPLICADO", items=noisy).lines]
    duplicado = view(1, rows)
    selection = select_pages([original, duplicado])
    assert selection.indexes == [0] and selection.copies == [1]
