"""Header fields from positioned text: the many printed variants of each label, and geometry."""

from __future__ import annotations

import datetime as dt

import pytest

from minimarket.documents.fields import cae_due_below_items, extract_header
from minimarket.documents.layout import Word
from minimarket.documents.linetext import PageView, find_cuits, find_dates, line_texts, regroup_lines
from tests.unit.documents.items_cases import with_second_readings

CW = 5.0  # character width in points
H = 8.0  # word height


def words_of(text: str, y: float, x: float = 20.0, h: float = H) -> list[Word]:
    """Words of ``text`` laid out left to right; a run of spaces is a proportionally wider gap."""
    out = []
    cursor = x
    for chunk in text.split(" "):
        if chunk:
            out.append(Word(chunk, cursor, y, cursor + CW * len(chunk), y + h))
            cursor += CW * len(chunk)
        cursor += CW
    return out


def page(rows: list[tuple[float, str]] | list[tuple[float, str, float]], width: float = 600) -> PageView:
    words: list[Word] = []
    for row in rows:
        y, text, *rest = row
        words += words_of(text, y, x=rest[0] if rest else 20.0)
    return PageView(0, width, 842, line_texts(regroup_lines(words), 0))


# --- typed scanners ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fecha de Emisión: 18/02/2023", dt.date(2023, 2, 18)),
        ("FECHA 08 / 02 / 23", dt.date(2023, 2, 8)),
        ("Fecha: 1 8/02/2023", dt.date(2023, 2, 18)),
        ("Emitida el 14-02-2023", dt.date(2023, 2, 14)),
        ("14.02.2023", dt.date(2023, 2, 14)),
        ("Lunes 13 de Febrero de 2023", dt.date(2023, 2, 13)),
        ("Fecha: 08-Feb-2023", dt.date(2023, 2, 8)),
    ],
)
def test_find_dates_variants(text: str, expected: dt.date) -> None:
    assert find_dates(text)[0][1] == expected


def test_find_dates_rejects_impossible_dates() -> None:
    assert find_dates("31/02/2023 and 45/13/2020") == []
    assert find_dates("Fecha: 24/01/4040") == []  # a misread year


@pytest.mark.parametrize(
    ("text", "cuit"),
    [
        ("C.U.I.T.: 30-51758323-1", "30517583231"),
        ("CUIT: 2031 5600449", "20315600449"),
        ("CUIT 30 - 50001770 - 4", "30500017704"),
        ("Nro 30500017704", "30500017704"),
    ],
)
def test_find_cuits_variants(text: str, cuit: str) -> None:
    assert [c for _, c in find_cuits(text)] == [cuit]


def test_find_cuits_needs_a_valid_check_digit() -> None:
    assert find_cuits("CUIT: 30-51758323-2") == []


# --- type, number, date ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "letter", "code"),
    [
        ([(40, "FACTURA"), (60, "COD. 01")], "A", 1),
        ([(40, "Código 011")], "C", 11),
        ([(40, "C001 NRO.: 00004-00017649")], "A", 1),
        ([(40, "FACTURA DE CRÉDITO ELECTRÓNICA A MiPyMEs (FCE) CÓD. 201")], "A", 201),
        ([(40, "NOTA DE CREDITO B")], "B", 8),
        ([(40, "FACTURA A (Cod. 001)")], "A", 1),
        ([(40, "Factura Electrónica Tipo B")], "B", 6),
        ([(40, "HÉCTOR RUBÉN GAUNA FACTURAC"), (60, "Responsable Monotributo")], "C", 11),  # a photo's glued letter
    ],
)
def test_invoice_type_from_labels(rows: list[tuple[float, str]], letter: str, code: int) -> None:
    header = extract_header([page(rows)])
    assert header.invoice_type is not None and header.invoice_type.value == letter
    assert header.afip_code is not None and header.afip_code.value == code


def test_facturacion_is_not_a_glued_letter() -> None:
    header = extract_header([page([(40, "FACTURACION MENSUAL")])])
    assert header.invoice_type is None


