"""INDEC consumer price index (IPC): loaders for the bundled files and the COICOP ↔ category map.

Two files live in ``data/raw/cpi`` (see its README):

* ``ipc_nacional_indec.csv`` — national headline CPI, monthly, UTF-8, comma separated.
* ``ipc_divisiones_regiones_indec.csv`` — INDEC's distribution file by COICOP division and region,
  exactly as published: ``;`` separated, decimal comma, ISO-8859-1, CRLF line ends, ``NA`` for missing.

Monthly inflation is always expressed in percent (``2.1`` means +2.1 % month over month).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from minimarket.config import get_settings

NATIONAL_FILE = "ipc_nacional_indec.csv"
DIVISIONS_FILE = "ipc_divisiones_regiones_indec.csv"

DIVISION_NAMES: dict[str, str] = {
    "0": "Nivel general",
    "01": "Alimentos y bebidas no alcohólicas",
    "02": "Bebidas alcohólicas y tabaco",
    "03": "Prendas de vestir y calzado",
    "04": "Vivienda, agua, electricidad, gas y otros combustibles",
    "05": "Equipamiento y mantenimiento del hogar",
    "06": "Salud",
    "07": "Transporte",
    "08": "Comunicación",
    "09": "Recreación y cultura",
    "10": "Educación",
    "11": "Restaurantes y hoteles",
    "12": "Bienes y servicios varios",
}
COMPONENT_CODES: dict[str, str] = {"Núcleo": "core", "Regulados": "regulated", "Estacional": "seasonal"}
"""INDEC's analytical categories, renamed to the column names used by the models."""

# Keyword → COICOP division, checked in order (alcohol before the generic "bebidas").
_CATEGORY_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("sin alcohol", "01"),
    ("alcoh", "02"),
    ("cerveza", "02"),
    ("vino", "02"),
    ("aperitivo", "02"),
    ("fernet", "02"),
    ("tabaco", "02"),
    ("cigarr", "02"),
    ("limpieza", "05"),
    ("hogar", "05"),
    ("descartable", "05"),
    ("bazar", "05"),
    ("lavandin", "05"),
    ("detergente", "05"),
    ("perfum", "12"),
    ("higiene", "12"),
    ("tocador", "12"),
    ("cuidado personal", "12"),
    ("farmacia", "06"),
    ("salud", "06"),
    ("mascota", "09"),
    ("libreria", "09"),
    ("revista", "09"),
    ("pila", "09"),
    ("kiosco", "01"),
    ("golosina", "01"),
    ("almacen", "01"),
    ("bebida", "01"),
    ("gaseosa", "01"),
    ("agua", "01"),
    ("jugo", "01"),
    ("lacteo", "01"),
    ("fiambre", "01"),
    ("panad", "01"),
    ("panif", "01"),
    ("galletit", "01"),
    ("snack", "01"),
    ("congelad", "01"),
    ("fruta", "01"),
    ("verdura", "01"),
    ("carne", "01"),
    ("infusion", "01"),
    ("yerba", "01"),
    ("cafe", "01"),
    ("desayuno", "01"),
    ("conserva", "01"),
    ("aceite", "01"),
    ("pasta", "01"),
    ("harina", "01"),
    ("arroz", "01"),
    ("azucar", "01"),
    ("aderezo", "01"),
    ("condimento", "01"),
    ("dulce", "01"),
    ("aliment", "01"),
)


