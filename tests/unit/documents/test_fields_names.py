"""The issuer's business name read from the top of an OCR'd page: wrapped names, box borders, legal forms
OCR broke, and the doubt that sends a name to review instead of accepting it wrong."""

from __future__ import annotations

import pytest

from minimarket.documents.fields import Found, extract_header
from minimarket.documents.layout import Word
from minimarket.documents.linetext import PageView, line_texts, regroup_lines
from minimarket.documents.misreads import legal_form_misreading
from minimarket.domain.invoice import Status
from tests.unit.documents.reconcile_cases import check, header, run

CW = 5.0  # character width in points
H = 8.0  # word height
OCR_CONF = 0.9


def centred(text: str, y: float, centre: float = 150.0, h: float = H, conf: float = OCR_CONF) -> list[Word]:
    """Words of ``text`` centred on ``centre``, as OCR gives them (confidence below 1)."""
    width = CW * len(text)
    cursor = centre - width / 2
    out = []
    for chunk in text.split(" "):
        if chunk:
            out.append(Word(chunk, cursor, y, cursor + CW * len(chunk), y + h, conf))
            cursor += CW * len(chunk)
        cursor += CW
    return out


def ocr_page(rows: list[tuple[float, str]], h: float = H) -> PageView:
    """A first page: the name rows (big type, centred) then the issuer's CUIT and the receiver."""
    words: list[Word] = []
    for y, text in rows:
        words += centred(text, y, h=h)
    words += centred("C.U.I.T.: 33-64699233-3", 120, h=H * 0.8)
    words += centred("Ingresos Brutos: 33646992333", 132, h=H * 0.8)
    return PageView(0, 600, 842, line_texts(regroup_lines(words), 0))


def issuer_name(rows: list[tuple[float, str]]) -> Found[str]:
    found = extract_header([ocr_page(rows, h=14.0)]).issuer_name
    assert found is not None
    return found


# --- 1. a name wrapped on two lines is one name ---------------------------------------------------------------


def test_a_centred_name_wrapped_on_two_lines_is_one_name() -> None:
    found = issuer_name([(40, "Distribuidora Tabacalera"), (58, "Norte S.A.")])
    assert found.value == "Distribuidora Tabacalera Norte S.A."
    assert not found.doubt


def test_the_continuation_line_is_not_a_name_of_its_own() -> None:
    # the second line alone scores higher (bigger ink per word); once joined it is no candidate
    found = issuer_name([(40, "Fiambres y Quesos"), (58, "Don Atilio S.R.L.")])
    assert found.value == "Fiambres y Quesos Don Atilio S.R.L."


# --- 2. a box border read as a dash -------------------------------------------------------------------------


@pytest.mark.parametrize("border", ["—", "–", "-", "|", "__"])
def test_a_box_border_before_the_legal_form_is_dropped(border: str) -> None:
    found = issuer_name([(40, f"Distribuidora Láctea Oeste {border} S.R.L.")])
    assert found.value == "Distribuidora Láctea Oeste S.R.L."
    assert not found.doubt


def test_a_box_border_at_the_ends_is_dropped() -> None:
    assert issuer_name([(40, "| Distribuidora Láctea Oeste S.R.L. —")]).value == "Distribuidora Láctea Oeste S.R.L."


def test_a_dash_inside_a_name_stays() -> None:
    assert issuer_name([(40, "Perez - Gomez Hermanos")]).value == "Perez - Gomez Hermanos"


# --- 3. legal forms OCR broke -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("S.R.L.", ("S.R.L.", True)),
        ("S.R.L", ("S.R.L.", True)),
        ("S.R.", ("S.R.L.", True)),
        ("S$.R.L.", ("S.R.L.", True)),
        ("S.A", ("S.A.", True)),
        ("S./", ("S./", False)),
        ("S.", ("S.", False)),
        ("SRL", ("SRL", True)),
        ("Oeste", ("Oeste", True)),
        ("Hnos.", ("Hnos.", True)),
    ],
)
def test_legal_form_misreading(word: str, expected: tuple[str, bool]) -> None:
    assert legal_form_misreading(word) == expected


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        ("Distribuidora Láctea Oeste S.R.", "Distribuidora Láctea Oeste S.R.L."),
        ("Distribuidora Láctea Oeste S$.R.L.", "Distribuidora Láctea Oeste S.R.L."),
        ("Golosinera Mayorista Oeste S.A", "Golosinera Mayorista Oeste S.A."),
    ],
)
def test_a_broken_legal_form_is_repaired(read: str, expected: str) -> None:
    found = issuer_name([(40, read)])
    assert found.value == expected
    assert not found.doubt


def test_an_unreadable_legal_form_is_a_doubt() -> None:
    found = issuer_name([(40, "Distribuidora Tabacalera Norte S./")])
    assert "forma jurídica" in found.doubt


