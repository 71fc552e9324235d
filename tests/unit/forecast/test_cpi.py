import pandas as pd
import pytest

from minimarket.forecast import cpi


def test_national_series_is_contiguous_and_matches_published():
    frame = cpi.load_national_cpi()
    assert str(frame.index[0]) == "2017-01"
    assert frame.loc[pd.Period("2023-12", "M"), "pct_published"] == pytest.approx(25.5)
    assert (frame["pct"] - frame["pct_published"]).abs().max() < 0.06


def test_division_file_decimal_comma_latin1_and_na():
    divisions = cpi.load_division_cpi()
    assert {"Nacional", "GBA", "Patagonia"} <= set(divisions["region"])
    food = divisions[(divisions["code"] == "01") & (divisions["region"] == "Nacional")]
    assert food["description"].iloc[0] == "Alimentos y bebidas no alcohólicas"
    first = food[food["month"] == pd.Period("2016-12", "M")]
    assert first["index"].iloc[0] == 100 and pd.isna(first["pct"].iloc[0])
    table = cpi.component_table(divisions)
    assert {"0", "01", "core", "regulated", "seasonal"} <= set(table.columns)
    # decimal comma parsed: 2024-01 headline 20.6 %
    assert table.loc[pd.Period("2024-01", "M"), "0"] == pytest.approx(20.6)


@pytest.mark.parametrize(
    ("category", "division"),
    [
        ("Bebidas sin alcohol", "01"),
        ("Cervezas", "02"),
        ("Vinos y aperitivos", "02"),
        ("Cigarrillos", "02"),
        ("Limpieza", "05"),
        ("Perfumería", "12"),
        ("Lácteos", "01"),
        ("Almacén", "01"),
        ("Yerba e infusiones", "01"),
        ("Ferretería", "0"),
    ],
)
def test_category_mapping(category, division):
    assert cpi.coicop_division(category) == division


def test_category_inflation_relative_to_headline():
    info = cpi.category_inflation("Limpieza", cpi.load_division_cpi(), months=12)
    assert info.division == "05"
    assert info.relative > 0
    with pytest.raises(ValueError):
        cpi.component_table(cpi.load_division_cpi(), region="Marte")