def test_big_boxed_letter_gives_the_type_without_a_code() -> None:
    words = [*words_of("FACTURA", 40, x=340), Word("B", 290, 30, 310, 60), *words_of("Fecha: 01/02/2024", 80)]
    view = PageView(0, 600, 842, line_texts(regroup_lines(words)))
    header = extract_header([view])
    assert header.invoice_type is not None and header.invoice_type.value == "B"
    assert header.afip_code is not None and header.afip_code.value == 6  # inferred: Factura B


@pytest.mark.parametrize(
    ("text", "pv", "number"),
    [
        ("Punto de Venta: 00003 Comp. Nro: 00001360", 3, 1360),
        ("Factura N º 0005-00011643", 5, 11643),
        ("A Nº 0003 - 00003435", 3, 3435),
        ("NRO . : 0 0 0 04 - 0 0 017 649", 4, 17649),
        ("NUMERO: 00003 - 00003668", 3, 3668),
        ("Pto. Vta.: 0007 Nro.: 00028117", 7, 28117),
        ("Tel. 011 4899-8629 N° 0003 - 00128287", 3, 128287),
        ("Factura N°: A-0001-00001234", 1, 1234),
        ("Nº FACTURA 00012-00000077", 12, 77),
    ],
)
def test_point_of_sale_and_number(text: str, pv: int, number: int) -> None:
    header = extract_header([page([(40, text)])])
    assert header.point_of_sale is not None and header.point_of_sale.value == pv
    assert header.number is not None and header.number.value == number


def test_other_documents_numbers_are_not_the_invoice_number() -> None:
    view = page(
        [
            (40, "FACTURA N° 0002-00000456"),
            (60, "Remito N°: 0002-11111111"),
            (80, "REF: FACTURA C 00001-00000091 DEL 27/02/2026"),
            (100, "Calle 14 N° 3350"),
        ]
    )
    header = extract_header([view])
    assert header.number is not None and header.number.value == 456


def test_issue_date_ignores_other_dates() -> None:
    view = page(
        [
            (40, "Fecha de Inicio de Actividades: 01/03/2010"),
            (60, "Período Facturado Desde: 01/01/2023 Hasta: 31/01/2023"),
            (80, "Fecha de Emisión: 18/02/2023"),
            (100, "Fecha de Vto. para el pago: 28/02/2023"),
        ]
    )
    header = extract_header([view])
    assert header.issue_date is not None and header.issue_date.value == dt.date(2023, 2, 18)
    roles = {role for role, *_ in header.dates}
    assert {"start", "period", "issue", "due"} <= roles


def test_cae_and_due_date_on_the_next_line() -> None:
    view = page(
        [(40, "FECHA: 14/02/2023"), (700, "C.A.E. Nº 73071582456715"), (712, "Fecha de Vencimiento: 24/02/2023")]
    )
    header = extract_header([view])
    assert header.cae is not None and header.cae.value == "73071582456715"
    assert header.cae_due_date is not None and header.cae_due_date.value == dt.date(2023, 2, 24)
    assert header.issue_date is not None and header.issue_date.value == dt.date(2023, 2, 14)


def test_cae_split_by_spaces_and_vto_label() -> None:
    view = page([(700, "C . A . E : 7 30 6 7 982 7 8 7 3 7 7"), (712, "VTO . C . A . E : 18 / 02 / 2023")])
    header = extract_header([view])
    assert header.cae is not None and header.cae.value == "73067982787377"
    assert header.cae_due_date is not None and header.cae_due_date.value == dt.date(2023, 2, 18)


@pytest.mark.parametrize(("printed", "caea"), [("CAEN” 75356160371661", False), ("CAEA N° 75356160371661", True)])
def test_cae_label_glued_to_a_misread_number_sign(printed: str, caea: bool) -> None:
    """A photo: "CAE Nº" read "CAEN”"."""
    header = extract_header([page([(40, "FACTURA A"), (700, printed)])])
    assert header.cae is not None and header.cae.value == "75356160371661"
    assert header.cae_is_caea is caea


# --- parties ----------------------------------------------------------------