def test_a_lone_letter_before_the_legal_form_is_a_doubt_unless_it_is_the_invoice_letter() -> None:
    doubtful = issuer_name([(40, "Fiambres y Quesos Don Atilio A S.R.L.")])
    assert "letra suelta" in doubtful.doubt
    view = ocr_page([(40, "Fiambres y Quesos Don Atilio A S.R.L.")], h=14.0)
    view_words = [w for lt in view.lines for w in lt.words]
    view_words += [Word("FACTURA", 300, 200, 340, 210, OCR_CONF), Word("A", 345, 200, 352, 210, OCR_CONF)]
    with_letter = extract_header([PageView(0, 600, 842, line_texts(regroup_lines(view_words), 0))])
    assert with_letter.invoice_type is not None and with_letter.invoice_type.value == "A"
    assert with_letter.issuer_name is not None
    assert with_letter.issuer_name.value == "Fiambres y Quesos Don Atilio S.R.L."
    assert not with_letter.issuer_name.doubt


def test_stray_glyphs_in_an_ocr_name_are_a_doubt() -> None:
    assert issuer_name([(40, "Distribuidora Lác/tea Oeste S.R.L.")]).doubt


def test_a_text_layer_name_is_trusted() -> None:
    words = centred("Distribuidora Lác/tea Oeste S.R.L.", 40, h=14.0, conf=1.0)
    words += centred("C.U.I.T.: 33-64699233-3", 120, h=H * 0.8, conf=1.0)
    found = extract_header([PageView(0, 600, 842, line_texts(regroup_lines(words), 0))]).issuer_name
    assert found is not None and not found.doubt


# --- the audit: a doubtful name goes to review --------------------------------------------------------------


def test_a_doubtful_issuer_name_sends_the_invoice_to_review() -> None:
    h = header()
    h.issuer_name = Found("Distribuidora Tabacalera Norte S./", 0.5, 0, 40.0, "top text", "forma jurídica ilegible")
    result = run(h=h)
    assert not check(result, "issuer_name_legible").ok
    assert result.status == Status.NEEDS_REVIEW


def test_a_sure_issuer_name_adds_no_check() -> None:
    h = header()
    h.issuer_name = Found("Distribuidora Tabacalera Norte S.A.", 0.5, 0, 40.0, "top text")
    result = run(h=h)
    assert all(c.name != "issuer_name_legible" for c in result.checks)
    assert result.status == Status.ACCEPTED


@pytest.mark.parametrize(
    ("read", "doubt"),
    [
        ("H éctor Rubén G Gauna", "letra suelta"),  # a capital split off its word, a stray letter
        ("Héctor Rubén éctor Gauna", "palabra partida"),
        ("Golosinera Mayorista del", "falta su continuación"),  # the second line lost
        ("DE BUENOS AIRES", "falta su comienzo"),  # an address's tail taken for the name
    ],
)
def test_an_ocr_name_that_reads_as_words_can_still_be_doubtful(read: str, doubt: str) -> None:
    assert doubt in issuer_name([(40, read)]).doubt


@pytest.mark.parametrize("name", ["Héctor Rubén Gauna", "Fiambres y Quesos Don Atilio S.R.L.", "Casa de la Empanada"])
def test_a_plain_ocr_name_is_sure(name: str) -> None:
    found = issuer_name([(40, name)])
    assert found.value == name and not found.doubt


def test_a_box_border_and_letter_after_the_legal_form_are_dropped() -> None:
    found = issuer_name([(40, "Mayorista San Cayetano S.R.L. —B")])
    assert found.value == "Mayorista San Cayetano S.R.L."
    assert not found.doubt


@pytest.mark.parametrize(
    ("read", "doubt"),
    [
        ("DISTRIBUIDORA TARACAT.ERA NORTE S.A.", "punto dentro de una palabra"),
        ("Mónica Beatriz Ferreyra Cc", "palabra final dudosa"),
    ],
)
def test_more_ocr_names_that_are_doubtful(read: str, doubt: str) -> None:
    assert doubt in issuer_name([(40, read)]).doubt


def test_a_market_stall_address_is_no_name() -> None:
    found = issuer_name([(40, "Mónica Beatriz Ferreyra"), (70, "Mercado Central, Nave 4, Puesto 112, Tapiales")])
    assert found.value == "Mónica Beatriz Ferreyra"


def test_the_locality_under_an_address_is_no_name() -> None:
    # the business name lost by OCR: the locality wrapped under the address must not take its place
    words = [Word("AV.", 40, 60, 55, 68, OCR_CONF), Word("MAIPÚ", 60, 60, 85, 68, OCR_CONF)]
    words += [Word("2240", 90, 60, 110, 68, OCR_CONF)]
    words += [Word("VICENTE", 40, 74, 75, 86, OCR_CONF), Word("LÓPEZ", 80, 74, 105, 86, OCR_CONF)]
    words += centred("C.U.I.T.: 33-64699233-3", 120, h=H * 0.8)
    view = PageView(0, 600, 842, line_texts(regroup_lines(words), 0))
    assert extract_header([view]).issuer_name is None