def _fold(text: str) -> str:
    """Lower-case and strip accents (``Lácteos`` → ``lacteos``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower().strip()


def coicop_division(category: str) -> str:
    """The COICOP division code ("01" …) whose prices best track a catalog ``category``; "0" (the
    headline) when nothing matches."""
    folded = _fold(category)
    for keyword, code in _CATEGORY_KEYWORDS:
        if keyword in folded:
            return code
    return "0"


def _cpi_path(name: str, folder: Path | None) -> Path:
    path = (folder or get_settings().cpi_dir) / name
    if not path.is_file():
        raise FileNotFoundError(f"CPI file not found: {path} (expected the bundled INDEC files in data/raw/cpi)")
    return path


def bundled_stamps(folder: Path | None = None) -> tuple[Path, tuple[tuple[int, int] | None, ...]]:
    """The CPI folder and, per file, its modification time and size (None: missing): what decides whether
    a cached reading of the files is still current."""
    where = (folder or get_settings().cpi_dir).resolve()
    stamps: list[tuple[int, int] | None] = []
    for name in (NATIONAL_FILE, DIVISIONS_FILE):
        try:
            stat = (where / name).stat()
        except FileNotFoundError:
            stamps.append(None)
        else:
            stamps.append((stat.st_mtime_ns, stat.st_size))
    return where, tuple(stamps)


def load_national_cpi(folder: Path | None = None) -> pd.DataFrame:
    """National headline CPI indexed by monthly ``Period``: ``index``, ``pct``, ``pct_published``, ``source``."""
    frame = pd.read_csv(_cpi_path(NATIONAL_FILE, folder), dtype={"month": str, "source": str})
    required = {"month", "index_dec2016_100", "monthly_pct", "monthly_pct_published", "source"}
    missing = required - set(frame.columns)
    if missing:
        raise ValueError(f"{NATIONAL_FILE}: missing columns {sorted(missing)}")
    frame.index = pd.PeriodIndex(frame.pop("month"), freq="M", name="month")
    frame = frame.rename(
        columns={"index_dec2016_100": "index", "monthly_pct": "pct", "monthly_pct_published": "pct_published"}
    )
    if not frame.index.is_monotonic_increasing or frame.index.has_duplicates:
        raise ValueError(f"{NATIONAL_FILE}: months must be unique and increasing")
    expected = pd.period_range(frame.index[0], frame.index[-1], freq="M")
    if len(expected) != len(frame):
        raise ValueError(f"{NATIONAL_FILE}: months are not contiguous")
    return frame


def headline_series(folder: Path | None = None) -> pd.Series:
    """Monthly headline inflation in percent, indexed by monthly ``Period``."""
    series = load_national_cpi(folder)["pct"].astype(float)
    series.name = "pct"
    return series


def load_division_cpi(folder: Path | None = None) -> pd.DataFrame:
    """INDEC's division/region file as a tidy frame.

    Columns: ``code`` (``"0"``, ``"01"`` … ``"12"``, ``"core"``, ``"regulated"``, ``"seasonal"``,
    ``"B"`` goods, ``"S"`` services), ``description``, ``classifier``, ``month`` (Period), ``index``,
    ``pct`` (month over month %), ``yoy_pct``, ``region``.
    """
    frame = pd.read_csv(
        _cpi_path(DIVISIONS_FILE, folder),
        sep=";",
        decimal=",",
        encoding="ISO-8859-1",
        na_values=["NA"],
        keep_default_na=False,
        dtype={"Codigo": str, "Descripcion": str, "Clasificador": str, "Periodo": str, "Region": str},
    )
    required = {
        "Codigo",
        "Descripcion",
        "Clasificador",
        "Periodo",
        "Indice_IPC",
        "v_m_IPC",
        "v_i_a_IPC",
        "Region",
    }
    missing = required - set(frame.columns)
    if missing:
        raise ValueError(f"{DIVISIONS_FILE}: missing columns {sorted(missing)}")
    codes = frame["Codigo"].str.strip()
    tidy = pd.DataFrame(
        {
            "code": codes.map(lambda c: COMPONENT_CODES.get(c, c)),
            "description": frame["Descripcion"].fillna("").str.strip(),
            "classifier": frame["Clasificador"].str.strip(),
            "month": pd.PeriodIndex(pd.to_datetime(frame["Periodo"].str.strip(), format="%Y%m"), freq="M"),
            "index": pd.to_numeric(frame["Indice_IPC"], errors="coerce"),
            "pct": pd.to_numeric(frame["v_m_IPC"], errors="coerce"),
            "yoy_pct": pd.to_numeric(frame["v_i_a_IPC"], errors="coerce"),
            "region": frame["Region"].str.strip(),
        }
    )
    return tidy


def component_table(divisions: pd.DataFrame, region: str = "Nacional") -> pd.DataFrame:
    """Month × code table of monthly % for one region (columns ``0``, ``01`` … ``core``, ``regulated``…)."""
    chosen = divisions[divisions["region"] == region]
    if chosen.empty:
        regions = sorted(divisions["region"].unique())
        raise ValueError(f"unknown region {region!r}; the file has {regions}")
    table = chosen.pivot_table(index="month", columns="code", values="pct", aggfunc="first")
    table.columns.name = None
    return table.sort_index()


DIVISION_WEIGHTS: dict[str, float] = {
    "01": 26.9,
    "02": 3.5,
    "03": 9.9,
    "04": 9.4,
    "05": 6.4,
    "06": 8.0,
    "07": 11.0,
    "08": 2.8,
    "09": 7.3,
    "10": 2.3,
    "11": 9.0,
    "12": 3.5,
}
"""INDEC's national basket weights (%) of the 12 COICOP divisions (base December 2016)."""