def test_the_only_cuit_read_under_a_misread_cliente_label_is_the_receiver_s() -> None:
    """A blurred scan: the issuer's CUIT did not read, and "CLIENTE" read "CUENTE"; the one CUIT left is
    the receiver's, never the issuer's."""
    view = page(
        [
            (40, "Distribuidora Láctea Oeste"),
            (52, "CUIT 106380743 MAA IOGSOOPDAAA"),
            (100, "CUENTE CUR"),
            (112, "ALMACEN Y DESPENSA LOS MERMANOS S.R.L. 30-53464097-4"),
        ]
    )
    header = extract_header([view])
    assert header.issuer_cuit is None
    assert header.receiver_doc_number is not None and header.receiver_doc_number.value == "30534640974"


def test_issuer_cuit_is_the_one_with_issuer_cues() -> None:
    view = page(
        [
            (100, "Razón Social: GARCIA MARCOS ANDRES        Fecha de Emisión: 14/02/2023"),
            (120, "Domicilio Comercial: Pedro Luro        CUIT: 20315600449"),
            (132, "Ingresos Brutos: 20315600449"),
            (144, "Condición frente al IVA: IVA Responsable Inscripto"),
            (190, "CUIT: 30500017704 Apellido y Nombre / Razón Social: LA SEGUNDA COOPERATIVA"),
            (202, "Condición frente al IVA: IVA Responsable Inscripto"),
            (214, "Condición de venta: Cuenta Corriente"),
        ]
    )
    header = extract_header([view])
    assert header.issuer_cuit is not None and header.issuer_cuit.value == "20315600449"
    assert header.receiver_doc_number is not None and header.receiver_doc_number.value == "30500017704"
    assert header.receiver_doc_type is not None and header.receiver_doc_type.value == 80
    assert header.issuer_name is not None and header.issuer_name.value == "GARCIA MARCOS ANDRES"
    assert header.receiver_name is not None and header.receiver_name.value.startswith("LA SEGUNDA")
    assert header.issuer_iva_condition is not None
    assert header.issuer_iva_condition.value == "responsable_inscripto"


def test_only_the_receiver_cuit_printed_is_not_taken_for_the_issuer() -> None:
    view = page(
        [
            (160, "FECHA 08 / 02 / 23"),
            (180, "RAZON SOCIAL : LA SEGUNDA COOP LTDA DE SEGURO"),
            (192, "DOMICILIO :"),
            (226, "Responsable inscripto CUIT : 30 - 50001770 - 4"),
            (238, "CONDICION DE COMPRA : CUENTA CORRIENTE"),
        ]
    )
    header = extract_header([view])
    assert header.issuer_cuit is None
    assert header.receiver_doc_number is not None and header.receiver_doc_number.value == "30500017704"
    assert header.issuer_name is None


def test_a_cuit_after_the_receiver_s_name_on_its_line_is_the_receiver_s() -> None:
    """The issuer's CUIT unreadable (no valid check digit): the receiver's, printed after 'Señor(es)' on
    its own line, is not taken for the issuer's however many issuer cues the lines around it carry."""
    view = page(
        [
            (72, "Tel. 011 4591-1243 CUIT: 30-39650971-8"),
            (90, "Inicio de Actividades 15/07/1987"),
            (102, "Ing. Brutos: 901-123456-7"),
            (114, "Señor(es) ALMACEN Y DESPENSA LOS HERMANOS SRL CUIT: 30-53464097-4"),
            (126, "Domicilio Av. Gaona 2345 Remito N: 0008-51347016"),
            (139, "Localidad Haedo, Buenos Aires Vendedor 05 - PERALTA"),
        ]
    )
    header = extract_header([view])
    assert header.issuer_cuit is None
    assert header.receiver_doc_number is not None and header.receiver_doc_number.value == "30534640974"


def test_receiver_dni_and_consumidor_final() -> None:
    view = page(
        [
            (100, "Razón Social: MARCIO Y AGUSTIN ADDAMO"),
            (120, "CUIT: 30715566474"),
            (132, "Ingresos Brutos: 021-604900-8"),
            (144, "Condición frente al IVA: IVA Responsable Inscripto"),
            (170, "DNI: 14180271 Apellido y Nombre /Razón Social: FERNANDEZ ADRIANA"),
            (185, "Condición frente al IVA: Consumidor Final"),
        ]
    )
    header = extract_header([view])
    assert header.receiver_doc_type is not None and header.receiver_doc_type.value == 96
    assert header.receiver_doc_number is not None and header.receiver_doc_number.value == "14180271"
    assert header.receiver_iva_condition is not None and header.receiver_iva_condition.value == "consumidor_final"
    assert header.issuer_iva_condition is not None
    assert header.issuer_iva_condition.value == "responsable_inscripto"


def test_name_under_its_label_and_legal_suffix_on_the_next_line() -> None:
    view = page(
        [
            (40, "Distribuidora Cuyo Bebidas"),
            (50, "S.A."),
            (80, "C.U.I.T. N°: 33-64699233-3"),
            (92, "ING. BRUTOS: 33646992333"),
            (150, "CLIENTE                    CUIT"),
            (162, "FERNANDEZ ROSA ELENA       27-35841736-7"),
            (174, "Condiciones de venta: Contado"),
        ]
    )
    header = extract_header([view])
    assert header.issuer_name is not None and header.issuer_name.value == "Distribuidora Cuyo Bebidas S.A."
    assert header.receiver_name is not None and header.receiver_name.value == "FERNANDEZ ROSA ELENA"


@pytest.mark.parametrize(
    "unreadable_name",
    ["", "FACTU RA"],  # the business name lost in a scan; a title OCR split is no name either
)
def test_an_address_line_is_never_the_issuer_s_name(unreadable_name: str) -> None:
    rows = [
        (40, unreadable_name),
        (52, "Av. Juan B. Justo 7420 - Ciudad Autónoma de Buenos Aires"),
        (64, "Ruta 6 km 12 - Cañuelas"),
        (70, "CIUDAD AUTÓNOMA DE BUENOS AIRES"),
        (80, "C.U.I.T. N°: 33-64699233-3"),
    ]
    header = extract_header([page([r for r in rows if r[1]])])
    assert header.issuer_name is None


def test_currency_and_exchange_rate() -> None:
    pesos = extract_header([page([(700, "Este comprobante está expresado en: PESOS ARGENTINOS.")])])
    assert pesos.currency is not None and pesos.currency.value == "PES"
    assert pesos.exchange_rate is None
    dollars = extract_header(
        [page([(700, "Moneda: Dólar estadounidense"), (712, "Tipo de Cambio: U$S 1 = 1.050,50")])], fmt="ar"
    )
    assert dollars.currency is not None and dollars.currency.value == "DOL"
    assert dollars.exchange_rate is not None and str(dollars.exchange_rate.value) == "1050.50"


@pytest.mark.parametrize(
    ("label", "role"),
    [
        ("Vio. CAE: 12/07/2025", "cae_due"),  # "Vto." with the t's crossbar lost
        ("Vito. CAE: 12/07/2025", "cae_due"),  # a stray stroke
        ("Fecha de Vio.: 12/07/2025", "cae_due"),  # under the CAE line
        ("Fecha Veni imiento 12/07/2025", "cae_due"),
        ("Fecha de Vem imiento 12/07/2025", "cae_due"),  # the n and the c blurred together
        ("Fecha de Ver imiento 12/07/2025", "cae_due"),
        ("Pecha de Vencimiento: 1207/2025", "cae_due"),  # a separator lost
        ("Fecha de Vuai imicato 12/07/2025", "cae_due"),  # "Fecha de V…" under the CAE
        ("Fecha de envio: 12/07/2025", "issue"),  # "envio" is not "Vto."
    ],
)
def test_a_photo_misread_due_date_label_is_still_the_cae_due_date(label: str, role: str) -> None:
    view = page([(40, "FECHA: 02/07/2025"), (700, "C.A.E. Nº 73071582456715"), (712, label)])
    header = extract_header([view])
    assert (role, dt.date(2025, 7, 12)) in {(r, d) for r, d, *_ in header.dates}
    if role == "cae_due":
        assert header.cae_due_date is not None and header.cae_due_date.value == dt.date(2025, 7, 12)