def precise_component_table(divisions: pd.DataFrame, region: str = "Nacional") -> pd.DataFrame:
    """Like :func:`component_table`, but month-over-month % recomputed from the 4-decimal index
    (INDEC rounds ``v_m_IPC`` to one decimal), the published figure where the index is missing."""
    chosen = divisions[divisions["region"] == region]
    if chosen.empty:
        raise ValueError(f"unknown region {region!r}; the file has {sorted(divisions['region'].unique())}")
    index = chosen.pivot_table(index="month", columns="code", values="index", aggfunc="first").sort_index()
    published = component_table(divisions, region)
    precise = index.pct_change(fill_method=None) * 100.0
    table = precise.reindex(published.index).combine_first(published)
    table.columns.name = None
    return table


def trimmed_mean_inflation(table: pd.DataFrame, trim: float = 0.25) -> pd.Series:
    """Weighted trimmed mean of the 12 COICOP divisions' monthly % (``trim`` of the basket weight cut at
    each end): a robust "core" that ignores the month's most extreme divisions."""
    codes = [c for c in DIVISION_WEIGHTS if c in table.columns]
    weights = np.array([DIVISION_WEIGHTS[c] for c in codes])
    weights = weights / weights.sum()
    values = table[codes].to_numpy(float)
    out = np.full(len(values), np.nan)
    for i, row in enumerate(values):
        if not np.isfinite(row).all():
            continue
        order = np.argsort(row)
        upper = np.cumsum(weights[order])
        lower = upper - weights[order]
        inside = np.clip(np.minimum(upper, 1.0 - trim) - np.maximum(lower, trim), 0.0, None)
        out[i] = float((row[order] * inside).sum() / inside.sum())
    return pd.Series(out, index=table.index, name="trim")


@dataclass(frozen=True, slots=True)
class CategoryInflation:
    """How a category's prices moved relative to the headline over a recent window."""

    category: str
    division: str
    division_name: str
    window: str
    division_avg_pct: float
    headline_avg_pct: float

    @property
    def relative(self) -> float:
        """Ratio of the division's average monthly inflation to the headline's (1.0 = same pace)."""
        if self.headline_avg_pct <= 0:
            return 1.0
        return self.division_avg_pct / self.headline_avg_pct


def category_inflation(
    category: str, divisions: pd.DataFrame, *, months: int = 12, region: str = "Nacional"
) -> CategoryInflation:
    """Average monthly inflation of ``category``'s COICOP division vs the headline over the last
    ``months`` months of the division file."""
    table = component_table(divisions, region)
    division = coicop_division(category)
    recent = table.dropna(subset=["0"]).tail(months)
    division_column = division if division in recent.columns else "0"
    window = f"{recent.index[0]}..{recent.index[-1]}"
    return CategoryInflation(
        category=category,
        division=division_column,
        division_name=DIVISION_NAMES.get(division_column, division_column),
        window=window,
        division_avg_pct=float(recent[division_column].mean()),
        headline_avg_pct=float(recent["0"].mean()),
    )