def test_a_date_with_a_lost_separator_needs_a_label_that_says_it_is_one() -> None:
    view = page([(40, "Tel. 011 4229-4164 Fecha: 0207/2025"), (700, "Remito 1207/2025"), (712, "Total 3107/2025")])
    header = extract_header([view])
    assert header.issue_date is not None and header.issue_date.value == dt.date(2025, 7, 2)
    assert header.issue_date.confidence < 0.7  # doubtful: never accepted on its own
    assert {d for _, d, *_ in header.dates} == {dt.date(2025, 7, 2)}  # neither a phone nor an unlabelled figure


def test_a_vencimiento_below_the_items_without_a_cae_label_is_kept_aside() -> None:
    """The CAE line unread: "Fecha de Ver imiento" below the items is a due date of some kind; whether it is
    the CAE's is decided once the issue date is known (:func:`cae_due_below_items`)."""
    view = page([(40, "FECHA: 02/07/2025"), (700, "Fecha de Ver imiento: 1207/2025"), (60, "Vencimiento: 30/07/2025")])
    header = extract_header([view], header_bottom=200)
    assert header.cae_due_date is None
    assert [f.value for f in header.due_below_items] == [dt.date(2025, 7, 12)]  # not the header's payment date
    assert cae_due_below_items(header, dt.date(2025, 7, 2)) == header.due_below_items[0]
    assert cae_due_below_items(header, dt.date(2025, 6, 2)) is None  # 40 days on: a payment's due date
    assert cae_due_below_items(header, None) is None


def test_a_number_whose_dash_was_lost_beats_a_misread_remito() -> None:
    """A photo: "Nro. 00008-00093998" read without its dash, and "Remito" read "Hemíto" (so its number looks
    like an unlabelled point of sale and number)."""
    view = page([(40, "FACTURA A (Cod. 001)"), (52, "Nro. 00008 00093998"), (120, "Hemíto: 0008-06537608")])
    header = extract_header([view])
    assert header.number is not None and header.number.value == 93998
    assert header.point_of_sale is not None and header.point_of_sale.value == 8


@pytest.mark.parametrize("misread", ["co de activadades:", "co de actiuvedades:", "Inic. Act.:"])
def test_a_misread_start_of_activities_date_is_not_the_issue_date(misread: str) -> None:
    """A blurred scan: "Inicio de actividades" read "co de actiuvedades"; no issue date is better than 2000."""
    view = page([(40, "FACTURA A"), (60, f"{misread} 18/10/2000")])
    header = extract_header([view])
    assert ("start", dt.date(2000, 10, 18)) in {(r, d) for r, d, *_ in header.dates}
    assert header.issue_date is None


# --- second readings of the figures ----------------------------------------------------


BLURRED_HEADER = [
    (40, "Distribuidora Láctea Oeste S.A."),
    (52, "CUIT: 30-53464097-9"),  # the check digit misread: no CUIT
    (64, "Fecha de Emisión: 14/02/2023"),
    (100, "CAE N°: 7535616037166"),  # one digit lost: no CAE
]


def test_header_keys_the_first_reading_missed_come_from_the_figure_readers_reading() -> None:
    from minimarket.documents.fields import fill_from_second_readings

    view = with_second_readings(
        page(BLURRED_HEADER), {"30-53464097-9": "30-53464097-4", "7535616037166": "75356160371661"}
    )
    header = extract_header([view])
    assert header.issuer_cuit is None and header.cae is None
    assert sorted(fill_from_second_readings(header, [view])) == ["cae", "issuer_cuit"]
    assert header.issuer_cuit is not None and header.issuer_cuit.value == "30534640974"
    assert header.cae is not None and header.cae.value == "75356160371661"


def test_a_second_reading_never_replaces_a_field_or_supplies_an_invalid_one() -> None:
    from minimarket.documents.fields import fill_from_second_readings

    view = with_second_readings(
        page(BLURRED_HEADER),
        {"30-53464097-9": "30-53464097-8", "14/02/2023": "14/02/2028", "7535616037166": "7535616037169"},
    )
    header = extract_header([view])
    assert fill_from_second_readings(header, [view]) == []  # a CUIT with a wrong check digit, 13 digits
    assert header.issue_date is not None and header.issue_date.value == dt.date(2023, 2, 14)
    assert fill_from_second_readings(header, [page(BLURRED_HEADER)]) == []  # no second readings at all
